import TensorCore

/// Integer codes of a quantized tensor with their parameters — for weight statistics and for packing.
///
/// `values` holds `shape.reduce(1, *)` codes in row-major order; entry `i` of `params` covers the values
/// `paramIndex(ofElement:)` maps to it (one per tensor, per row, or per group of `groupSize` columns).
public struct QuantizedTensor: Sendable, Equatable {
    /// Codes, stored as `Int8` when every code of the scheme fits (signed, or unsigned ≤ 7 bits), else `Int32`.
    public enum Values: Sendable, Equatable {
        case int8([Int8])
        case int32([Int32])

        /// Number of codes.
        public var count: Int {
            switch self {
            case let .int8(v): return v.count
            case let .int32(v): return v.count
            }
        }

        /// Code `i`, widened.
        public subscript(i: Int) -> Int32 {
            switch self {
            case let .int8(v): return Int32(v[i])
            case let .int32(v): return v[i]
            }
        }
    }

    /// The codes.
    public var values: Values
    /// Shape of the original tensor (`[out, in]` for a weight).
    public var shape: [Int]
    /// Scales and zero points.
    public var params: QuantParams
    /// How `params` entries map to elements.
    public var granularity: QuantScheme.Granularity
    /// Bits per code (for `storageBytes`).
    public var bits: Int

    /// - Precondition: `values.count` equals the product of `shape`.
    public init(values: Values, shape: [Int], params: QuantParams, granularity: QuantScheme.Granularity, bits: Int) {
        precondition(values.count == shape.reduce(1, *), "QuantizedTensor: \(values.count) codes for shape \(shape)")
        self.values = values
        self.shape = shape
        self.params = params
        self.granularity = granularity
        self.bits = bits
    }

    /// Number of codes.
    public var count: Int { values.count }

    /// Width of the last dimension (columns of a weight).
    public var columns: Int { shape.last ?? 1 }

    /// Which `params` entry covers element `i` (row-major).
    public func paramIndex(ofElement i: Int) -> Int {
        QuantizedTensor.paramIndex(ofElement: i, columns: columns, granularity: granularity)
    }

    /// Number of parameter entries a `shape` tensor needs under `granularity` (1, rows, or rows·columns/G).
    public static func paramCount(shape: [Int], granularity: QuantScheme.Granularity) -> Int {
        let columns = shape.last ?? 1, rows = shape.dropLast().reduce(1, *)
        switch granularity {
        case .perTensor: return 1
        case .perChannel: return rows
        case let .perGroup(size): return size > 0 ? rows * (columns / size) : 0
        case .perEmbeddingGroup: preconditionFailure("per_embedding_group is an activation granularity, not a tensor's")
        }
    }

    /// Which parameter entry covers element `i` of a row-major tensor with `columns` columns.
    @inlinable @inline(__always)
    public static func paramIndex(ofElement i: Int, columns: Int, granularity: QuantScheme.Granularity) -> Int {
        switch granularity {
        case .perTensor: return 0
        case .perChannel: return i / columns
        case let .perGroup(size): return (i / columns) * (columns / size) + (i % columns) / size
        case .perEmbeddingGroup: preconditionFailure("per_embedding_group is an activation granularity, not a tensor's")
        }
    }

    /// The codes as `Int8` (nil if stored as `Int32`), e.g. for `qb_pack_s8`.
    public var int8Values: [Int8]? {
        if case let .int8(v) = values { return v }
        return nil
    }

    /// `x̂ = (q − z) · s` for every element.
    public func dequantized() -> Tensor {
        var out = [Float](repeating: 0, count: count)
        for i in 0..<count {
            out[i] = params.dequantize(values[i], at: paramIndex(ofElement: i))
        }
        return Tensor(shape: shape, data: out)
    }

    /// Bytes when serialized: codes bit-packed (`⌈bits·count / 8⌉`) plus 4-byte scales and zero points.
    public var storageBytes: Int { (bits * count + 7) / 8 + params.storageBytes }
}
