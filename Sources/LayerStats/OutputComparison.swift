/// Error of one tensor (a layer output or a hidden state) of the quantized model against the FP32 model,
/// accumulated over the real rows of every batch: overall `ErrorAccumulator`, per-channel (column) sums,
/// and a histogram of the error `r − q`.
public struct OutputComparison: Sendable {
    /// Overall metrics.
    public private(set) var overall = ErrorAccumulator()
    /// Per output channel Σr², `[width]`.
    public private(set) var channelSignal: [Double] = []
    /// Per output channel Σ(r − q)², `[width]`.
    public private(set) var channelNoise: [Double] = []
    /// Histogram of `r − q`.
    public private(set) var errorHistogram: Histogram
    /// Rows compared (values per channel).
    public private(set) var rows = 0

    /// Empty statistics whose error histogram has `bins` bins.
    public init(bins: Int = Histogram.defaultBins) {
        errorHistogram = Histogram(bins: bins)
    }

    /// Compares the kept rows of `reference[rows, width]` and `quantized[rows, width]`.
    public mutating func add(reference: UnsafeBufferPointer<Float>, quantized: UnsafeBufferPointer<Float>,
                             rows n: Int, width: Int, keep: [Bool]) {
        precondition(keep.count == n && reference.count >= n * width && quantized.count >= n * width,
                     "OutputComparison: bad shape")
        guard n > 0, width > 0, let r = reference.baseAddress, let q = quantized.baseAddress else { return }
        if channelSignal.isEmpty {
            channelSignal = [Double](repeating: 0, count: width)
            channelNoise = [Double](repeating: 0, count: width)
        }
        precondition(channelSignal.count == width, "OutputComparison: width changed")
        var err = [Float](repeating: 0, count: width)
        channelSignal.withUnsafeMutableBufferPointer { cs in
            channelNoise.withUnsafeMutableBufferPointer { cn in
                for row in 0..<n where keep[row] {
                    let rp = r + row * width, qp = q + row * width
                    overall.add(rp, qp, count: width)
                    for j in 0..<width {
                        let a = Double(rp[j]), e = a - Double(qp[j])
                        cs[j] += a * a
                        cn[j] += e * e
                        err[j] = rp[j] - qp[j]
                    }
                    errorHistogram.add(err)
                    rows += 1
                }
            }
        }
    }

    /// Overall metrics.
    public var metrics: ErrorMetrics { overall.metrics }
    /// Per-channel mean squared error, `[width]`.
    public var channelMSE: [Double] { channelNoise.map { rows > 0 ? $0 / Double(rows) : .nan } }
    /// Per-channel SQNR in dB, `[width]`.
    public var channelSQNR: [Double] { zip(channelSignal, channelNoise).map { ErrorAccumulator.sqnrDB(signal: $0, noise: $1) } }
}
