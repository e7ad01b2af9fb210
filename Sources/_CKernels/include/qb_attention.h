// Fused FP32 attention of one (batch, head): scores, masked softmax and the probability-weighted sum of values in
// one pass over blocks of query rows, the scores of a block kept in a small scratch (L1) instead of an [S, S]
// matrix written and read back.
//
// Shapes (row-major, each with its own row stride): Q [S, d] (ldq), K [L, d] (ldk), V [L, d] (ldv), keep [L],
// ctx [S, d] (ldc). For every query row i < S:
//   s[i, j]   = acc over t = 0, 1, …, d−1 of  acc = fmaf(Q[i, t], K[j, t], acc)  from acc = 0      (j < L)
//   p[i, :L]  = softmax(s[i, :L], scale, keep)      qb_softmax_masked_f32_det if det, else qb_softmax_masked_f32
//   ctx[i, c] = acc over j = 0, 1, …, L−1 of  acc = fmaf(p[i, j], V[j, c], acc)  from acc = 0     (c < d)
// so both products are exactly qb_sgemm's definition (qb_sgemm.h, alpha 1, beta 0): the result is bit-identical
// with qb_sgemm(Q·Kᵀ) → softmax over L columns → qb_sgemm(P·V), the composition the engine ran before this
// kernel, on every family. Keys past L (right padding whose probability is 0) are not read at all.
//
// Versions: `_ref` (three scalar loops per row, the definition), `_avx2` (6 query rows × 16 keys and 6 rows × 16
// head dims of ymm accumulators), `_avx512` (8 rows × 32 keys and 8 rows × 32 dims of zmm), `_avx512_emu` (the
// AVX-512 source on the portable intrinsics of qb_avx512_emu.h, runs anywhere). They vectorise over independent
// outputs only (keys of Q·Kᵀ, after K is transposed once per head into scratch; head dims of P·V), each lane
// running the scalar chain in the same order, so every version equals `_ref` bit for bit (AttentionParityTests).
#ifndef QB_ATTENTION_H
#define QB_ATTENTION_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// One (batch, head): the operands of the definition above. Requires S ≥ 0, 0 ≤ L, d ≥ 0.
typedef struct qb_attention_args {
    int S, L, d;
    const float *q, *k, *v;
    int ldq, ldk, ldv;
    const float *keep; // [L]: 0 = masked (probability 0)
    float scale;       // applied inside the softmax: exp(scale·s − m)
    float *ctx;
    int ldc;
} qb_attention_args;

/// Softmax of one row in place, with the contract of qb_softmax_masked_f32 (qb_vmath.h).
typedef void (*qb_softmax_row_fn)(float *x, size_t n, float scale, const float *keep);

/// Floats of scratch every version needs for keys L and head dim d (any alignment; one buffer per thread).
size_t qb_attention_scratch_floats(int L, int d);

/// The definition, scalar; `softmax` is the row softmax to apply.
void qb_attention_f32_ref(const qb_attention_args *a, qb_softmax_row_fn softmax, float *scratch);

/// The active family's version (qb_dispatch.c: ref/amx_emu scalar, avx2 AVX2, avx512vnni/amx
/// AVX-512, avx512vnni_emu that AVX-512 source emulated) with the active family's deterministic (det ≠ 0) or fast softmax.
void qb_attention_f32(const qb_attention_args *a, int det, float *scratch);

/// Test hook: the version named "ref", "avx2", "avx512" or "avx512_emu" with the active family's softmax (det or
/// fast). Returns 0 (and does nothing) if the name is unknown or this CPU cannot run it.
int qb_attention_f32_version(const char *version, const qb_attention_args *a, int det, float *scratch);

/// Name of the active family's version: "scalar", "avx2-6x16" or "avx512-8x32".
const char *qb_attention_kernel_name(void);

#ifdef __cplusplus
}
#endif
#endif
