import RealModule
import TensorCore

/// Element-wise activations of the classifier and their derivatives.
///
///     GELU (exact, HF "gelu"):  y = x · Φ(x),  Φ(x) = ½(1 + erf(x/√2)),   dy/dx = Φ(x) + x · φ(x),
///                               φ(x) = exp(−x²/2) / √(2π)
///     tanh (pooler):            y = tanh(x),   dy/dx = 1 − y²
public enum ActivationGrad {
    /// `y = gelu(x)` element-wise; `y` may alias `x` only if the caller keeps no other copy of `x`.
    public static func geluForward<T: TrainingScalar>(_ x: UnsafePointer<T>, count: Int, y: UnsafeMutablePointer<T>) {
        let invSqrt2 = 1 / T.sqrt(2)
        Parallel.forChunks(count, minChunk: 4096) { range in
            for i in range {
                let v = x[i]
                y[i] = v * (1 + T.erf(v * invSqrt2)) / 2
            }
        }
    }

    /// `dx = dy · gelu′(x)` from the pre-activation `x`; `dx` may alias `dy`.
    public static func geluBackward<T: TrainingScalar>(dy: UnsafePointer<T>, x: UnsafePointer<T>, count: Int,
                                                       dx: UnsafeMutablePointer<T>) {
        let invSqrt2 = 1 / T.sqrt(2), invSqrt2Pi = 1 / T.sqrt(2 * T.pi)
        Parallel.forChunks(count, minChunk: 4096) { range in
            for i in range {
                let v = x[i]
                let cdf = (1 + T.erf(v * invSqrt2)) / 2
                let pdf = T.exp(-v * v / 2) * invSqrt2Pi
                dx[i] = dy[i] * (cdf + v * pdf)
            }
        }
    }

    /// `y = tanh(x)` element-wise.
    public static func tanhForward<T: TrainingScalar>(_ x: UnsafePointer<T>, count: Int, y: UnsafeMutablePointer<T>) {
        for i in 0..<count { y[i] = T.tanh(x[i]) }
    }

    /// `dx = dy · (1 − y²)` from the output `y`; `dx` may alias `dy`.
    public static func tanhBackward<T: TrainingScalar>(dy: UnsafePointer<T>, y: UnsafePointer<T>, count: Int,
                                                       dx: UnsafeMutablePointer<T>) {
        for i in 0..<count { dx[i] = dy[i] * (1 - y[i] * y[i]) }
    }
}
