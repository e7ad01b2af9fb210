import TensorCore

/// Watches values and turns what it saw into quantization parameters (torch.ao `ObserverBase`: `forward` +
/// `calculate_qparams`, STYLE.md §2).
///
/// Observers are values: `observe` mutates, `parameters()` reads. The parameter math lives in
/// `QuantScheme.chooseParams(min:max:)`; an observer only decides *which* range(s) to pass it.
public protocol Observer: Sendable {
    /// The scheme whose `qmin`/`qmax`/`scaleRule` turn ranges into parameters.
    var scheme: QuantScheme { get }
    /// Feeds a row-major block `[rows, cols]`.
    mutating func observe(_ values: UnsafeBufferPointer<Float>, rows: Int, cols: Int)
    /// Parameters for everything observed so far (scale 1, zero point 0 before any observation).
    func parameters() -> QuantParams
}

extension Observer {
    /// Feeds a tensor, viewed as `[count / last, last]`.
    public mutating func observe(_ t: Tensor) {
        let cols = t.shape.last ?? 1
        t.data.withUnsafeBufferPointer { observe($0, rows: cols == 0 ? 0 : t.count / cols, cols: cols) }
    }
}

/// The observer a calibration pass uses for an activation scheme: `staticMinMax` → `MinMaxObserver`,
/// `staticEMA` → `EMAObserver`, `staticPercentile` → `PercentileObserver`; dynamic ranges (which ignore
/// calibration) get a per-tensor `MinMaxObserver`, handy for reporting ranges. Per-embedding-group schemes get an
/// `EmbeddingGroupObserver` (per-column min/max).
public func makeActivationObserver(for scheme: QuantScheme) -> any Observer {
    if scheme.granularity.isEmbeddingGroup { return EmbeddingGroupObserver(scheme: scheme) }
    switch scheme.range {
    case .staticMinMax, .dynamicPerTensor, .dynamicPerRow: return MinMaxObserver(scheme: scheme, axis: .tensor)
    case let .staticEMA(decay): return EMAObserver(scheme: scheme, decay: decay)
    case let .staticPercentile(p): return PercentileObserver(scheme: scheme, percentile: p)
    }
}

