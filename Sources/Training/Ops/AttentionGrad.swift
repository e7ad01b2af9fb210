import RealModule
import TensorCore

/// The layout of one multi-head attention call: `q, k, v, ctx` are `[batch·seq, heads·headDim]`, head `h` in
/// columns `h·d ..< (h+1)·d` (HF's `transpose_for_scores` without the copy).
public struct AttentionShape: Sendable, Equatable {
    public var batch: Int
    public var seq: Int
    public var heads: Int
    /// Per-head width d (scores are scaled by 1/√d).
    public var headDim: Int
    /// A layout for `batch` sequences of `seq` positions.
    public init(batch: Int, seq: Int, heads: Int, headDim: Int) {
        self.batch = batch
        self.seq = seq
        self.heads = heads
        self.headDim = headDim
    }
    /// `heads · headDim`.
    public var hidden: Int { heads * headDim }
    /// `batch · heads · seq · seq`: size of the probability tensor `[batch, heads, seq, seq]`.
    public var probabilityCount: Int { batch * heads * seq * seq }
}

/// Scaled dot-product attention with a key mask and dropout on the probabilities, and its gradients (HF
/// `BertSelfAttention` in training mode).
///
///     forward:  S = Q Kᵀ / √d,  P = softmax over kept keys (P = 0 at masked keys),  P̃ = dropout(P),  C = P̃ V
///     backward: dP̃ = dC Vᵀ,  dV = P̃ᵀ dC,  dP = dP̃ · keep / (1 − p),
///               dS = P ⊙ (dP − rowsum(dP ⊙ P)),  dQ = dS K / √d,  dK = dSᵀ Q / √d
///
/// The keep flags of the dropout are recovered from `P̃ ≠ 0` (a kept probability is positive; where `P = 0`,
/// `dS = 0` whatever the flag). Each (batch, head) pair is one job, jobs run in parallel over `Parallel.threads`
/// with single-threaded BLAS; the dropout stream of job `j` is seeded with `SeedMixer.derive(seed, j)`.
public enum AttentionGrad {
    /// Writes `probs` `[batch, heads, seq, seq]`, `dropped` (P̃; pass nil without dropout, then P̃ = P) and `ctx`.
    /// - Parameter keep: `[batch, seq]`, 1 for real tokens and 0 for padding; each row must keep at least one key.
    public static func forward<T: TrainingScalar>(q: UnsafePointer<T>, k: UnsafePointer<T>, v: UnsafePointer<T>,
                                                  keep: UnsafePointer<T>, shape: AttentionShape,
                                                  dropout: (p: Double, seed: UInt64)?,
                                                  probs: UnsafeMutablePointer<T>, dropped: UnsafeMutablePointer<T>?,
                                                  ctx: UnsafeMutablePointer<T>) {
        let S = shape.seq, d = shape.headDim, H = shape.hidden, nh = shape.heads
        let scale = 1 / T.sqrt(T(d))
        withSingleThreadedBLAS {
            Parallel.forWorkerChunks(shape.batch * nh) { _, range in
                for job in range {
                    let b = job / nh, h = job % nh
                    let off = b * S * H + h * d
                    let P = probs + job * S * S
                    // Float: raw scores, then the inference engine's softmax kernel (scale inside, as
                    // `BertModel`); other types: scaled scores, generic softmax.
                    let isFloat = T.self == Float.self
                    T.gemm(transA: false, transB: true, m: S, n: S, k: d, alpha: isFloat ? 1 : scale, a: q + off,
                           lda: H, b: k + off, ldb: H, beta: 0, c: P, ldc: S)
                    let mask = keep + b * S
                    if isFloat {
                        let pf = UnsafeMutableRawPointer(P).assumingMemoryBound(to: Float.self)
                        let mf = UnsafeRawPointer(mask).assumingMemoryBound(to: Float.self)
                        for i in 0..<S { Elementwise.maskedSoftmax(pf + i * S, width: S, scale: Float(scale), keep: mf) }
                    } else {
                        for i in 0..<S { maskedSoftmax(P + i * S, width: S, keep: mask) }
                    }
                    var used = UnsafePointer(P)
                    if let dropout, let dropped {
                        let D = dropped + job * S * S
                        D.update(from: P, count: S * S)
                        DropoutMask(count: S * S, p: dropout.p, seed: SeedMixer.derive(dropout.seed, UInt64(job))).apply(D)
                        used = UnsafePointer(D)
                    }
                    T.gemm(transA: false, transB: false, m: S, n: d, k: S, alpha: 1, a: used, lda: S, b: v + off,
                           ldb: H, beta: 0, c: ctx + off, ldc: H)
                }
            }
        }
    }

    /// Writes `dq`, `dk`, `dv` `[batch·seq, hidden]` (overwritten) from `dctx`.
    /// - Parameters:
    ///   - dropped: the forward pass's P̃, or nil when it ran without dropout.
    ///   - dropoutP: the drop probability the forward pass used (ignored when `dropped` is nil).
    public static func backward<T: TrainingScalar>(dctx: UnsafePointer<T>, q: UnsafePointer<T>, k: UnsafePointer<T>,
                                                   v: UnsafePointer<T>, probs: UnsafePointer<T>,
                                                   dropped: UnsafePointer<T>?, dropoutP: Double, shape: AttentionShape,
                                                   dq: UnsafeMutablePointer<T>, dk: UnsafeMutablePointer<T>,
                                                   dv: UnsafeMutablePointer<T>) {
        let S = shape.seq, d = shape.headDim, H = shape.hidden, nh = shape.heads
        let scale = 1 / T.sqrt(T(d))
        let keepScale = dropped == nil ? 1 : 1 / (1 - T(dropoutP))
        let workers = max(1, Parallel.threads)
        let scratch = UnsafeMutablePointer<T>.allocate(capacity: workers * S * S)
        defer { scratch.deallocate() }
        withSingleThreadedBLAS {
            Parallel.forWorkerChunks(shape.batch * nh) { worker, range in
                let dP = scratch + worker * S * S
                for job in range {
                    let b = job / nh, h = job % nh
                    let off = b * S * H + h * d
                    let P = probs + job * S * S
                    let used = dropped.map { $0 + job * S * S } ?? P
                    // dP̃ = dC Vᵀ;  dV = P̃ᵀ dC
                    T.gemm(transA: false, transB: true, m: S, n: S, k: d, alpha: 1, a: dctx + off, lda: H,
                           b: v + off, ldb: H, beta: 0, c: dP, ldc: S)
                    T.gemm(transA: true, transB: false, m: S, n: d, k: S, alpha: 1, a: used, lda: S,
                           b: dctx + off, ldb: H, beta: 0, c: dv + off, ldc: H)
                    // dS = P ⊙ (dP − rowsum(dP ⊙ P)), with dP = dP̃ · keep / (1 − p)
                    for i in 0..<S {
                        let p = P + i * S, g = dP + i * S
                        if let dropped {
                            let u = dropped + job * S * S + i * S
                            for j in 0..<S { g[j] = u[j] != 0 ? g[j] * keepScale : 0 }
                        }
                        var dot: T = 0
                        for j in 0..<S { dot += g[j] * p[j] }
                        for j in 0..<S { g[j] = p[j] * (g[j] - dot) }
                    }
                    // dQ = dS K · scale;  dK = dSᵀ Q · scale
                    T.gemm(transA: false, transB: false, m: S, n: d, k: S, alpha: scale, a: dP, lda: S,
                           b: k + off, ldb: H, beta: 0, c: dq + off, ldc: H)
                    T.gemm(transA: true, transB: false, m: S, n: d, k: S, alpha: scale, a: dP, lda: S,
                           b: q + off, ldb: H, beta: 0, c: dk + off, ldc: H)
                }
            }
        }
    }

    /// In-place softmax of one row of scaled scores over positions with `keep[j] != 0`; 0 elsewhere.
    static func maskedSoftmax<T: TrainingScalar>(_ x: UnsafeMutablePointer<T>, width: Int, keep: UnsafePointer<T>) {
        var m = -T.infinity
        for j in 0..<width where keep[j] != 0 { m = max(m, x[j]) }
        var sum: T = 0
        for j in 0..<width {
            if keep[j] != 0 {
                let e = T.exp(x[j] - m)
                x[j] = e
                sum += e
            } else {
                x[j] = 0
            }
        }
        let inv = 1 / sum
        for j in 0..<width { x[j] *= inv }
    }

    /// Runs `body` with OpenBLAS on one thread when our own workers run in parallel (no oversubscription).
    static func withSingleThreadedBLAS(_ body: () -> Void) {
        let workers = Parallel.threads
        let saved = BLASRuntime.threads
        if workers > 1 { BLASRuntime.threads = 1 }
        defer { if workers > 1 { BLASRuntime.threads = saved } }
        body()
    }
}
