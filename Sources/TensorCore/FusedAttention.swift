import _CKernels

/// Scaled dot-product attention of one (batch, head) in one fused FP32 kernel (qb_attention.h):
///
///     s[i, j]   = fma chain over t = 0..<d of Q[i, t]·K[j, t]          Q [rows, d], K [keys, d]
///     p[i, :]   = masked softmax of s[i, :keys] · scale (keep[j] == 0 → p = 0)
///     ctx[i, c] = fma chain over j = 0..<keys of p[i, j]·V[j, c]        V [keys, d], ctx [rows, d]
///
/// Both products are `Gemm.sgemm`'s `reproducible` definition (one FMA chain per element, in order from 0), so the
/// result is bit-identical with `sgemm(Q·Kᵀ)` → `Elementwise.maskedSoftmax` → `sgemm(P·V)` under `reproducible`
/// on every kernel family. The softmax follows `Numerics.mode` (`_det` or fast, as `maskedSoftmax`); under `fast`
/// the matmuls are these chains too (not OpenBLAS), so a `fast` result is the same for every family sharing a
/// softmax kernel.
public enum FusedAttention {
    /// The version the active kernel family runs: "scalar", "avx2-6x16", "avx512-8x32" or "avx512_emu-8x32".
    public static var kernelName: String { String(cString: qb_attention_kernel_name()) }

    /// Floats of scratch one call with `keys` keys and head dim `headDim` needs (one buffer per thread).
    public static func scratchCount(keys: Int, headDim: Int) -> Int {
        Int(qb_attention_scratch_floats(Int32(keys), Int32(headDim)))
    }

    /// One head: rows `q`, `k`, `v`, `ctx` at row stride `stride` (the hidden size when heads are column blocks of
    /// `[tokens, hidden]`), `keep` `[keys]`; `scratch` of `scratchCount(keys:headDim:)` floats, contents ignored.
    public static func head(rows: Int, keys: Int, headDim: Int, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                            v: UnsafePointer<Float>, stride: Int, keep: UnsafePointer<Float>, scale: Float,
                            into ctx: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        var args = qb_attention_args(S: Int32(rows), L: Int32(keys), d: Int32(headDim), q: q, k: k, v: v,
                                     ldq: Int32(stride), ldk: Int32(stride), ldv: Int32(stride), keep: keep,
                                     scale: scale, ctx: ctx, ldc: Int32(stride))
        qb_attention_f32(&args, Numerics.mode == .reproducible ? 1 : 0, scratch)
    }
}
