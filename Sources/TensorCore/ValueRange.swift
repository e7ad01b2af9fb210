import _CKernels

/// The minimum and maximum of a tensor's values, as `qb_minmax_f32` defines them: NaN elements are ignored (a
/// tensor of NaNs only gives NaN, NaN; so does the empty tensor, as the range of nothing), and a zero result is +0.
/// Order-free: the ranges of the parts of a tensor, in any split and any order, merge into the range of the whole
/// (`merging`), bit for bit. That is what lets the pass that produces a tensor (LayerNorm, GELU, attention) measure
/// it block by block while the values are still in cache and hand the range to the layer that consumes it
/// (`LinearOp.forward(_:rows:inputRange:into:)`): the consumer gets the bits it would have measured itself.
public struct ValueRange: Sendable, Equatable {
    public var min: Float
    public var max: Float

    public init(min: Float, max: Float) {
        self.min = min
        self.max = max
    }

    /// The range of no values (the identity of `merging`).
    public static let none = ValueRange(min: .nan, max: .nan)

    /// True when no non-NaN value was seen.
    public var isNone: Bool { min.isNaN }

    /// The range of both sets of values.
    public func merging(_ other: ValueRange) -> ValueRange {
        if isNone { return other }
        if other.isNone { return self }
        return ValueRange(min: Swift.min(min, other.min), max: Swift.max(max, other.max))
    }

    /// `x[0..<count]` in one call of `qb_minmax_f32` (the active kernel family's), on the calling thread.
    public static func of(_ x: UnsafePointer<Float>, count: Int) -> ValueRange {
        guard count > 0 else { return .none }
        var lo: Float = 0, hi: Float = 0
        qb_minmax_f32(x, count, &lo, &hi)
        return ValueRange(min: lo, max: hi)
    }

    /// `x[0..<count]`, split over `Parallel.threads` workers when large (at least 65,536 values per worker).
    public static func measure(_ x: UnsafePointer<Float>, count: Int) -> ValueRange {
        let chunks = Swift.max(1, Swift.min(Parallel.threads, count / 65_536))
        if chunks == 1 { return of(x, count: count) }
        var parts = [ValueRange](repeating: .none, count: chunks)
        parts.withUnsafeMutableBufferPointer { p in
            let base = p.baseAddress!
            Parallel.forEach(chunks) { c in
                let a = c * count / chunks, b = (c + 1) * count / chunks
                base[c] = of(x + a, count: b - a)
            }
        }
        return parts.reduce(.none) { $0.merging($1) }
    }
}

/// One `ValueRange` per worker of a parallel pass (`Parallel.forWorkerChunks`), merged at the end.
struct WorkerRanges {
    private var parts: [ValueRange]

    init() { parts = [ValueRange](repeating: .none, count: Parallel.threads) }

    /// Calls `body` with the slots, one per worker index.
    mutating func withSlots<R>(_ body: (UnsafeMutablePointer<ValueRange>) -> R) -> R {
        parts.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
    }

    /// The range of everything the workers measured.
    var merged: ValueRange { parts.reduce(.none) { $0.merging($1) } }
}
