/// Fully connected layer `y = x · Wᵀ + b` (PyTorch `nn.Linear`, weight `[out, in]`) and its gradients.
///
///     forward:  y[rows, N] = x[rows, K] · W[N, K]ᵀ + b[N]
///     backward: dx = dy · W            dW += dyᵀ · x            db += Σ_rows dy
///
/// Both passes are gemms (`TrainingScalar.gemm` → `sgemm`/`dgemm`); gradients accumulate.
public enum LinearGrad {
    /// `y = x · Wᵀ + b`; `y` is overwritten.
    public static func forward<T: TrainingScalar>(x: UnsafePointer<T>, rows: Int, weight: UnsafePointer<T>,
                                                  bias: UnsafePointer<T>?, outFeatures n: Int, inFeatures k: Int,
                                                  y: UnsafeMutablePointer<T>) {
        guard rows > 0 else { return }
        if let bias {
            for r in 0..<rows { (y + r * n).update(from: bias, count: n) }
        }
        T.gemm(transA: false, transB: true, m: rows, n: n, k: k, alpha: 1, a: x, lda: k, b: weight, ldb: k,
               beta: bias == nil ? 0 : 1, c: y, ldc: n)
    }

    /// `dx = dy · W` (overwritten; skipped when nil), `dWeight += dyᵀ · x`, `dBias += Σ_rows dy`.
    public static func backward<T: TrainingScalar>(dy: UnsafePointer<T>, x: UnsafePointer<T>, rows: Int,
                                                   weight: UnsafePointer<T>, outFeatures n: Int, inFeatures k: Int,
                                                   dx: UnsafeMutablePointer<T>?, dWeight: UnsafeMutablePointer<T>,
                                                   dBias: UnsafeMutablePointer<T>?) {
        guard rows > 0 else { return }
        if let dx {
            T.gemm(transA: false, transB: false, m: rows, n: k, k: n, alpha: 1, a: dy, lda: n, b: weight, ldb: k,
                   beta: 0, c: dx, ldc: k)
        }
        T.gemm(transA: true, transB: false, m: n, n: k, k: rows, alpha: 1, a: dy, lda: n, b: x, ldb: k,
               beta: 1, c: dWeight, ldc: k)
        if let dBias {
            for r in 0..<rows {
                let row = dy + r * n
                for j in 0..<n { dBias[j] += row[j] }
            }
        }
    }
}
