/// A linear operator whose input channels are multiplied by fixed factors first:
///
///     y = inner(x · diag(m))        x [rows, K], m [K], y [rows, N]
///
/// SmoothQuant's per-channel input division (`m_j = 1 / s_j`) where no preceding LayerNorm can absorb it (a
/// post-LayerNorm block's LayerNorm output is also the residual), as Intel Neural Compressor's `SQLinearWrapper`
/// multiplies the input by `1 / s` before its quantized linear; `inner` holds the weights already scaled by `s`
/// and quantizes what it is handed. The multiply is FP32, element by element (bit-identical at any thread count).
public struct ChannelScaledLinear: LinearOp {
    /// Per-input-channel multipliers `m [K]`.
    public let multipliers: [Float]
    /// The operator run on the scaled input.
    public let inner: any LinearOp

    /// - Precondition: `multipliers.count == inner.inFeatures`.
    public init(multipliers: [Float], inner: any LinearOp) {
        precondition(multipliers.count == inner.inFeatures, "ChannelScaledLinear: \(multipliers.count) multipliers for \(inner.inFeatures) inputs")
        self.multipliers = multipliers
        self.inner = inner
    }

    public var inFeatures: Int { inner.inFeatures }
    public var outFeatures: Int { inner.outFeatures }
    /// The inner operator's bytes plus the FP32 multipliers.
    public var parameterBytes: Int { inner.parameterBytes + 4 * multipliers.count }

    /// `inner.forward` on `x · diag(m)` (a scratch copy; `x` is not modified).
    public func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        guard rows > 0 else { return }
        let k = inFeatures
        let scaled = UnsafeMutablePointer<Float>.allocate(capacity: rows * k)
        defer { scaled.deallocate() }
        multipliers.withUnsafeBufferPointer { m in
            let mb = m.baseAddress!
            Parallel.forChunks(rows, minChunk: 16) { range in
                for r in range {
                    let src = x + r * k, dst = scaled + r * k
                    for j in 0..<k { dst[j] = src[j] * mb[j] }
                }
            }
        }
        inner.forward(UnsafePointer(scaled), rows: rows, into: y)
    }
}
