// Requantization epilogue int32 → float, reference + AVX2.
//
//   out[m, n] = (float)(C[m, n] − a_zp[m'] · w_row_sum[n]) · (a_scale[m'] · w_scale[n']) + bias[n]
//
// This is fbgemm's requantizeForFloatAvx2 (fbgemm/src/QuantUtilsAvx2.cc), which PyTorch's dynamic qlinear reaches
// through ReQuantizeForFloat on AVX2/AVX-512 machines:
//   * the integer correction is int32 arithmetic (mullo + sub, wrapping);
//   * int32 → float with round-to-nearest-even (vcvtdq2ps);
//   * the multiplier is the float product A_scale · B_scale computed first (per tensor: once, `r.A_scale *
//     r.B_scale[0]`; per channel: `_mm256_mul_ps(set1(A_scale), B_scale[j])`), then one float multiply;
//   * bias is a separate float add (_mm256_add_ps) — no FMA — and is skipped when there is no bias (so −0 stays −0).
// fbgemm's scalar fallback computes `raw * Aq_scale_ * Bq_scale_` (left to right) instead; it only runs on CPUs
// without AVX2, so we follow the vector order. FP contraction is off in this file so the compiler cannot fuse the
// reference's multiply and add into an FMA (which the AVX2 code does not do either).
// a_zp may be NULL (zero point 0; w_row_sum is then not read).
#pragma STDC FP_CONTRACT OFF
#include "qb_kernels_internal.h"

void qb_requant_f32_ref(int M, int N, const int32_t *C, int ldc,
                        const float *a_scale, const int32_t *a_zp, int a_per_row,
                        const float *w_scale, const int32_t *w_row_sum, int w_per_channel,
                        const float *bias, float *out, int ldo) {
    for (int m = 0; m < M; m++) {
        const int mi = a_per_row ? m : 0;
        const float as = a_scale[mi];
        const uint32_t zp = a_zp ? (uint32_t)a_zp[mi] : 0u;
        const float mult0 = as * w_scale[0];
        for (int n = 0; n < N; n++) {
            uint32_t c = (uint32_t)C[(size_t)m * ldc + n];
            if (zp) c -= zp * (uint32_t)w_row_sum[n];
            const float mult = w_per_channel ? as * w_scale[n] : mult0;
            float y = (float)(int32_t)c * mult;
            if (bias) y = y + bias[n];
            out[(size_t)m * ldo + n] = y;
        }
    }
}

#if QB_X86
#include <immintrin.h>

QB_TARGET_AVX2 void qb_requant_f32_avx2(int M, int N, const int32_t *C, int ldc,
                                        const float *a_scale, const int32_t *a_zp, int a_per_row,
                                        const float *w_scale, const int32_t *w_row_sum, int w_per_channel,
                                        const float *bias, float *out, int ldo) {
    static const int32_t ramp[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    const __m256i ramp_v = _mm256_loadu_si256((const __m256i *)ramp);
    for (int m = 0; m < M; m++) {
        const int mi = a_per_row ? m : 0;
        const float as = a_scale[mi];
        const int32_t zp = a_zp ? a_zp[mi] : 0;
        const __m256 as_v = _mm256_set1_ps(as);
        const __m256 mult0_v = _mm256_set1_ps(as * w_scale[0]);
        const __m256i zp_v = _mm256_set1_epi32(zp);
        const int32_t *c = C + (size_t)m * ldc;
        float *o = out + (size_t)m * ldo;
        for (int n = 0; n < N; n += 8) {
            // Full vectors, then one masked vector for the last N % 8 columns (same operations on every lane).
            const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(N - n), ramp_v);
            const int full = N - n >= 8;
            __m256i x = full ? _mm256_loadu_si256((const __m256i *)(c + n)) : _mm256_maskload_epi32(c + n, mask);
            if (zp) {
                __m256i rs = full ? _mm256_loadu_si256((const __m256i *)(w_row_sum + n)) : _mm256_maskload_epi32(w_row_sum + n, mask);
                x = _mm256_sub_epi32(x, _mm256_mullo_epi32(zp_v, rs));
            }
            __m256 mult = mult0_v;
            if (w_per_channel)
                mult = _mm256_mul_ps(as_v, full ? _mm256_loadu_ps(w_scale + n) : _mm256_maskload_ps(w_scale + n, mask));
            __m256 y = _mm256_mul_ps(_mm256_cvtepi32_ps(x), mult);
            if (bias) y = _mm256_add_ps(y, full ? _mm256_loadu_ps(bias + n) : _mm256_maskload_ps(bias + n, mask));
            if (full) _mm256_storeu_ps(o + n, y);
            else _mm256_maskstore_ps(o + n, mask, y);
        }
    }
}
#endif
