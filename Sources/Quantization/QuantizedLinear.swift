import TensorCore
import _CKernels

/// Integer linear layer: int8 weights packed once, activations quantized per call (or with calibrated ranges),
/// `u8·s8` / `s8·s8` GEMM into int32, FP32 epilogue. Mirrors PyTorch's `quantized::linear_dynamic` on fbgemm
/// (`aten/src/ATen/native/quantized/cpu/qlinear_dynamic.cpp`) and Q8BERT's integer inference.
///
/// For `x[rows, K]`, weights `W_q[N, K]` (symmetric, z_w = 0) and activation parameters `(s_a, z_a)`:
///
///     A_q  = clamp(nearbyint(x · s_a⁻¹) + z_a, qmin, qmax)                 qb_quantize_{u8,s8}
///     C    = A_q · W_qᵀ  (+ b_q when the bias is int32)                      qb_qgemm_{u8s8,s8s8}_packed
///     y    = float(C − z_a · Σ_k W_q[n, k]) · (s_a · s_w[n]) (+ b)           qb_requant_f32
///
/// Without an int32 bias the last two steps are one call, `qb_qgemm_{u8s8,s8s8}_packed_f32`, which applies the
/// dequantization to the accumulators as the GEMM stores them (bit-exact with the two-step form).
///
/// then, if `options.requantizeOutput`, `y` is fake-quantized with the output scheme (`LayerScheme.outputScheme`:
/// the activation scheme unless the layer names another; Q8BERT).
/// Activations are unsigned (`u8s8`) for unsigned schemes and signed (`s8s8`) otherwise. Rows are split over
/// `Parallel.threads` workers. Per-tensor dynamic ranges cover the whole input, padding rows included — as
/// PyTorch's `FindMinMax` over `input.numel()`.
public final class QuantizedLinear: LinearOp, @unchecked Sendable {
    /// Input width `K`.
    public let inFeatures: Int
    /// Output width `N`.
    public let outFeatures: Int
    /// The scheme this layer was built from.
    public let scheme: LayerScheme
    /// Weight scales (1 per tensor or 1 per output row), zero points all 0.
    public let weightParams: QuantParams
    /// FP32 bias `[N]` (quantized per call when `scheme.options.bias == .int32`).
    public let bias: [Float]?
    /// Where activation parameters come from.
    public let activationRange: ActivationRange
    /// Where output re-quantization parameters come from (nil = no output re-quantization).
    public let outputRange: ActivationRange?
    private let packed: OpaquePointer
    private let rowSums: UnsafePointer<Int32>

    /// Builds the layer from already-quantized weights.
    ///
    /// - Precondition: `weights` is `[N, K]`, int8 codes, symmetric per-tensor or per-channel (what
    ///   `LinearQuantizer` checks before calling this); `bias` has N values.
    public init(weights: QuantizedTensor, bias: [Float]?, scheme: LayerScheme,
                activationRange: ActivationRange, outputRange: ActivationRange?) {
        precondition(weights.shape.count == 2, "QuantizedLinear: weights must be [out, in]")
        guard let codes = weights.int8Values else { preconditionFailure("QuantizedLinear: weights must be int8 codes") }
        precondition(weights.params.zeroPoints.allSatisfy { $0 == 0 }, "QuantizedLinear: weights must be symmetric")
        precondition(scheme.activation != nil, "QuantizedLinear: needs an activation scheme")
        outFeatures = weights.shape[0]
        inFeatures = weights.shape[1]
        if let bias { precondition(bias.count == outFeatures, "QuantizedLinear: bias length") }
        self.scheme = scheme
        self.weightParams = weights.params
        self.bias = bias
        self.activationRange = activationRange
        self.outputRange = outputRange
        let k = inFeatures
        guard let p = codes.withUnsafeBufferPointer({ qb_pack_s8($0.baseAddress, Int32(weights.shape[0]), Int32(k), Int32(k)) }) else {
            fatalError("QuantizedLinear: qb_pack_s8 could not allocate \(codes.count) bytes")
        }
        packed = p
        rowSums = qb_packed_row_sums(p)
    }

    deinit { qb_packed_free(packed) }

    private var activation: QuantScheme { scheme.activation! }

    /// Int8 codes + weight scales/zero points + FP32 (or int32) bias + calibrated activation/output parameters.
    public var parameterBytes: Int {
        (scheme.weight.bits * outFeatures * inFeatures + 7) / 8 + weightParams.storageBytes + 4 * (bias?.count ?? 0)
            + activationRange.storageBytes + (outputRange?.storageBytes ?? 0)
    }

    /// `y[rows, N]` from `x[rows, K]` as in the type comment.
    public func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        forward(x, rows: rows, inputRange: nil, into: y)
    }

    /// True for a dynamic per-tensor activation range: its parameters come from the min/max of the whole input.
    public var usesInputRange: Bool {
        if case .dynamicPerTensor = activationRange { return true }
        return false
    }

    /// True unless a range is measured per call over the whole tensor by the layer itself: the input's dynamic
    /// per-tensor range comes from the caller (`usesInputRange`), per-row and calibrated ranges are row-local, and
    /// the GEMM and epilogue are per row; a dynamic per-tensor *output* range (re-quantized outputs) is not.
    public var rowsAreIndependent: Bool {
        if case .grouped = activationRange { return false }
        if case .dynamicPerTensor? = outputRange { return false }
        if case .grouped? = outputRange { return false }
        return true
    }

    /// `forward` with the input's min/max measured by the caller (`ValueRange.measure` of `x[rows, K]`, e.g. in the
    /// LayerNorm pass that produced it); used only for a dynamic per-tensor range, otherwise ignored. Same bits.
    public func forward(_ x: UnsafePointer<Float>, rows: Int, inputRange: ValueRange?, into y: UnsafeMutablePointer<Float>) {
        guard rows > 0 else { return }
        let a: RowParams
        if let inputRange, case .dynamicPerTensor = activationRange {
            a = RowParams(activation.chooseParams(min: inputRange.min, max: inputRange.max))
        } else {
            a = activationRange.resolve(x, rows: rows, cols: inFeatures, scheme: activation)
        }
        integerLinear(x, rows: rows, activation: a, into: y)
        if let outputRange, let output = scheme.outputScheme {
            fakeQuantizeRows(y, rows: rows, cols: outFeatures, scheme: output, range: outputRange)
        }
    }

    /// The integer part of `forward` with activation parameters chosen by the caller (one entry, or one per
    /// row): quantize `x[rows, K]`, integer GEMM (+ int32 bias), dequantize (+ FP32 bias) into `y[rows, N]`;
    /// no output re-quantization. Quantization-aware training computes its forward values with this, so that the
    /// simulation is what this layer computes bit for bit (not `x̂ Ŵᵀ + b̂` in FP32, which differs by ulps — enough
    /// to move a dynamic output range, or to miss the exact ties `A_j = ±A_max / 2` of a max|y| range).
    /// - Precondition: `inputParams` has 1 or `rows` entries.
    public func linear(_ x: UnsafePointer<Float>, rows: Int, inputParams: [QuantScheme.ParamEntry],
                       into y: UnsafeMutablePointer<Float>) {
        guard rows > 0 else { return }
        precondition(inputParams.count == 1 || inputParams.count == rows, "QuantizedLinear.linear: parameter count")
        var a: RowParams
        if inputParams.count == 1 {
            a = RowParams(inputParams[0])
        } else {
            a = RowParams(count: rows, perRow: true)
            for (r, e) in inputParams.enumerated() {
                a.scales[r] = e.scale
                a.inverseScales[r] = e.inverseScale
                a.zeroPoints[r] = e.zeroPoint
            }
        }
        integerLinear(x, rows: rows, activation: a, into: y)
    }

    private func integerLinear(_ x: UnsafePointer<Float>, rows: Int, activation a: RowParams,
                               into y: UnsafeMutablePointer<Float>) {
        let k = inFeatures, n = outFeatures, scheme = activation
        let perChannel = weightParams.count > 1
        let intBias = self.scheme.options.bias == .int32 ? bias : nil
        let floatBias = intBias == nil ? bias : nil
        let unsigned = !scheme.signed
        a.scales.withUnsafeBufferPointer { aScale in
        a.inverseScales.withUnsafeBufferPointer { aInv in
        a.zeroPoints.withUnsafeBufferPointer { aZp in
        weightParams.scales.withUnsafeBufferPointer { wScale in
        weightParams.inverseScales.withUnsafeBufferPointer { wInv in
            Parallel.forChunks(rows, minChunk: 4) { range in
                let m = range.count, lo = range.lowerBound
                ScratchPool.withBytes(m * k) { qa in
                // 1. quantize the chunk's rows
                quantizeRows(x, rows: range, cols: k, params: a, scheme: scheme, into: qa)
                let scaleBase = aScale.baseAddress! + (a.perRow ? lo : 0)
                let zpBase = aZp.baseAddress! + (a.perRow ? lo : 0)
                // 2–4 fused: integer GEMM with the dequantize (+ FP32 bias) epilogue, no int32 buffer
                if intBias == nil {
                    let fused = { (b: UnsafePointer<Float>?) in
                        var rq = qb_requant_args(a_scale: scaleBase, a_zp: zpBase, a_per_row: a.perRow ? 1 : 0,
                                                 w_scale: wScale.baseAddress!, w_per_channel: perChannel ? 1 : 0,
                                                 bias: b)
                        if unsigned {
                            qb_qgemm_u8s8_packed_f32(Int32(m), qa.assumingMemoryBound(to: UInt8.self), Int32(k), self.packed,
                                                     0, Int32(n), &rq, y + lo * n, Int32(n))
                        } else {
                            qb_qgemm_s8s8_packed_f32(Int32(m), qa.assumingMemoryBound(to: Int8.self), Int32(k), self.packed,
                                                     0, Int32(n), &rq, y + lo * n, Int32(n))
                        }
                    }
                    if let floatBias {
                        floatBias.withUnsafeBufferPointer { fused($0.baseAddress!) }
                    } else {
                        fused(nil)
                    }
                    return
                }
                let acc = UnsafeMutablePointer<Int32>.allocate(capacity: m * n)
                defer { acc.deallocate() }
                // 2. integer GEMM
                if unsigned {
                    qb_qgemm_u8s8_packed(Int32(m), qa.assumingMemoryBound(to: UInt8.self), Int32(k), packed, 0, Int32(n), acc, Int32(n))
                } else {
                    qb_qgemm_s8s8_packed(Int32(m), qa.assumingMemoryBound(to: Int8.self), Int32(k), packed, 0, Int32(n), acc, Int32(n))
                }
                // 3. int32 bias: b_q = clamp(nearbyint(b · s_w⁻¹ · s_a⁻¹)), added to the accumulator
                if let intBias = intBias {
                    for r in 0..<m {
                        let ea = a.perRow ? lo + r : 0
                        let row = acc + r * n
                        for j in 0..<n {
                            let mult = wInv[perChannel ? j : 0] * aInv[ea]
                            row[j] = row[j] &+ QuantizedLinear.quantizeBias(intBias[j], multiplier: mult)
                        }
                    }
                }
                // 4. dequantize
                qb_requant_f32(Int32(m), Int32(n), acc, Int32(n), scaleBase, zpBase, a.perRow ? 1 : 0,
                               wScale.baseAddress!, self.rowSums, perChannel ? 1 : 0, nil, y + lo * n, Int32(n))
                }
            }
        }}}}}
    }

    /// Q8BERT's 32-bit bias: `clamp(nearbyint(b · multiplier), −(2³¹−1), 2³¹−1)` (nlp-architect
    /// `quantize(bias, bias_scale, 32)` with `bias_scale = weight_scale · input_scale`, both multipliers).
    @inlinable
    public static func quantizeBias(_ b: Float, multiplier: Float) -> Int32 {
        let v = (b * multiplier).rounded(.toNearestOrEven)
        let limit = Float(Int32.max) // 2³¹ as a float
        if v.isNaN { return 0 }
        if v <= -limit { return -Int32.max }
        if v >= limit { return Int32.max }
        return Int32(v)
    }
}
