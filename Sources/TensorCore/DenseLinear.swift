import _CKernels

/// FP32 fully connected layer, PyTorch `nn.Linear` layout.
///
/// `weight` is `[out, in]` (row `n` holds the weights of output `n`), `bias` is `[out]`.
/// `y = x · Wᵀ + b` with `y` first set to `b` (beta = 1: each element is `b[n] + chain`).
/// `numerics: fast`: `Gemm.sgemm(transB: true)` (`cblas_sgemm(RowMajor, NoTrans, Trans)`): one call, or — when
/// OpenBLAS is single-threaded and `Parallel.threads > 1` (inside `Parallel.withSingleThreadedBLAS`) — one call per
/// chunk of rows, split over our workers. `reproducible`: `qb_sgemm_packed` on `W` packed once (`PackedWeights`),
/// rows split over our workers whenever `Parallel.threads > 1`; every split gives the same bits.
public struct DenseLinear: LinearOp {
    /// `[outFeatures, inFeatures]`.
    public let weight: Tensor
    /// `[outFeatures]`, or nil for a layer without bias.
    public let bias: [Float]?
    /// `weight` packed for the deterministic GEMM on first use in `reproducible` mode.
    private let packedWeights = PackedWeights()

    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }
    public var parameterBytes: Int { 4 * (weight.count + (bias?.count ?? 0)) }

    /// True in `reproducible` numerics (`qb_sgemm`: each element its own FMA chain, the same bits for any row
    /// split); false in `fast`, where OpenBLAS may take another path for fewer rows.
    public var rowsAreIndependent: Bool { Numerics.mode == .reproducible }

    /// - Precondition: `weight` is rank 2 and `bias`, when present, has `weight.shape[0]` values.
    public init(weight: Tensor, bias: [Float]?) {
        precondition(weight.rank == 2, "DenseLinear: weight must be [out, in], got \(weight.shape)")
        if let bias { precondition(bias.count == weight.shape[0], "DenseLinear: bias length") }
        self.weight = weight
        self.bias = bias
    }

    public func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        let n = outFeatures, k = inFeatures
        let reproducible = Numerics.mode == .reproducible
        let split = Parallel.threads > 1 && (reproducible || BLASRuntime.threads == 1)
        weight.data.withUnsafeBufferPointer { w in
            let pack = reproducible ? packedWeights.packed(weight: w.baseAddress!, n: n, k: k) : nil
            let run = { (b: UnsafePointer<Float>?) in
                let body = { (range: Range<Int>) in
                    let xr = x + range.lowerBound * k, yr = y + range.lowerBound * n
                    if let b {
                        for r in 0..<range.count { (yr + r * n).update(from: b, count: n) }
                    }
                    if let pack {
                        qb_sgemm_packed(0, Int32(range.count), 1, xr, Int32(k), pack, b == nil ? 0 : 1, yr, Int32(n))
                    } else {
                        Gemm.sgemm(transB: true, m: range.count, n: n, k: k, a: xr, lda: k, b: w.baseAddress!, ldb: k,
                                   beta: b == nil ? 0 : 1, c: yr, ldc: n)
                    }
                }
                if split { Parallel.forChunks(rows, minChunk: 32, body) } else { body(0..<rows) }
            }
            if let bias { bias.withUnsafeBufferPointer { run($0.baseAddress!) } } else { run(nil) }
        }
    }
}
