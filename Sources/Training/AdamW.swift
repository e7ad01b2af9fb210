import RealModule
import TensorCore

/// AdamW with decoupled weight decay (Loshchilov & Hutter; PyTorch `torch.optim.AdamW`, what HF Trainer uses).
///
/// For each parameter θ with gradient g at step t (1-based) and learning rate η:
///
///     θ ← θ − η·λ·θ                      (only parameters with `decays`: not biases, not LayerNorm)
///     m ← β₁ m + (1 − β₁) g              v ← β₂ v + (1 − β₂) g²
///     θ ← θ − (η / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
///
/// Updates are dense (as PyTorch's for an `nn.Embedding` without `sparse=True`): rows of an embedding table with
/// no gradient this step still decay and still move with their running moments.
public final class AdamW<T: TrainingScalar> {
    /// First-moment decay β₁.
    public let beta1: Double
    /// Second-moment decay β₂.
    public let beta2: Double
    /// ε added to the denominator.
    public let epsilon: Double
    /// Decoupled weight decay λ (HF Trainer: 0.0 by default; the reference fine-tune used 0.01).
    public let weightDecay: Double
    /// Steps taken.
    public private(set) var step = 0
    private var m: [[T]]
    private var v: [[T]]
    private let parameters: [Parameter<T>]

    /// An optimizer over `parameters` with PyTorch's defaults (β₁ 0.9, β₂ 0.999, ε 1e-8).
    public init(parameters: [Parameter<T>], beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                weightDecay: Double = 0.01) {
        self.parameters = parameters
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        m = parameters.map { [T](repeating: 0, count: $0.count) }
        v = m
    }

    /// One update of every parameter with learning rate `lr` from its current gradient.
    @_specialize(where T == Float)
    public func update(lr: Double) {
        step += 1
        let t = Double(step)
        let bc1 = 1 - Double.pow(beta1, t), bc2 = 1 - Double.pow(beta2, t)
        let stepSize = T(lr / bc1), sqrtBc2 = T(bc2.squareRoot())
        let b1 = T(beta1), b2 = T(beta2), eps = T(epsilon)
        for (i, p) in parameters.enumerated() {
            let decay = p.decays ? T(1 - lr * weightDecay) : 1
            p.value.withUnsafeMutableBufferPointer { w in
                p.grad.withUnsafeBufferPointer { g in
                    m[i].withUnsafeMutableBufferPointer { mp in
                        v[i].withUnsafeMutableBufferPointer { vp in
                            let wb = w.baseAddress!, gb = g.baseAddress!, mb = mp.baseAddress!, vb = vp.baseAddress!
                            Parallel.forChunks(w.count, minChunk: 65_536) { range in
                                for j in range {
                                    let gj = gb[j]
                                    let mj = b1 * mb[j] + (1 - b1) * gj
                                    let vj = b2 * vb[j] + (1 - b2) * gj * gj
                                    mb[j] = mj
                                    vb[j] = vj
                                    wb[j] = wb[j] * decay - stepSize * mj / (vj.squareRoot() / sqrtBc2 + eps)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
