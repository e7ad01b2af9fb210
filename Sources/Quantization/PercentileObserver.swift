/// Percentile of the calibration values, per tensor, from histograms (clipping rare outliers).
///
/// Magnitudes go into 2048-bin histograms over `[0, width·2048)`; when a larger value arrives the bin width
/// doubles (pairs of bins merge), so memory stays fixed whatever the number of calls. The range end is the
/// upper edge of the bin where the cumulative count reaches `percentile`% (never beyond the largest value
/// seen). Symmetric schemes use one histogram of `|x|`; affine schemes one of the values ≥ 0 (for max) and
/// one of `−x` for the negative values (for min), each with its own percentile.
public struct PercentileObserver: Observer {
    public let scheme: QuantScheme
    /// In percent, e.g. 99.99.
    public let percentile: Double
    static let binCount = 2048

    /// Histogram of magnitudes with a power-of-two-growing bin width.
    struct Histogram: Hashable, Sendable {
        var counts = [UInt64](repeating: 0, count: PercentileObserver.binCount)
        var width: Float = 0
        var total: UInt64 = 0
        var largest: Float = 0

        mutating func add(_ v: Float) {
            guard v.isFinite else { return }
            total += 1
            largest = Swift.max(largest, v)
            if v == 0 {
                counts[0] += 1
                return
            }
            if width == 0 { width = v / Float(PercentileObserver.binCount) * 2 }
            while v >= width * Float(PercentileObserver.binCount) { grow() }
            counts[Swift.min(Int(v / width), PercentileObserver.binCount - 1)] += 1
        }

        mutating func grow() {
            var merged = [UInt64](repeating: 0, count: counts.count)
            for i in 0..<counts.count { merged[i / 2] += counts[i] }
            counts = merged
            width *= 2
        }

        func value(atPercentile p: Double) -> Float {
            guard total > 0 else { return 0 }
            let target = UInt64((Double(total) * p / 100).rounded(.up))
            var cum: UInt64 = 0
            for (i, c) in counts.enumerated() {
                cum += c
                if cum >= target { return Swift.min(Float(i + 1) * width, largest) }
            }
            return largest
        }
    }

    var magnitudes = Histogram()
    var negatives = Histogram()

    /// An observer that has seen nothing yet; `percentile` in percent.
    public init(scheme: QuantScheme, percentile: Double) {
        self.scheme = scheme
        self.percentile = percentile
    }

    public mutating func observe(_ values: UnsafeBufferPointer<Float>, rows: Int, cols: Int) {
        let n = rows * cols
        if scheme.symmetric {
            for i in 0..<n { magnitudes.add(Swift.abs(values[i])) }
        } else {
            for i in 0..<n {
                let v = values[i]
                if v >= 0 { magnitudes.add(v) } else { negatives.add(-v) }
            }
        }
    }

    public func parameters() -> QuantParams {
        guard magnitudes.total + negatives.total > 0 else { return scheme.params(mins: [.infinity], maxs: [-.infinity]) }
        let hi = magnitudes.value(atPercentile: percentile)
        if scheme.symmetric { return scheme.params(mins: [-hi], maxs: [hi]) }
        return scheme.params(mins: [-negatives.value(atPercentile: percentile)], maxs: [hi])
    }
}
