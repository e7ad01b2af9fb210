import RealModule
import TensorCore

/// The element type of a trainable model: `Float` for training, `Double` for gradient checks by finite
/// differences. Every op and the whole model are generic over it; the matmuls go to `sgemm` / `dgemm`.
public protocol TrainingScalar: Real, BinaryFloatingPoint, Sendable {
    /// `C[m, n] = alpha · op(A) · op(B) + beta · C`, row-major (see `Gemm`).
    static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Self,
                     a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
                     beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
}

extension Float: TrainingScalar {
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                            a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        Gemm.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                   beta: beta, c: c, ldc: ldc)
    }
}

extension Double: TrainingScalar {
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
                            a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
                            beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        Gemm.dgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                   beta: beta, c: c, ldc: ldc)
    }
}
