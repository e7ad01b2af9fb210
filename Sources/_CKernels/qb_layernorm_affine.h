// The last pass shared by both AVX2 LayerNorms (qb_layernorm.c, qb_layernorm_det.c):
//   row[i] = ((row[i] − m) · inv) · gamma[i] + beta[i]   in float, separate multiplies and adds (the reference's
// order, no FMA), 8 lanes at a time, the tail in scalar code with the same operations.
#ifndef QB_LAYERNORM_AFFINE_H
#define QB_LAYERNORM_AFFINE_H
#pragma STDC FP_CONTRACT OFF
#include <immintrin.h>
#include <stddef.h>

__attribute__((target("avx2,fma"))) static inline void qb_layernorm_affine_avx2(float *row, size_t width, float m,
                                                                               float inv, const float *gamma,
                                                                               const float *beta) {
    const __m256 mf = _mm256_set1_ps(m), invf = _mm256_set1_ps(inv);
    size_t i = 0;
    for (; i + 8 <= width; i += 8) {
        __m256 y = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(row + i), mf), invf);
        y = _mm256_add_ps(_mm256_mul_ps(y, _mm256_loadu_ps(gamma + i)), _mm256_loadu_ps(beta + i));
        _mm256_storeu_ps(row + i, y);
    }
    for (; i < width; i++) row[i] = (row[i] - m) * inv * gamma[i] + beta[i];
}
#endif
