import _CKernels

/// Exponential moving average of the per-call range, per tensor (static activations).
///
/// Follows nlp-architect `QuantizedLinear._update_ema` (Q8BERT): the first call sets the value, later calls do
/// `ema ← ema − c·(ema − current)` with `c = Float(1 − decay)`, all in float32. Symmetric schemes average
/// `max|x|` itself (Q8BERT's `reduce_fn = x.abs().max()`); affine schemes average min and max separately.
public struct EMAObserver: Observer {
    public let scheme: QuantScheme
    /// EMA decay (0.9999 in Q8BERT).
    public let decay: Double
    /// Averaged minimum, maximum and maximum magnitude.
    public private(set) var min: Float = 0
    public private(set) var max: Float = 0
    /// Averaged `max|x|` (what symmetric schemes use).
    public private(set) var absMax: Float = 0
    /// Number of calls seen.
    public private(set) var calls = 0

    /// An observer that has seen nothing yet.
    public init(scheme: QuantScheme, decay: Double) {
        self.scheme = scheme
        self.decay = decay
    }

    public mutating func observe(_ values: UnsafeBufferPointer<Float>, rows: Int, cols: Int) {
        guard rows * cols > 0, let base = values.baseAddress else { return }
        var lo: Float = 0, hi: Float = 0
        qb_minmax_f32(base, rows * cols, &lo, &hi)
        let mag = Swift.max(Swift.abs(lo), Swift.abs(hi))
        if calls == 0 {
            (min, max, absMax) = (lo, hi, mag)
        } else {
            let c = Float(1 - decay)
            min -= c * (min - lo)
            max -= c * (max - hi)
            absMax -= c * (absMax - mag)
        }
        calls += 1
    }

    public func parameters() -> QuantParams {
        guard calls > 0 else { return scheme.params(mins: [.infinity], maxs: [-.infinity]) }
        if scheme.symmetric { return scheme.params(mins: [-absMax], maxs: [absMax]) }
        return scheme.params(mins: [min], maxs: [max])
    }
}
