// Fused FP32 attention (qb_attention.h), AVX-512F. Per block of 8 query rows: Q·Kᵀ into an 8 × 32 register tile
// (16 zmm accumulators) per 32 keys, read from Kᵀ (transposed once per head in 8 × 8 AVX2 blocks), stored to
// the score tile [8][Lp] in scratch; the row softmax on each of the block's rows; then P·V into 8 × 32 tiles per
// 32 head dims, V read in place (a ragged last block of dims by masked loads and stores). Every lane is one
// output element and runs its FMA chain in the reference's order (d ascending for scores, keys ascending for the
// context), so the result is `_ref`'s bit for bit. Rows past S in the last block repeat the last row and are not
// stored.
//
// The same source compiles twice: natively (per-function target attribute) and as `_avx512_emu`
// (qb_attention_avx512_emu.c defines QB_ATTN_EMULATE) on the portable intrinsics of qb_avx512_emu.h, so the
// kernel's logic is tested bit-exact against `_ref` on CPUs without AVX-512. qb_avx512_emu.h has no
// _mm512_fmadd_ps, so the emulated build uses a local one: one fmaf per lane, the instruction's definition. Kᵀ is
// transposed by the AVX2 routine natively and by the scalar one under emulation (the same bytes: a copy).
#pragma STDC FP_CONTRACT OFF
#include "qb_kernels_internal.h"
#if QB_X86
#if defined(QB_ATTN_EMULATE)
#include "qb_avx512_emu.h"
#define QB_ATTN_TARGET
#define QB_ATTN_FN(name) name##_avx512_emu
#define QB_ATTN_TRANSPOSE qb_attention_transpose_k
#else
#include <immintrin.h>
#define QB_ATTN_TARGET QB_TARGET_AVX512F
#define QB_ATTN_FN(name) name##_avx512
#define QB_ATTN_TRANSPOSE qb_attention_transpose_k_avx2
#endif
#include <math.h>

#define QB_AMR 8 // query rows per register tile
#define QB_INLINE static inline __attribute__((always_inline)) QB_ATTN_TARGET

// tile[r·lp + 16v + x] = Σ_t fma(q_r[t], kt[t·lp + 16v + x]) for r < 8, v < nv, x < 16.
QB_INLINE void qb_attn_qk_tile(const int nv, int d, const float *const *q, const float *kt, ptrdiff_t lp,
                               float *tile) {
    __m512 acc[QB_AMR][2];
    for (int r = 0; r < QB_AMR; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    for (int t = 0; t < d; t++) {
        const float *b = kt + (ptrdiff_t)t * lp;
        const __m512 b0 = _mm512_loadu_ps(b), b1 = nv > 1 ? _mm512_loadu_ps(b + 16) : b0;
        for (int r = 0; r < QB_AMR; r++) {
            const __m512 x = _mm512_set1_ps(q[r][t]);
            acc[r][0] = _mm512_fmadd_ps(x, b0, acc[r][0]);
            if (nv > 1) acc[r][1] = _mm512_fmadd_ps(x, b1, acc[r][1]);
        }
    }
    for (int r = 0; r < QB_AMR; r++) {
        _mm512_storeu_ps(tile + r * lp, acc[r][0]);
        if (nv > 1) _mm512_storeu_ps(tile + r * lp + 16, acc[r][1]);
    }
}

// c_r[16v + x] = Σ_j fma(p[r·lp + j], v[j·ldv + 16v + x]) for r < mr, v < nv, x < 16 (the last vector's lanes
// limited to `last`; with masked = 0, every lane).
QB_INLINE void qb_attn_pv_tile(const int nv, const int masked, __mmask16 last, int L, const float *p, ptrdiff_t lp,
                               const float *v, ptrdiff_t ldv, float *c, ptrdiff_t ldc, int mr) {
    __m512 acc[QB_AMR][2];
    for (int r = 0; r < QB_AMR; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    for (int j = 0; j < L; j++) {
        const float *b = v + (ptrdiff_t)j * ldv;
        __m512 b0, b1;
        if (nv > 1) {
            b0 = _mm512_loadu_ps(b);
            b1 = masked ? _mm512_maskz_loadu_ps(last, b + 16) : _mm512_loadu_ps(b + 16);
        } else {
            b0 = masked ? _mm512_maskz_loadu_ps(last, b) : _mm512_loadu_ps(b);
            b1 = b0;
        }
        for (int r = 0; r < QB_AMR; r++) {
            const __m512 x = _mm512_set1_ps(p[r * lp + j]);
            acc[r][0] = _mm512_fmadd_ps(x, b0, acc[r][0]);
            if (nv > 1) acc[r][1] = _mm512_fmadd_ps(x, b1, acc[r][1]);
        }
    }
    for (int r = 0; r < QB_AMR; r++) {
        if (r >= mr) break;
        float *o = c + r * ldc;
        if (nv > 1) {
            _mm512_storeu_ps(o, acc[r][0]);
            if (masked) _mm512_mask_storeu_ps(o + 16, last, acc[r][1]); else _mm512_storeu_ps(o + 16, acc[r][1]);
        } else {
            if (masked) _mm512_mask_storeu_ps(o, last, acc[r][0]); else _mm512_storeu_ps(o, acc[r][0]);
        }
    }
}

QB_ATTN_TARGET void QB_ATTN_FN(qb_attention_f32)(const qb_attention_args *a, qb_softmax_row_fn softmax,
                                                 float *scratch) {
    const int S = a->S, L = a->L, d = a->d;
    const ptrdiff_t lp = QB_ATTN_LP(L), ldv = a->ldv, ldc = a->ldc;
    const float *kt = QB_ATTN_TRANSPOSE(a, scratch);
    float *tile = (float *)kt + (size_t)d * lp; // [8][lp]
    for (int i0 = 0; i0 < S; i0 += QB_AMR) {
        const int mr = S - i0 < QB_AMR ? S - i0 : QB_AMR;
        const float *q[QB_AMR];
        for (int r = 0; r < QB_AMR; r++) q[r] = a->q + (size_t)(i0 + (r < mr ? r : mr - 1)) * a->ldq;
        ptrdiff_t kb = 0;
        for (; kb + 32 <= lp; kb += 32) qb_attn_qk_tile(2, d, q, kt + kb, lp, tile + kb);
        if (kb < lp) qb_attn_qk_tile(1, d, q, kt + kb, lp, tile + kb);
        for (int r = 0; r < mr; r++) softmax(tile + r * lp, (size_t)L, a->scale, a->keep);
        float *c = a->ctx + (size_t)i0 * ldc;
        int x = 0;
        for (; x + 32 <= d; x += 32) qb_attn_pv_tile(2, 0, 0xFFFF, L, tile, lp, a->v + x, ldv, c + x, ldc, mr);
        const int rem = d - x;
        if (rem > 16) qb_attn_pv_tile(2, 1, qb_lane_mask16(0, 0, rem - 16), L, tile, lp, a->v + x, ldv, c + x, ldc, mr);
        else if (rem == 16) qb_attn_pv_tile(1, 0, 0xFFFF, L, tile, lp, a->v + x, ldv, c + x, ldc, mr);
        else if (rem > 0) qb_attn_pv_tile(1, 1, qb_lane_mask16(0, 0, rem), L, tile, lp, a->v + x, ldv, c + x, ldc, mr);
    }
}
#endif
