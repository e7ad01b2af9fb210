import COpenBLAS
import _CKernels

/// General matrix multiply on row-major buffers: the one FP32/FP64 GEMM entry point (`DenseLinear`, DeBERTa's
/// attention, training's forward and backward passes, the doctor's sgemm timing; BERT's attention runs the same FMA
/// chains fused, in `FusedAttention`); no other module calls `cblas_*gemm` itself:
///
///     C[m, n] = alpha · op(A) · op(B) + beta · C        op(X) = X or Xᵀ
///
/// `A` is `[m, k]` (or `[k, m]` when `transA`), `B` is `[k, n]` (or `[n, k]` when `transB`); `lda`, `ldb`, `ldc`
/// are the row strides of the stored matrices. `sgemm` follows `Numerics.mode`: `qb_sgemm` (deterministic, one
/// thread: callers split rows) or `cblas_sgemm` (CblasRowMajor, threads follow `BLASRuntime.threads`); `dgemm` is
/// always `cblas_dgemm`.
public enum Gemm {
    /// Single precision. `reproducible`: `qb_sgemm`, each element `acc = fma(op(A)[m, k], op(B)[k, n], acc)` for
    /// k = 0..<K from 0, then `alpha · acc` (skipped when alpha is 1) `+ beta · C` (`C + t` when beta is 1, `t`
    /// when 0), the same bits on every CPU and split; `fast`: `cblas_sgemm`.
    public static func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
                             a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        if Numerics.mode == .reproducible {
            let status = qb_sgemm(transA ? 1 : 0, transB ? 1 : 0, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda),
                                  b, Int32(ldb), beta, c, Int32(ldc))
            precondition(status == 0, "qb_sgemm: out of memory packing a [\(k), \(n)] operand")
            return
        }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Double precision: `cblas_dgemm` (gradient checks in float64).
    public static func dgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Double = 1,
                             a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
                             beta: Double = 0, c: UnsafeMutablePointer<Double>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
