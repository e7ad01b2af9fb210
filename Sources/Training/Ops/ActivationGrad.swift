import BERT
import RealModule
import TensorCore

/// Element-wise activations of the classifier and their derivatives.
///
///     GELU (exact, HF "gelu"):  y = x · Φ(x),  Φ(x) = ½(1 + erf(x/√2)),   dy/dx = Φ(x) + x · φ(x),
///                               φ(x) = exp(−x²/2) / √(2π)
///     tanh (pooler):            y = tanh(x),   dy/dx = 1 − y²
///     ReLU (DistilBERT head):   y = max(0, x), dy/dx = 1 for x > 0, else 0 (PyTorch's choice at 0)
public enum ActivationGrad {
    /// Whether `apply` / `backward` implement `f` (the tanh-approximated GELU is not implemented yet).
    public static func supports(_ f: EncoderLayout.Activation) -> Bool { f != .geluTanh }

    /// `y = f(x)` element-wise; `y` may alias `x`.
    /// - Precondition: `supports(f)`.
    public static func apply<T: TrainingScalar>(_ f: EncoderLayout.Activation, _ x: UnsafePointer<T>, count: Int,
                                                y: UnsafeMutablePointer<T>) {
        switch f {
        case .geluErf: geluForward(x, count: count, y: y)
        case .tanh: tanhForward(x, count: count, y: y)
        case .relu: for i in 0..<count { y[i] = x[i] > 0 ? x[i] : 0 }
        case .geluTanh: preconditionFailure("ActivationGrad: gelu_new is not implemented")
        }
    }

    /// `dx = dy · f′(x)` from the input `x` and the output `y` of `apply`; `dx` may alias `dy`.
    /// - Precondition: `supports(f)`.
    public static func backward<T: TrainingScalar>(_ f: EncoderLayout.Activation, dy: UnsafePointer<T>,
                                                   x: UnsafePointer<T>, y: UnsafePointer<T>, count: Int,
                                                   dx: UnsafeMutablePointer<T>) {
        switch f {
        case .geluErf: geluBackward(dy: dy, x: x, count: count, dx: dx)
        case .tanh: tanhBackward(dy: dy, y: y, count: count, dx: dx)
        case .relu: for i in 0..<count { dx[i] = x[i] > 0 ? dy[i] : 0 }
        case .geluTanh: preconditionFailure("ActivationGrad: gelu_new is not implemented")
        }
    }

    /// `y = gelu(x)` element-wise; `y` may alias `x`. In Float this is the inference engine's kernel
    /// (`Elementwise.geluErf`: vectorised erf, |error| ≤ 1.5e-7 as ATen's), so training and evaluation agree.
    public static func geluForward<T: TrainingScalar>(_ x: UnsafePointer<T>, count: Int, y: UnsafeMutablePointer<T>) {
        if T.self == Float.self {
            let yf = UnsafeMutableRawPointer(y).assumingMemoryBound(to: Float.self)
            if UnsafeRawPointer(x) != UnsafeRawPointer(y) {
                yf.update(from: UnsafeRawPointer(x).assumingMemoryBound(to: Float.self), count: count)
            }
            Elementwise.geluErf(yf, count: count)
            return
        }
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
        if T.self == Float.self {
            geluBackwardFloat(dy: UnsafeRawPointer(dy).assumingMemoryBound(to: Float.self),
                              x: UnsafeRawPointer(x).assumingMemoryBound(to: Float.self), count: count,
                              dx: UnsafeMutableRawPointer(dx).assumingMemoryBound(to: Float.self))
            return
        }
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

    /// Float `geluBackward` with one `exp` per element: `e = exp(−x²/2)` serves both `φ(x) = e/√(2π)` and
    /// `erf(x/√2) = 1 − (a₁t + … + a₅t⁵)·e`, `t = 1/(1 + p·|x|/√2)` (Abramowitz–Stegun 7.1.26, |error| ≤ 1.5e-7,
    /// the approximation ATen's vectorised erf uses).
    static func geluBackwardFloat(dy: UnsafePointer<Float>, x: UnsafePointer<Float>, count: Int,
                                  dx: UnsafeMutablePointer<Float>) {
        let p: Float = 0.3275911, a1: Float = 0.254829592, a2: Float = -0.284496736, a3: Float = 1.421413741
        let a4: Float = -1.453152027, a5: Float = 1.061405429
        let invSqrt2: Float = 0.70710678118654752, invSqrt2Pi: Float = 0.39894228040143268
        Parallel.forChunks(count, minChunk: 4096) { range in
            for i in range {
                let v = x[i]
                let e = Float.exp(-0.5 * v * v)
                let z = abs(v) * invSqrt2
                let t = 1 / (1 + p * z)
                let poly = ((((a5 * t + a4) * t + a3) * t + a2) * t + a1) * t
                let erfAbs = 1 - poly * e
                let cdf = 0.5 * (1 + (v < 0 ? -erfAbs : erfAbs))
                dx[i] = dy[i] * (cdf + v * e * invSqrt2Pi)
            }
        }
    }
}
