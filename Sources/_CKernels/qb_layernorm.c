// LayerNorm with an optional fused residual add, reference + AVX2 (declared in qb_vmath.h, dispatched in
// qb_dispatch.c). The reference is the loop BertModel ran in Swift before: double accumulation of the mean and the
// biased variance, then float (t − m) · inv · gamma + beta, each step rounded (no FMA: FP contraction is off).
#pragma STDC FP_CONTRACT OFF
#include "qb_vmath.h"
#include <math.h>

void qb_add_layernorm_f32_ref(float *x, const float *residual, size_t rows, size_t width, const float *gamma,
                              const float *beta, float eps) {
    for (size_t r = 0; r < rows; r++) {
        float *row = x + r * width;
        if (residual) {
            const float *res = residual + r * width;
            for (size_t i = 0; i < width; i++) row[i] = row[i] + res[i];
        }
        double sum = 0;
        for (size_t i = 0; i < width; i++) sum += (double)row[i];
        const double mean = sum / (double)width;
        double sq = 0;
        for (size_t i = 0; i < width; i++) {
            const double d = (double)row[i] - mean;
            sq += d * d;
        }
        const double variance = sq / (double)width;
        const float inv = (float)(1.0 / sqrt(variance + (double)eps));
        const float m = (float)mean;
        for (size_t i = 0; i < width; i++) row[i] = (row[i] - m) * inv * gamma[i] + beta[i];
    }
}

#if defined(__x86_64__)
#include <immintrin.h>
#include "qb_layernorm_affine.h"
#define QB_AVX2 __attribute__((target("avx2,fma")))

QB_AVX2 static inline double qb_hsum256d(__m256d v) {
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

QB_AVX2 void qb_add_layernorm_f32_avx2(float *x, const float *residual, size_t rows, size_t width,
                                       const float *gamma, const float *beta, float eps) {
    for (size_t r = 0; r < rows; r++) {
        float *row = x + r * width;
        const float *res = residual ? residual + r * width : NULL;
        // Pass 1: t = x + residual (stored), Σ t in double.
        __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
        size_t i = 0;
        for (; i + 8 <= width; i += 8) {
            __m256 t = _mm256_loadu_ps(row + i);
            if (res) {
                t = _mm256_add_ps(t, _mm256_loadu_ps(res + i));
                _mm256_storeu_ps(row + i, t);
            }
            s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(t)));
            s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(t, 1)));
        }
        double sum = qb_hsum256d(_mm256_add_pd(s0, s1));
        for (; i < width; i++) {
            if (res) row[i] = row[i] + res[i];
            sum += (double)row[i];
        }
        const double mean = sum / (double)width;
        // Pass 2: Σ (t − mean)² in double, product and sum rounded separately (as the reference).
        const __m256d mv = _mm256_set1_pd(mean);
        __m256d q0 = _mm256_setzero_pd(), q1 = _mm256_setzero_pd();
        for (i = 0; i + 8 <= width; i += 8) {
            const __m256 t = _mm256_loadu_ps(row + i);
            const __m256d d0 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(t)), mv);
            const __m256d d1 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(t, 1)), mv);
            q0 = _mm256_add_pd(q0, _mm256_mul_pd(d0, d0));
            q1 = _mm256_add_pd(q1, _mm256_mul_pd(d1, d1));
        }
        double sq = qb_hsum256d(_mm256_add_pd(q0, q1));
        for (; i < width; i++) {
            const double d = (double)row[i] - mean;
            sq += d * d;
        }
        const double variance = sq / (double)width;
        const float inv = (float)(1.0 / sqrt(variance + (double)eps));
        const float m = (float)mean;
        // Pass 3: ((t − m) · inv) · gamma + beta, float, same order as the reference.
        qb_layernorm_affine_avx2(row, width, m, inv, gamma, beta);
    }
}
#else
void qb_add_layernorm_f32_avx2(float *x, const float *residual, size_t rows, size_t width, const float *gamma,
                               const float *beta, float eps) {
    qb_add_layernorm_f32_ref(x, residual, rows, width, gamma, beta, eps);
}
#endif
