import TensorCore

/// Simulated ("fake") quantization in FP32, for schemes the integer kernels cannot run: per-group or affine
/// weights, and weight-only schemes (FP32 activations). Also a float reference for any integer scheme.
///
///     Ŵ = dequantize(quantize(W))                        once, at construction
///     x̂ = (clamp(nearbyint(x · s_a⁻¹) + z_a) − z_a) · s_a  per call (if there is an activation scheme)
///     y = x̂ · Ŵᵀ + b̂                                    cblas_sgemm (DenseLinear)
///
/// `b̂` is the FP32 bias, or for an int32 bias `clamp(nearbyint(b · s_w⁻¹ s_a⁻¹)) · s_w s_a` per call.
/// Output re-quantization, if requested, fake-quantizes `y` with the output scheme (`LayerScheme.outputScheme`).
public struct FakeQuantLinear: LinearOp {
    /// The scheme this layer simulates.
    public let scheme: LayerScheme
    /// Parameters of the weight codes.
    public let weightParams: QuantParams
    /// Dequantized weights `Ŵ` (no bias; the bias is added after the GEMM).
    public let dequantized: DenseLinear
    /// FP32 bias `[N]`.
    public let bias: [Float]?
    /// Activation parameter source (nil = FP32 activations).
    public let activationRange: ActivationRange?
    /// Output re-quantization parameter source (nil = none).
    public let outputRange: ActivationRange?

    /// - Precondition: `weights` is the `[N, K]` quantization of a layer under `scheme.weight`.
    public init(weights: QuantizedTensor, bias: [Float]?, scheme: LayerScheme,
                activationRange: ActivationRange?, outputRange: ActivationRange?) {
        precondition(weights.shape.count == 2, "FakeQuantLinear: weights must be [out, in]")
        if let bias { precondition(bias.count == weights.shape[0], "FakeQuantLinear: bias length") }
        self.scheme = scheme
        self.weightParams = weights.params
        self.dequantized = DenseLinear(weight: weights.dequantized(), bias: nil)
        self.bias = bias
        self.activationRange = activationRange
        self.outputRange = outputRange
    }

    public var inFeatures: Int { dequantized.inFeatures }
    public var outFeatures: Int { dequantized.outFeatures }

    /// What the scheme would take serialized: bit-packed codes + scales/zero points + 4-byte bias + calibrated
    /// parameters.
    public var parameterBytes: Int {
        (scheme.weight.bits * dequantized.weight.count + 7) / 8 + weightParams.storageBytes + 4 * (bias?.count ?? 0)
            + (activationRange?.storageBytes ?? 0) + (outputRange?.storageBytes ?? 0)
    }

    /// Fake-quantizes `x` (if the scheme has activations), sgemm with `Ŵ`, adds the bias, re-quantizes the output.
    public func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        guard rows > 0 else { return }
        let k = inFeatures, n = outFeatures
        var a: RowParams? = nil
        if let activation = scheme.activation, let activationRange {
            let xq = UnsafeMutablePointer<Float>.allocate(capacity: rows * k)
            defer { xq.deallocate() }
            xq.update(from: x, count: rows * k)
            let p = activationRange.resolve(x, rows: rows, cols: k, scheme: activation)
            fakeQuantizeRows(xq, rows: rows, cols: k, scheme: activation, params: p)
            a = p
            dequantized.forward(UnsafePointer(xq), rows: rows, into: y)
        } else {
            dequantized.forward(x, rows: rows, into: y)
        }
        if let bias { addBias(bias, activation: a, rows: rows, into: y) }
        if let outputRange, let output = scheme.outputScheme {
            fakeQuantizeRows(y, rows: rows, cols: n, scheme: output, range: outputRange)
        }
    }

    private func addBias(_ bias: [Float], activation a: RowParams?, rows: Int, into y: UnsafeMutablePointer<Float>) {
        let n = outFeatures
        let perChannel = weightParams.count > 1
        let int32 = scheme.options.bias == .int32
        bias.withUnsafeBufferPointer { b in
            Parallel.forChunks(rows, minChunk: 16) { range in
                for r in range {
                    let row = y + r * n
                    if int32, let a {
                        let e = a.perRow ? r : 0
                        for j in 0..<n {
                            let w = perChannel ? j : 0
                            let q = QuantizedLinear.quantizeBias(b[j], multiplier: weightParams.inverseScales[w] * a.inverseScales[e])
                            row[j] += Float(q) * (weightParams.scales[w] * a.scales[e])
                        }
                    } else {
                        for j in 0..<n { row[j] += b[j] }
                    }
                }
            }
        }
    }
}
