import Foundation

/// Range statistics of one layer's input activations over the real (unmasked) rows of every batch: what a
/// researcher needs to choose static ranges.
///
/// Tracks min, max, mean, standard deviation, `|x|` percentiles (`MagnitudePercentiles`), a signed fixed-bin
/// `Histogram`, per-input-channel min and max (outlier channels), and — when the caller passes the grid the
/// scheme quantizes the input onto — how many values that grid clips (`ClipParams`).
public struct RangeAccumulator: Sendable {
    /// Real values seen.
    public private(set) var count = 0
    /// Smallest value (+inf before any).
    public private(set) var min = Float.infinity
    /// Largest value (−inf before any).
    public private(set) var max = -Float.infinity
    /// Σx in Double (for the mean).
    public private(set) var sum = 0.0
    /// Σx² in Double (for the standard deviation).
    public private(set) var sumSquares = 0.0
    /// `|x|` percentile histogram.
    public private(set) var magnitudes = MagnitudePercentiles()
    /// Signed histogram of the values.
    public private(set) var histogram: Histogram
    /// Per input channel (column) minimum, `[width]`.
    public private(set) var channelMin: [Float] = []
    /// Per input channel (column) maximum, `[width]`.
    public private(set) var channelMax: [Float] = []
    /// Values checked against a clip grid.
    public private(set) var clipChecked = 0
    /// Values the grid clipped.
    public private(set) var clipped = 0

    /// Empty statistics whose histogram has `bins` bins.
    public init(bins: Int = Histogram.defaultBins) {
        histogram = Histogram(bins: bins)
    }

    /// Adds the kept rows of `values[rows, width]`.
    /// - Parameter clip: the grid per call — one entry for the whole tensor, or one per row (per-token ranges);
    ///   nil when no grid is known (FP32 layers).
    public mutating func add(_ values: UnsafeBufferPointer<Float>, rows: Int, width: Int, keep: [Bool],
                             clip: [ClipParams]? = nil) {
        precondition(values.count >= rows * width && keep.count == rows, "RangeAccumulator: bad shape")
        guard rows > 0, width > 0, let base = values.baseAddress else { return }
        if channelMin.isEmpty {
            channelMin = [Float](repeating: .infinity, count: width)
            channelMax = [Float](repeating: -.infinity, count: width)
        }
        precondition(channelMin.count == width, "RangeAccumulator: width changed from \(channelMin.count) to \(width)")
        if let clip { precondition(clip.count == 1 || clip.count == rows, "RangeAccumulator: \(clip.count) clip entries for \(rows) rows") }
        var lo = min, hi = max, s = 0.0, ss = 0.0, clippedHere = 0
        channelMin.withUnsafeMutableBufferPointer { cmin in
            channelMax.withUnsafeMutableBufferPointer { cmax in
                for r in 0..<rows where keep[r] {
                    let row = base + r * width
                    let grid = clip.map { $0.count == 1 ? $0[0] : $0[r] }
                    for j in 0..<width {
                        let x = row[j]
                        if x < lo { lo = x }
                        if x > hi { hi = x }
                        if x < cmin[j] { cmin[j] = x }
                        if x > cmax[j] { cmax[j] = x }
                        let d = Double(x)
                        s += d
                        ss += d * d
                    }
                    if let grid {
                        for j in 0..<width where grid.clips(row[j]) { clippedHere += 1 }
                    }
                    magnitudes.add(row, count: width)
                    histogram.add(row, count: width)
                    count += width
                }
            }
        }
        if clip != nil {
            clipChecked += keep.reduce(0) { $0 + ($1 ? width : 0) }
            clipped += clippedHere
        }
        min = lo
        max = hi
        sum += s
        sumSquares += ss
    }

    /// Mean of the values (NaN before any).
    public var mean: Double { count > 0 ? sum / Double(count) : .nan }
    /// Population standard deviation.
    public var standardDeviation: Double {
        guard count > 0 else { return .nan }
        let m = mean
        return Swift.max(0, sumSquares / Double(count) - m * m).squareRoot()
    }
    /// Fraction of checked values the clip grid clipped; NaN when no grid was given.
    public var fractionClipped: Double { clipChecked > 0 ? Double(clipped) / Double(clipChecked) : .nan }
    /// Largest `|x|`.
    public var absMax: Double { count > 0 ? Double(Swift.max(-min, max)) : .nan }
    /// `|x|` percentiles 99, 99.9, 99.99 (`MagnitudePercentiles.reported`).
    public var reportedPercentiles: [Double] { MagnitudePercentiles.reported.map { magnitudes.percentile($0) } }
}
