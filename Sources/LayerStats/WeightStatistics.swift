/// How a weight was quantized, as plain data (LayerStats knows no schemes): one parameter entry per tensor,
/// per output row or per group of input columns, and which entry covers element `i`.
public struct WeightGrid: Sendable {
    /// Dequantization steps `s`, one per entry.
    public var scales: [Float]
    /// Quantization multipliers `s⁻¹` actually used (PyTorch `1.0f / s`, Q8BERT `127 / max|W|`).
    public var inverseScales: [Float]
    /// Zero points `z`.
    public var zeroPoints: [Int32]
    /// Smallest code.
    public var qmin: Int32
    /// Largest code.
    public var qmax: Int32
    /// `per_tensor`, `per_channel` or `per_group` (written to the file as is).
    public var granularity: String
    /// Group size for `per_group`, else 0.
    public var groupSize: Int

    /// - Precondition: `scales`, `inverseScales` and `zeroPoints` have the same length.
    public init(scales: [Float], inverseScales: [Float], zeroPoints: [Int32], qmin: Int32, qmax: Int32,
                granularity: String, groupSize: Int = 0) {
        precondition(scales.count == inverseScales.count && scales.count == zeroPoints.count, "WeightGrid: entry counts differ")
        self.scales = scales
        self.inverseScales = inverseScales
        self.zeroPoints = zeroPoints
        self.qmin = qmin
        self.qmax = qmax
        self.granularity = granularity
        self.groupSize = groupSize
    }

    /// Entry covering element `i` of a row-major `[rows, columns]` weight.
    @inline(__always)
    public func entry(ofElement i: Int, columns: Int) -> Int {
        switch granularity {
        case "per_channel": return i / columns
        case "per_group": return (i / columns) * (columns / groupSize) + (i % columns) / groupSize
        default: return 0
        }
    }

    /// The clip grid of entry `e`.
    public func clipParams(entry e: Int) -> ClipParams {
        ClipParams(inverseScale: inverseScales[e], zeroPoint: zeroPoints[e], qmin: qmin, qmax: qmax)
    }
}

/// Statistics of one quantized weight `w[out, in]` against its dequantized values `ŵ`: error metrics, fraction
/// of values the grid clips, histograms of `w` and of `w − ŵ`, and the grid itself (scales and zero points per
/// entry). For float16 weights there is no grid (`grid == nil`, `fractionClipped` NaN).
public struct WeightStatistics: Sendable {
    /// `[out, in]`.
    public var shape: [Int]
    /// MSE, max |err|, SQNR, cosine, relative L2 of `ŵ` against `w` (every element, Double sums).
    public var metrics: ErrorMetrics
    /// Elements whose code the clamp changed.
    public var clipped: Int
    /// `clipped` as a fraction of all elements (NaN without a grid).
    public var fractionClipped: Double
    /// Histogram of `w`.
    public var weightHistogram: Histogram
    /// Histogram of `w − ŵ`.
    public var errorHistogram: Histogram
    /// The integer grid, nil for float16.
    public var grid: WeightGrid?

    /// - Precondition: `weight.count == dequantized.count == shape.reduce(1, *)`.
    public init(weight: [Float], dequantized: [Float], shape: [Int], grid: WeightGrid?, bins: Int = Histogram.defaultBins) {
        precondition(weight.count == dequantized.count && weight.count == shape.reduce(1, *), "WeightStatistics: sizes differ")
        self.shape = shape
        self.grid = grid
        var acc = ErrorAccumulator()
        weight.withUnsafeBufferPointer { w in dequantized.withUnsafeBufferPointer { acc.add(reference: w, quantized: $0) } }
        metrics = acc.metrics
        var c = 0
        if let grid {
            let cols = shape.last ?? 1
            for i in weight.indices where grid.clipParams(entry: grid.entry(ofElement: i, columns: cols)).clips(weight[i]) { c += 1 }
            fractionClipped = weight.isEmpty ? .nan : Double(c) / Double(weight.count)
        } else {
            fractionClipped = .nan
        }
        clipped = c
        weightHistogram = Histogram(bins: bins)
        weightHistogram.add(weight)
        errorHistogram = Histogram(bins: bins)
        errorHistogram.add(zip(weight, dequantized).map { $0 - $1 })
    }
}
