import Foundation

/// Conversion of stored elements of any `DType` to `Float`.
///
/// Half-precision formats are widened bit by bit, so F16, BF16 and both F8 formats convert
/// exactly (NaN payloads included for F16/BF16); F64 and wide integers round to nearest.
enum ElementDecoder {
    /// Decodes `count` elements of `dtype` starting at element index `first` of `bytes`.
    ///
    /// `bytes` holds little-endian elements, or big-endian ones when `bigEndian` is true
    /// (PyTorch archives whose `byteorder` entry says `big`). The caller guarantees that
    /// `(first + count) * dtype.byteSize <= bytes.count`.
    static func floats(_ bytes: UnsafeRawBufferPointer, dtype: DType, first: Int = 0, count: Int,
                       bigEndian: Bool = false) -> [Float] {
        precondition(first >= 0 && count >= 0 && (first + count) * dtype.byteSize <= bytes.count,
                     "ElementDecoder: range outside buffer")
        if count == 0 { return [] }
        let base = first * dtype.byteSize
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            func u16(_ i: Int) -> UInt16 {
                let v = bytes.loadUnaligned(fromByteOffset: base + 2 * i, as: UInt16.self)
                return bigEndian ? UInt16(bigEndian: v) : UInt16(littleEndian: v)
            }
            func u32(_ i: Int) -> UInt32 {
                let v = bytes.loadUnaligned(fromByteOffset: base + 4 * i, as: UInt32.self)
                return bigEndian ? UInt32(bigEndian: v) : UInt32(littleEndian: v)
            }
            func u64(_ i: Int) -> UInt64 {
                let v = bytes.loadUnaligned(fromByteOffset: base + 8 * i, as: UInt64.self)
                return bigEndian ? UInt64(bigEndian: v) : UInt64(littleEndian: v)
            }
            switch dtype {
            case .f32:
                if !bigEndian && UInt32(littleEndian: 1) == 1 {
                    // Host is little-endian: the bytes already are Floats.
                    memcpy(out.baseAddress!, bytes.baseAddress! + base, count * 4)
                } else {
                    for i in 0..<count { out[i] = Float(bitPattern: u32(i)) }
                }
            case .f16:
                for i in 0..<count { out[i] = halfToFloat(u16(i)) }
            case .bf16:
                for i in 0..<count { out[i] = Float(bitPattern: UInt32(u16(i)) << 16) }
            case .f64:
                for i in 0..<count { out[i] = Float(Double(bitPattern: u64(i))) }
            case .f8E5M2:
                for i in 0..<count { out[i] = halfToFloat(UInt16(bytes[base + i]) << 8) }
            case .f8E4M3:
                for i in 0..<count { out[i] = e4m3ToFloat(bytes[base + i]) }
            case .bool:
                for i in 0..<count { out[i] = bytes[base + i] == 0 ? 0 : 1 }
            case .u8:
                for i in 0..<count { out[i] = Float(bytes[base + i]) }
            case .i8:
                for i in 0..<count { out[i] = Float(Int8(bitPattern: bytes[base + i])) }
            case .i16:
                for i in 0..<count { out[i] = Float(Int16(bitPattern: u16(i))) }
            case .u16:
                for i in 0..<count { out[i] = Float(u16(i)) }
            case .i32:
                for i in 0..<count { out[i] = Float(Int32(bitPattern: u32(i))) }
            case .u32:
                for i in 0..<count { out[i] = Float(u32(i)) }
            case .i64:
                for i in 0..<count { out[i] = Float(Int64(bitPattern: u64(i))) }
            case .u64:
                for i in 0..<count { out[i] = Float(u64(i)) }
            }
            initialized = count
        }
    }

    /// IEEE binary16 bits to the exactly equal `Float` (subnormals normalised, NaN payload kept).
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1F
        var mantissa = UInt32(h & 0x3FF)
        switch exponent {
        case 0:
            if mantissa == 0 { return Float(bitPattern: sign) }
            // Subnormal half: shift the leading 1 into the implicit-bit position.
            var e: UInt32 = 0
            while mantissa & 0x400 == 0 {
                mantissa <<= 1
                e += 1
            }
            mantissa &= 0x3FF
            return Float(bitPattern: sign | ((113 - e) << 23) | (mantissa << 13))
        case 0x1F:
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        default:
            return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
        }
    }

    /// `float8_e4m3fn` bits to the exactly equal `Float`: bias 7, no infinities, `S.1111.111` is NaN.
    static func e4m3ToFloat(_ b: UInt8) -> Float {
        let negative = b & 0x80 != 0
        let exponent = Int((b >> 3) & 0x0F)
        let mantissa = Float(b & 0x07)
        let magnitude: Float
        if exponent == 0x0F && b & 0x07 == 0x07 {
            magnitude = .nan
        } else if exponent == 0 {
            magnitude = mantissa * 0x1p-9
        } else {
            magnitude = (1 + mantissa / 8) * Float(sign: .plus, exponent: exponent - 7, significand: 1)
        }
        return negative ? -magnitude : magnitude
    }
}
