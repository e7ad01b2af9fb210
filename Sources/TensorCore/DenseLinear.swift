import COpenBLAS

/// FP32 fully connected layer, PyTorch `nn.Linear` layout.
///
/// `weight` is `[out, in]` (row `n` holds the weights of output `n`), `bias` is `[out]`.
/// `y = x · Wᵀ + b`, computed with one `cblas_sgemm(RowMajor, NoTrans, Trans)`.
public struct DenseLinear: LinearOp {
    /// `[outFeatures, inFeatures]`.
    public let weight: Tensor
    /// `[outFeatures]`, or nil for a layer without bias.
    public let bias: [Float]?

    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }
    public var parameterBytes: Int { 4 * (weight.count + (bias?.count ?? 0)) }

    /// - Precondition: `weight` is rank 2 and `bias`, when present, has `weight.shape[0]` values.
    public init(weight: Tensor, bias: [Float]?) {
        precondition(weight.rank == 2, "DenseLinear: weight must be [out, in], got \(weight.shape)")
        if let bias { precondition(bias.count == weight.shape[0], "DenseLinear: bias length") }
        self.weight = weight
        self.bias = bias
    }

    public func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        let n = outFeatures, k = inFeatures
        if let bias {
            bias.withUnsafeBufferPointer { b in
                for r in 0..<rows { (y + r * n).update(from: b.baseAddress!, count: n) }
            }
        }
        weight.data.withUnsafeBufferPointer { w in
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
                        Int32(rows), Int32(n), Int32(k),
                        1, x, Int32(k), w.baseAddress!, Int32(k),
                        bias == nil ? 0 : 1, y, Int32(n))
        }
    }
}
