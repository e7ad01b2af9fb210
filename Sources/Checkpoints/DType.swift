/// The element type of a stored tensor, spelled as in the safetensors header.
///
/// Cases follow the `Dtype` enum of the reference implementation
/// (<https://github.com/huggingface/safetensors/blob/main/safetensors/src/tensor.rs>); the raw
/// value is the exact string in a header's `"dtype"` field. All multi-byte types are stored
/// little-endian.
public enum DType: String, CaseIterable, Sendable, Hashable, Codable {
    /// Boolean, one byte per element (0 is false, anything else true).
    case bool = "BOOL"
    /// Unsigned 8-bit integer.
    case u8 = "U8"
    /// Signed 8-bit integer (two's complement); the storage of int8-quantized weights.
    case i8 = "I8"
    /// 8-bit float, 5 exponent bits and 2 mantissa bits (IEEE-like, with infinities).
    case f8E5M2 = "F8_E5M2"
    /// 8-bit float, 4 exponent bits and 3 mantissa bits, "FN" variant: no infinities,
    /// `S.1111.111` is NaN (PyTorch `float8_e4m3fn`).
    case f8E4M3 = "F8_E4M3"
    /// Signed 16-bit integer.
    case i16 = "I16"
    /// Unsigned 16-bit integer.
    case u16 = "U16"
    /// IEEE 754 binary16.
    case f16 = "F16"
    /// bfloat16: the upper 16 bits of an IEEE binary32.
    case bf16 = "BF16"
    /// Signed 32-bit integer.
    case i32 = "I32"
    /// Unsigned 32-bit integer.
    case u32 = "U32"
    /// IEEE 754 binary32.
    case f32 = "F32"
    /// IEEE 754 binary64.
    case f64 = "F64"
    /// Signed 64-bit integer.
    case i64 = "I64"
    /// Unsigned 64-bit integer.
    case u64 = "U64"

    /// The name used in safetensors headers, e.g. `"BF16"`.
    public var safetensorsName: String { rawValue }

    /// Creates the dtype whose safetensors header name is `name`, or `nil` for an unknown name.
    public init?(safetensorsName name: String) { self.init(rawValue: name) }

    /// Size of one element in bytes.
    public var byteSize: Int {
        switch self {
        case .bool, .u8, .i8, .f8E5M2, .f8E4M3: return 1
        case .i16, .u16, .f16, .bf16: return 2
        case .i32, .u32, .f32: return 4
        case .f64, .i64, .u64: return 8
        }
    }

    /// Whether the elements are floating-point numbers.
    public var isFloatingPoint: Bool {
        switch self {
        case .f8E5M2, .f8E4M3, .f16, .bf16, .f32, .f64: return true
        case .bool, .u8, .i8, .i16, .u16, .i32, .u32, .i64, .u64: return false
        }
    }

    /// Whether conversion of every element of this dtype to `Float` is exact.
    ///
    /// True for all floating-point types up to 32 bits and for integers of at most 16 bits;
    /// `F64` and 32/64-bit integers are rounded to the nearest `Float`.
    public var convertsExactlyToFloat: Bool {
        switch self {
        case .bool, .u8, .i8, .f8E5M2, .f8E4M3, .i16, .u16, .f16, .bf16, .f32: return true
        case .i32, .u32, .f64, .i64, .u64: return false
        }
    }
}
