import TensorCore
import _CKernels

/// Integer linear layer with per-embedding-group (PEG) activations (Bondarenko et al. 2021, §4): the input's K
/// columns, in the calibrated order of `layout`, form G groups of K/G, each with its own calibrated scale and zero
/// point; one int32 GEMM per group over its column slice, dequantized per group and summed in FP32 in group order.
///
/// For `x[rows, K]`, symmetric weights `W_q[N, K]` (scale `s_w` per tensor or per output row), the layout's order
/// π and groups g = 0..<G over the permuted positions `[g·K/G, (g+1)·K/G)`:
///
///     A_q[r, j] = clamp(nearbyint(x[r, π(j)] · s_g⁻¹) + z_g, qmin, qmax)      g = group of j    EmbeddingGroups.quantize
///     C_g       = A_q[:, g] · W_q[:, π(g)]ᵀ                                  int32 per group
///     v_g       = float(C_g − z_g · Σ_{j∈g} W_q[n, π(j)]) · (s_g · s_w[n])
///     y         = ((v_0 + v_1) + … + v_{G−1}) + b                             FP32, left to right
///
/// (`qb_qgemm_grouped_packed_f32`, bit-exact with its scalar reference `qb_qgemm_grouped_f32_ref`). The weight's
/// columns are permuted once, here, and packed per group. Rows are split over `Parallel.threads` workers.
public final class EmbeddingGroupLinear: LinearOp, @unchecked Sendable {
    /// Input width `K`.
    public let inFeatures: Int
    /// Output width `N`.
    public let outFeatures: Int
    /// The scheme this layer was built from.
    public let scheme: LayerScheme
    /// Weight scales (1 per tensor or 1 per output row), zero points all 0.
    public let weightParams: QuantParams
    /// Column order and group count.
    public let layout: EmbeddingGroups
    /// Calibrated activation parameters, one entry per group.
    public let inputParams: QuantParams
    /// FP32 bias `[N]`.
    public let bias: [Float]?
    private let packs: [OpaquePointer?]
    private let starts: [Int32]

    /// - Throws: `QuantizationError.layerShape` when the layout does not fit the weight (G ∤ K, not a
    ///   permutation, wrong parameter count).
    /// - Precondition: `weights` is `[N, K]` int8 codes, symmetric per tensor or per channel.
    public init(weights: QuantizedTensor, bias: [Float]?, scheme: LayerScheme, layout: EmbeddingGroups,
                params: QuantParams, name: String) throws {
        precondition(weights.shape.count == 2, "EmbeddingGroupLinear: weights must be [out, in]")
        guard let codes = weights.int8Values else { preconditionFailure("EmbeddingGroupLinear: weights must be int8 codes") }
        precondition(weights.params.zeroPoints.allSatisfy { $0 == 0 }, "EmbeddingGroupLinear: weights must be symmetric")
        let n = weights.shape[0], k = weights.shape[1]
        guard layout.width == k else {
            throw QuantizationError.layerShape(layer: name, reason: "per_embedding_group layout has \(layout.width) columns, the weight \(k)")
        }
        try layout.validate(layer: name)
        guard params.count == layout.groups else {
            throw QuantizationError.layerShape(layer: name, reason: "\(params.count) activation parameter entries for \(layout.groups) groups")
        }
        if let bias { precondition(bias.count == n, "EmbeddingGroupLinear: bias length") }
        inFeatures = k
        outFeatures = n
        self.scheme = scheme
        self.weightParams = weights.params
        self.layout = layout
        self.inputParams = params
        self.bias = bias
        let w = layout.groupWidth
        var packs: [OpaquePointer?] = []
        var slice = [Int8](repeating: 0, count: n * w)
        for g in 0..<layout.groups {
            for r in 0..<n {
                for j in 0..<w { slice[r * w + j] = codes[r * k + layout.order[g * w + j]] }
            }
            guard let p = slice.withUnsafeBufferPointer({ qb_pack_s8($0.baseAddress, Int32(n), Int32(w), Int32(w)) }) else {
                fatalError("EmbeddingGroupLinear: qb_pack_s8 could not allocate \(n * w) bytes")
            }
            packs.append(p)
        }
        self.packs = packs
        starts = layout.starts.map { Int32($0) }
    }

    deinit { for p in packs { qb_packed_free(p) } }

    /// Int8 codes + weight scales + FP32 bias + per-group parameters (+ the column order when permuted).
    public var parameterBytes: Int {
        (scheme.weight.bits * outFeatures * inFeatures + 7) / 8 + weightParams.storageBytes + 4 * (bias?.count ?? 0)
            + ActivationRange.grouped(layout, inputParams).storageBytes
    }

    /// `y[rows, N]` from `x[rows, K]` as in the type comment.
    public func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        guard rows > 0 else { return }
        let k = inFeatures, n = outFeatures
        let signed = scheme.activation!.signed
        let perChannel = weightParams.count > 1
        let zeroPoints = inputParams.zeroPoints.allSatisfy { $0 == 0 } ? nil : inputParams.zeroPoints
        packs.withUnsafeBufferPointer { pk in
        starts.withUnsafeBufferPointer { st in
        inputParams.scales.withUnsafeBufferPointer { gs in
        weightParams.scales.withUnsafeBufferPointer { ws in
            Parallel.forChunks(rows, minChunk: 4) { range in
                let m = range.count, lo = range.lowerBound
                let qa = UnsafeMutableRawPointer.allocate(byteCount: m * k, alignment: 64)
                defer { qa.deallocate() }
                layout.quantize(x + lo * k, rows: m, params: inputParams, signed: signed, into: qa)
                let run = { (zp: UnsafePointer<Int32>?, b: UnsafePointer<Float>?) in
                    qb_qgemm_grouped_packed_f32(Int32(m), qa.assumingMemoryBound(to: UInt8.self), Int32(k), signed ? 1 : 0,
                                                Int32(self.layout.groups), st.baseAddress!, pk.baseAddress!, gs.baseAddress!, zp,
                                                ws.baseAddress!, perChannel ? 1 : 0, b, 0, Int32(n), y + lo * n, Int32(n))
                }
                switch (zeroPoints, self.bias) {
                case let (z?, b?): z.withUnsafeBufferPointer { zp in b.withUnsafeBufferPointer { run(zp.baseAddress, $0.baseAddress) } }
                case let (z?, nil): z.withUnsafeBufferPointer { run($0.baseAddress, nil) }
                case let (nil, b?): b.withUnsafeBufferPointer { run(nil, $0.baseAddress) }
                case (nil, nil): run(nil, nil)
                }
            }
        }}}}
    }
}
