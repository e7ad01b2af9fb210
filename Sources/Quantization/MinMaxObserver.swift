import _CKernels

/// Running minimum and maximum (torch.ao `MinMaxObserver` / `PerChannelMinMaxObserver`), per tensor, per row
/// (a weight's output channel, or an activation's token) or per group of columns within each row.
public struct MinMaxObserver: Observer {
    /// Which values share a range.
    public enum Axis: Hashable, Sendable {
        /// One range for everything.
        case tensor
        /// One range per row of each `[rows, cols]` block (the row count must not change between calls).
        case rows
        /// One range per `size` consecutive columns of each row (`cols % size == 0`).
        case rowGroups(size: Int)
    }

    public let scheme: QuantScheme
    /// Which values share a range.
    public let axis: Axis
    /// Running minima, one per range (empty before the first observation for `.rows` / `.rowGroups`).
    public private(set) var mins: [Float]
    /// Running maxima.
    public private(set) var maxs: [Float]

    /// An observer that has seen nothing yet.
    public init(scheme: QuantScheme, axis: Axis) {
        self.scheme = scheme
        self.axis = axis
        if axis == .tensor {
            mins = [.infinity]
            maxs = [-.infinity]
        } else {
            mins = []
            maxs = []
        }
    }

    /// The axis a weight of this granularity needs (`perChannel` → rows, `perGroup` → row groups).
    public static func weightAxis(for granularity: QuantScheme.Granularity) -> Axis {
        switch granularity {
        case .perTensor: return .tensor
        case .perChannel: return .rows
        case let .perGroup(size): return .rowGroups(size: size)
        case .perEmbeddingGroup: preconditionFailure("per_embedding_group is an activation granularity (EmbeddingGroupObserver)")
        }
    }

    public mutating func observe(_ values: UnsafeBufferPointer<Float>, rows: Int, cols: Int) {
        precondition(values.count >= rows * cols, "MinMaxObserver: buffer smaller than [\(rows), \(cols)]")
        guard rows > 0, cols > 0, let base = values.baseAddress else { return }
        var lo: Float = 0, hi: Float = 0
        switch axis {
        case .tensor:
            qb_minmax_f32(base, rows * cols, &lo, &hi)
            mins[0] = Swift.min(mins[0], lo)
            maxs[0] = Swift.max(maxs[0], hi)
        case .rows:
            update(count: rows) { r in
                qb_minmax_f32(base + r * cols, cols, &lo, &hi)
                return (lo, hi)
            }
        case let .rowGroups(size):
            precondition(size > 0 && cols % size == 0, "MinMaxObserver: group size \(size) does not divide \(cols)")
            let perRow = cols / size
            update(count: rows * perRow) { g in
                qb_minmax_f32(base + (g / perRow) * cols + (g % perRow) * size, size, &lo, &hi)
                return (lo, hi)
            }
        }
    }

    private mutating func update(count: Int, _ range: (Int) -> (Float, Float)) {
        if mins.isEmpty {
            mins = [Float](repeating: .infinity, count: count)
            maxs = [Float](repeating: -.infinity, count: count)
        }
        precondition(mins.count == count, "MinMaxObserver: \(count) ranges now, \(mins.count) before")
        for i in 0..<count {
            let (lo, hi) = range(i)
            mins[i] = Swift.min(mins[i], lo)
            maxs[i] = Swift.max(maxs[i], hi)
        }
    }

    public func parameters() -> QuantParams {
        if mins.isEmpty { return scheme.params(mins: [.infinity], maxs: [-.infinity]) }
        return scheme.params(mins: mins, maxs: maxs)
    }
}
