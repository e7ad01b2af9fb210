/// Gradient clipping by global norm (PyTorch `torch.nn.utils.clip_grad_norm_`, HF Trainer's `max_grad_norm`).
///
///     n = √(Σ_p Σ_i g²)        g ← g · min(1, maxNorm / (n + 1e-6))
public enum GradientClipping {
    /// The global L2 norm of every gradient (computed in Double; row-sparse parameters over touched rows).
    public static func globalNorm<T>(_ parameters: [Parameter<T>]) -> Double {
        parameters.reduce(0.0) { $0 + $1.gradientSquaredNorm() }.squareRoot()
    }

    /// Scales all gradients so their global norm is at most `maxNorm`; returns the norm before clipping.
    @discardableResult
    public static func clip<T>(_ parameters: [Parameter<T>], maxNorm: Double) -> Double {
        let norm = globalNorm(parameters)
        let coefficient = min(1, maxNorm / (norm + 1e-6))
        if coefficient < 1 {
            for p in parameters { p.scaleGradient(by: T(coefficient)) }
        }
        return norm
    }
}
