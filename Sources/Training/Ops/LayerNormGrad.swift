import TensorCore

/// LayerNorm over the last dimension and its gradients (PyTorch `nn.LayerNorm`, biased variance).
///
///     forward:  x̂ = (x − μ) · r,  r = 1 / √(σ² + ε),  y = x̂ · γ + β          (per row of width W)
///     backward: dγ += Σ_rows dy · x̂,  dβ += Σ_rows dy,
///               dx = r · (g − mean(g) − x̂ · mean(g · x̂))  with g = dy · γ
///
/// The forward pass caches `x̂` `[rows, W]` and `r` `[rows]` for the backward pass. Row statistics accumulate in
/// Double, as `Elementwise.layerNorm` does.
public enum LayerNormGrad {
    /// Writes `y`, `xhat` and `rstd`; `y` may not alias `x`.
    public static func forward<T: TrainingScalar>(x: UnsafePointer<T>, rows: Int, width: Int, gamma: UnsafePointer<T>,
                                                  beta: UnsafePointer<T>, eps: T, y: UnsafeMutablePointer<T>,
                                                  xhat: UnsafeMutablePointer<T>, rstd: UnsafeMutablePointer<T>) {
        Parallel.forChunks(rows, minChunk: 16) { range in
            for r in range {
                let row = x + r * width, xh = xhat + r * width, out = y + r * width
                var sum = 0.0
                for i in 0..<width { sum += Double(row[i]) }
                let mean = sum / Double(width)
                var sq = 0.0
                for i in 0..<width {
                    let d = Double(row[i]) - mean
                    sq += d * d
                }
                let inv = 1 / (sq / Double(width) + Double(eps)).squareRoot()
                let m = T(mean), rs = T(inv)
                rstd[r] = rs
                for i in 0..<width {
                    let v = (row[i] - m) * rs
                    xh[i] = v
                    out[i] = v * gamma[i] + beta[i]
                }
            }
        }
    }

    /// Writes `dx` (overwritten); accumulates `dGamma` and `dBeta`. `dx` may alias `dy`.
    public static func backward<T: TrainingScalar>(dy: UnsafePointer<T>, xhat: UnsafePointer<T>, rstd: UnsafePointer<T>,
                                                   rows: Int, width: Int, gamma: UnsafePointer<T>,
                                                   dx: UnsafeMutablePointer<T>, dGamma: UnsafeMutablePointer<T>,
                                                   dBeta: UnsafeMutablePointer<T>) {
        for r in 0..<rows {
            let g = dy + r * width, xh = xhat + r * width
            for i in 0..<width {
                dGamma[i] += g[i] * xh[i]
                dBeta[i] += g[i]
            }
        }
        Parallel.forChunks(rows, minChunk: 16) { range in
            for r in range {
                let g = dy + r * width, xh = xhat + r * width, out = dx + r * width
                var sumG = 0.0, sumGX = 0.0
                for i in 0..<width {
                    let gi = Double(g[i] * gamma[i])
                    sumG += gi
                    sumGX += gi * Double(xh[i])
                }
                let meanG = T(sumG / Double(width)), meanGX = T(sumGX / Double(width)), rs = rstd[r]
                for i in 0..<width {
                    out[i] = rs * (g[i] * gamma[i] - meanG - xh[i] * meanGX)
                }
            }
        }
    }
}
