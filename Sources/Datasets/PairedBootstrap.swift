import TensorCore

/// How the error bars of a run were drawn (`results.json` `bootstrap`): `replicates` resamples of the evaluation
/// examples, drawn with replacement by `SeededRandom(seed:)`, percentile intervals at `confidence`.
public struct BootstrapSettings: Sendable, Equatable, Codable {
    /// Resamples B.
    public var replicates: Int
    public var seed: UInt64
    /// `percentile`: the (1 − confidence)/2 and (1 + confidence)/2 quantiles of the replicates (NumPy's default,
    /// linear interpolation between order statistics). The only method there is.
    public var method: String
    /// 0.95.
    public var confidence: Double
    /// What is resampled: `examples, paired` (one set of resampled examples per replicate, shared by every scheme).
    public var resampling: String

    /// The defaults of a sweep: B = 1000 (Efron & Tibshirani's minimum for percentile intervals), 95%.
    public static let defaultReplicates = 1000
    public static let methods = ["percentile"]

    public init(replicates: Int = BootstrapSettings.defaultReplicates, seed: UInt64, method: String = "percentile",
                confidence: Double = 0.95) {
        self.replicates = replicates
        self.seed = seed
        self.method = method
        self.confidence = confidence
        resampling = "examples, paired"
    }

    /// Why these settings cannot be used (a results.json edited by hand), or nil.
    public var problem: String? {
        if replicates < 1 || replicates > 1_000_000 { return "replicates \(replicates); expected 1…1000000" }
        if !(confidence > 0 && confidence < 1) { return "confidence \(confidence); expected a number in (0, 1)" }
        if !Self.methods.contains(method) { return "method '\(method.prefix(40))'; expected " + Self.methods.joined(separator: ", ") }
        return nil
    }
}

/// A paired bootstrap of binary-classification metrics over several classifiers (schemes) of the same examples:
/// replicate `r` draws `n` example indices with replacement, the **same** indices for every classifier, and counts
/// each classifier's confusion matrix over them; F1 and accuracy of the replicate come from those integer counts
/// (F1 = 2·TP / (2·TP + FP + FN), 0 when the denominator is 0, as `ClassificationMetrics`). Differences between two
/// classifiers (ΔF1) are taken within each replicate, so their interval reflects only the examples on which the two
/// disagree. Nothing is summed in floating point across examples, so the result is the same on every machine and
/// thread count for the same predictions, settings and seed.
///
/// Cost: `B · n` draws plus `B · n · schemes` integer increments (1000 × 408 × 20 ≈ 8 M).
/// Reference: Efron & Tibshirani, *An Introduction to the Bootstrap* (1993), ch. 13 (percentile intervals) and
/// §14 (paired comparisons); Koehn, "Statistical Significance Tests for Machine Translation Evaluation" (2004),
/// for the paired resampling of a test set.
public struct PairedBootstrap: Sendable {
    public let settings: BootstrapSettings
    /// `f1[s][r]`: F1 of classifier `s` in replicate `r`.
    public let f1: [[Double]]
    /// `accuracy[s][r]`.
    public let accuracy: [[Double]]

    /// - Parameters:
    ///   - labels: `[n]`, 1 = positive.
    ///   - predictions: `[schemes][n]`, in the order of `labels`; positive means `== 1`.
    /// - Precondition: `settings.problem == nil`, `n > 0`, every row has `n` predictions.
    public init(labels: [Int], predictions: [[Int]], settings: BootstrapSettings) {
        precondition(settings.problem == nil, "PairedBootstrap: \(settings.problem ?? "")")
        let n = labels.count
        precondition(n > 0, "PairedBootstrap: no examples")
        precondition(predictions.allSatisfy { $0.count == n }, "PairedBootstrap: prediction rows must have \(n) entries")
        self.settings = settings
        // Per example and scheme, the confusion cell: 2·(prediction positive) + (label positive).
        let cells: [[UInt8]] = predictions.map { p in
            (0..<n).map { UInt8((p[$0] == 1 ? 2 : 0) + (labels[$0] == 1 ? 1 : 0)) }
        }
        let b = settings.replicates
        var f1 = [[Double]](repeating: [Double](repeating: 0, count: b), count: predictions.count)
        var accuracy = f1
        var rng = SeededRandom(seed: settings.seed)
        var weight = [Int32](repeating: 0, count: n)
        for r in 0..<b {
            for i in 0..<n { weight[i] = 0 }
            for _ in 0..<n { weight[rng.index(below: n)] += 1 }
            for s in cells.indices {
                var counts: (Int32, Int32, Int32, Int32) = (0, 0, 0, 0)   // tn, fn, fp, tp
                cells[s].withUnsafeBufferPointer { c in
                    weight.withUnsafeBufferPointer { w in
                        for i in 0..<n {
                            switch c[i] {
                            case 0: counts.0 += w[i]
                            case 1: counts.1 += w[i]
                            case 2: counts.2 += w[i]
                            default: counts.3 += w[i]
                            }
                        }
                    }
                }
                let (tn, fn, fp, tp) = (Int(counts.0), Int(counts.1), Int(counts.2), Int(counts.3))
                let denominator = 2 * tp + fp + fn
                f1[s][r] = denominator == 0 ? 0 : Double(2 * tp) / Double(denominator)
                accuracy[s][r] = Double(tp + tn) / Double(n)
            }
        }
        self.f1 = f1
        self.accuracy = accuracy
    }

    /// The percentile interval of classifier `s`'s F1.
    public func f1Interval(_ s: Int) -> ConfidenceInterval { interval(f1[s]) }

    /// The percentile interval of classifier `s`'s accuracy.
    public func accuracyInterval(_ s: Int) -> ConfidenceInterval { interval(accuracy[s]) }

    /// The percentile interval of `F1[s] − F1[reference]`, replicate by replicate.
    public func deltaF1Interval(_ s: Int, minus reference: Int) -> ConfidenceInterval {
        interval(zip(f1[s], f1[reference]).map { $0 - $1 })
    }

    func interval(_ values: [Double]) -> ConfidenceInterval { Self.percentileInterval(values, confidence: settings.confidence) }

    /// The percentile interval of `values` (any order): the quantiles at `tail = (1 − confidence)/2` and
    /// `1 − tail`, as `np.quantile(values, [tail, 1 − tail])`.
    public static func percentileInterval(_ values: [Double], confidence: Double) -> ConfidenceInterval {
        let tail = (1 - confidence) / 2
        let sorted = values.sorted()
        return ConfidenceInterval(lower: quantile(sorted, tail), upper: quantile(sorted, 1 - tail))
    }

    /// The `q`-quantile of ascending `sorted` values, NumPy's default (`np.quantile(x, q)`, "linear"): position
    /// `h = (count − 1)·q`, `x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋ + 1] − x[⌊h⌋])`.
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let h = Double(sorted.count - 1) * q
        let lo = Int(h.rounded(.down))
        guard lo + 1 < sorted.count else { return sorted[sorted.count - 1] }
        let frac = h - Double(lo)
        return frac == 0 ? sorted[lo] : sorted[lo] + frac * (sorted[lo + 1] - sorted[lo])
    }
}
