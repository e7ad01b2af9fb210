// Fused FP32 attention (qb_attention.h), AVX2 + FMA. Per block of 6 query rows: Q·Kᵀ into a 6 × 16 register tile
// (12 ymm accumulators) per 16 keys, read from Kᵀ (transposed once per head in 8 × 8 AVX2 blocks), stored to
// the score tile [6][Lp] in scratch; the row softmax on each of the block's rows; then P·V into 6 × 16 tiles per
// 16 head dims, V read in place (a ragged last block of dims by vmaskmovps loads and stores). Every lane is one
// output element and runs its FMA chain in the reference's order (d ascending for scores, keys ascending for the
// context), so the result is `_ref`'s bit for bit. Rows past S in the last block repeat the last row and are not
// stored.
#pragma STDC FP_CONTRACT OFF
#include "qb_kernels_internal.h"
#if QB_X86
#include <immintrin.h>

#define QB_AMR2 6 // query rows per register tile
#define QB_INLINE2 static inline __attribute__((always_inline)) QB_TARGET_AVX2

// tile[r·lp + x] = Σ_t fma(q_r[t], kt[t·lp + x]) for r < 6, x < 16.
QB_INLINE2 void qb_attn_qk_tile_avx2(int d, const float *const *q, const float *kt, ptrdiff_t lp, float *tile) {
    __m256 acc[QB_AMR2][2];
    for (int r = 0; r < QB_AMR2; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (int t = 0; t < d; t++) {
        const float *b = kt + (ptrdiff_t)t * lp;
        const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
        for (int r = 0; r < QB_AMR2; r++) {
            const __m256 x = _mm256_broadcast_ss(q[r] + t);
            acc[r][0] = _mm256_fmadd_ps(x, b0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(x, b1, acc[r][1]);
        }
    }
    for (int r = 0; r < QB_AMR2; r++) {
        _mm256_storeu_ps(tile + r * lp, acc[r][0]);
        _mm256_storeu_ps(tile + r * lp + 8, acc[r][1]);
    }
}

// c_r[8v + x] = Σ_j fma(p[r·lp + j], v[j·ldv + 8v + x]) for r < mr, v < nv, x < 8 (the last vector's lanes
// limited to `last`; with masked = 0, every lane).
QB_INLINE2 void qb_attn_pv_tile_avx2(const int nv, const int masked, __m256i last, int L, const float *p,
                                     ptrdiff_t lp, const float *v, ptrdiff_t ldv, float *c, ptrdiff_t ldc, int mr) {
    __m256 acc[QB_AMR2][2];
    for (int r = 0; r < QB_AMR2; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (int j = 0; j < L; j++) {
        const float *b = v + (ptrdiff_t)j * ldv;
        __m256 b0, b1;
        if (nv > 1) {
            b0 = _mm256_loadu_ps(b);
            b1 = masked ? _mm256_maskload_ps(b + 8, last) : _mm256_loadu_ps(b + 8);
        } else {
            b0 = masked ? _mm256_maskload_ps(b, last) : _mm256_loadu_ps(b);
            b1 = b0;
        }
        for (int r = 0; r < QB_AMR2; r++) {
            const __m256 x = _mm256_broadcast_ss(p + r * lp + j);
            acc[r][0] = _mm256_fmadd_ps(x, b0, acc[r][0]);
            if (nv > 1) acc[r][1] = _mm256_fmadd_ps(x, b1, acc[r][1]);
        }
    }
    for (int r = 0; r < QB_AMR2; r++) {
        if (r >= mr) break;
        float *o = c + r * ldc;
        if (nv > 1) {
            _mm256_storeu_ps(o, acc[r][0]);
            if (masked) _mm256_maskstore_ps(o + 8, last, acc[r][1]); else _mm256_storeu_ps(o + 8, acc[r][1]);
        } else {
            if (masked) _mm256_maskstore_ps(o, last, acc[r][0]); else _mm256_storeu_ps(o, acc[r][0]);
        }
    }
}

// Lanes 0..<n of a ymm (0 < n < 8) as a vmaskmovps mask.
QB_TARGET_AVX2 static inline __m256i qb_attn_lanes_avx2(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

QB_TARGET_AVX2 float *qb_attention_transpose_k_avx2(const qb_attention_args *a, float *scratch) {
    float *kt = qb_attention_kt(scratch);
    const int L = a->L, d = a->d;
    const ptrdiff_t lp = QB_ATTN_LP(L), ldk = a->ldk;
    int j0 = 0;
    for (; j0 + 8 <= L; j0 += 8) {
        const float *k = a->k + (size_t)j0 * ldk;
        int t0 = 0;
        for (; t0 + 8 <= d; t0 += 8) {
            // Rows j0..j0+7 of K, columns t0..t0+7 → rows t0..t0+7 of Kᵀ, columns j0..j0+7.
            __m256 r[8], s[8];
            for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(k + i * ldk + t0);
            for (int i = 0; i < 8; i += 4) {
                const __m256 lo01 = _mm256_unpacklo_ps(r[i], r[i + 1]), hi01 = _mm256_unpackhi_ps(r[i], r[i + 1]);
                const __m256 lo23 = _mm256_unpacklo_ps(r[i + 2], r[i + 3]), hi23 = _mm256_unpackhi_ps(r[i + 2], r[i + 3]);
                s[i] = _mm256_shuffle_ps(lo01, lo23, _MM_SHUFFLE(1, 0, 1, 0));     // column 0 | 4 of rows i..i+3
                s[i + 1] = _mm256_shuffle_ps(lo01, lo23, _MM_SHUFFLE(3, 2, 3, 2)); // column 1 | 5
                s[i + 2] = _mm256_shuffle_ps(hi01, hi23, _MM_SHUFFLE(1, 0, 1, 0)); // column 2 | 6
                s[i + 3] = _mm256_shuffle_ps(hi01, hi23, _MM_SHUFFLE(3, 2, 3, 2)); // column 3 | 7
            }
            float *o = kt + t0 * lp + j0;
            for (int c = 0; c < 4; c++) {
                _mm256_storeu_ps(o + c * lp, _mm256_permute2f128_ps(s[c], s[c + 4], 0x20));
                _mm256_storeu_ps(o + (c + 4) * lp, _mm256_permute2f128_ps(s[c], s[c + 4], 0x31));
            }
        }
        for (; t0 < d; t0++)
            for (int jj = 0; jj < 8; jj++) kt[t0 * lp + j0 + jj] = k[jj * ldk + t0];
    }
    qb_attention_transpose_k_tail(a, kt, j0);
    return kt;
}

QB_TARGET_AVX2 void qb_attention_f32_avx2(const qb_attention_args *a, qb_softmax_row_fn softmax, float *scratch) {
    const int S = a->S, L = a->L, d = a->d;
    const ptrdiff_t lp = QB_ATTN_LP(L), ldv = a->ldv, ldc = a->ldc;
    const float *kt = qb_attention_transpose_k_avx2(a, scratch);
    float *tile = (float *)kt + (size_t)d * lp; // [6][lp]
    const __m256i all = _mm256_set1_epi32(-1);
    for (int i0 = 0; i0 < S; i0 += QB_AMR2) {
        const int mr = S - i0 < QB_AMR2 ? S - i0 : QB_AMR2;
        const float *q[QB_AMR2];
        for (int r = 0; r < QB_AMR2; r++) q[r] = a->q + (size_t)(i0 + (r < mr ? r : mr - 1)) * a->ldq;
        for (ptrdiff_t kb = 0; kb < lp; kb += 16) qb_attn_qk_tile_avx2(d, q, kt + kb, lp, tile + kb);
        for (int r = 0; r < mr; r++) softmax(tile + r * lp, (size_t)L, a->scale, a->keep);
        float *c = a->ctx + (size_t)i0 * ldc;
        int x = 0;
        for (; x + 16 <= d; x += 16) qb_attn_pv_tile_avx2(2, 0, all, L, tile, lp, a->v + x, ldv, c + x, ldc, mr);
        const int rem = d - x;
        if (rem > 8) qb_attn_pv_tile_avx2(2, 1, qb_attn_lanes_avx2(rem - 8), L, tile, lp, a->v + x, ldv, c + x, ldc, mr);
        else if (rem == 8) qb_attn_pv_tile_avx2(1, 0, all, L, tile, lp, a->v + x, ldv, c + x, ldc, mr);
        else if (rem > 0) qb_attn_pv_tile_avx2(1, 1, qb_attn_lanes_avx2(rem), L, tile, lp, a->v + x, ldv, c + x, ldc, mr);
    }
}
#endif
