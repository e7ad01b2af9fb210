// Deterministic LayerNorm with the optional fused residual add (`numerics: reproducible`, qb_vmath.h `_det`),
// scalar reference and AVX2, bit-identical: the same operations as qb_add_layernorm_f32_ref except that both
// double sums (Σ t and Σ (t − mean)²) run in the fixed 16-lane tree of qb_reduce16.h instead of one sequential
// chain, so a 4-lane ymm, an 8-lane zmm and the scalar loop add the same numbers in the same order.
#pragma STDC FP_CONTRACT OFF
#include "qb_vmath.h"
#include "qb_reduce16.h"
#include <math.h>

void qb_add_layernorm_f32_det_ref(float *x, const float *residual, size_t rows, size_t width, const float *gamma,
                                  const float *beta, float eps) {
    for (size_t r = 0; r < rows; r++) {
        float *row = x + r * width;
        if (residual) {
            const float *res = residual + r * width;
            for (size_t i = 0; i < width; i++) row[i] = row[i] + res[i];
        }
        double s[16] = {0};
        for (size_t i = 0; i < width; i++) s[i % 16] = s[i % 16] + (double)row[i];
        const double mean = qb_fold16d(s) / (double)width;
        double q[16] = {0};
        for (size_t i = 0; i < width; i++) {
            const double d = (double)row[i] - mean;
            q[i % 16] = q[i % 16] + d * d;
        }
        const double variance = qb_fold16d(q) / (double)width;
        const float inv = (float)(1.0 / sqrt(variance + (double)eps));
        const float m = (float)mean;
        for (size_t i = 0; i < width; i++) row[i] = (row[i] - m) * inv * gamma[i] + beta[i];
    }
}

#if defined(__x86_64__)
#include <immintrin.h>
#include "qb_layernorm_affine.h"
#define QB_AVX2 __attribute__((target("avx2,fma")))

QB_AVX2 void qb_add_layernorm_f32_det_avx2(float *x, const float *residual, size_t rows, size_t width,
                                           const float *gamma, const float *beta, float eps) {
    const size_t full = width / 16 * 16;
    for (size_t r = 0; r < rows; r++) {
        float *row = x + r * width;
        const float *res = residual ? residual + r * width : NULL;
        // Pass 1: t = x + residual (stored); Σ t in 16 double lanes (four ymm: lanes 0–3, 4–7, 8–11, 12–15).
        __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
        for (size_t i = 0; i < full; i += 16) {
            __m256 t0 = _mm256_loadu_ps(row + i), t1 = _mm256_loadu_ps(row + i + 8);
            if (res) {
                t0 = _mm256_add_ps(t0, _mm256_loadu_ps(res + i));
                t1 = _mm256_add_ps(t1, _mm256_loadu_ps(res + i + 8));
                _mm256_storeu_ps(row + i, t0);
                _mm256_storeu_ps(row + i + 8, t1);
            }
            a0 = _mm256_add_pd(a0, _mm256_cvtps_pd(_mm256_castps256_ps128(t0)));
            a1 = _mm256_add_pd(a1, _mm256_cvtps_pd(_mm256_extractf128_ps(t0, 1)));
            a2 = _mm256_add_pd(a2, _mm256_cvtps_pd(_mm256_castps256_ps128(t1)));
            a3 = _mm256_add_pd(a3, _mm256_cvtps_pd(_mm256_extractf128_ps(t1, 1)));
        }
        double s[16];
        _mm256_storeu_pd(s, a0); _mm256_storeu_pd(s + 4, a1); _mm256_storeu_pd(s + 8, a2); _mm256_storeu_pd(s + 12, a3);
        for (size_t i = full; i < width; i++) {
            if (res) row[i] = row[i] + res[i];
            s[i % 16] = s[i % 16] + (double)row[i];
        }
        const double mean = qb_fold16d(s) / (double)width;
        // Pass 2: Σ (t − mean)², product and sum rounded separately, same lanes.
        const __m256d mv = _mm256_set1_pd(mean);
        a0 = _mm256_setzero_pd(); a1 = a0; a2 = a0; a3 = a0;
        for (size_t i = 0; i < full; i += 16) {
            const __m256 t0 = _mm256_loadu_ps(row + i), t1 = _mm256_loadu_ps(row + i + 8);
            const __m256d d0 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(t0)), mv);
            const __m256d d1 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(t0, 1)), mv);
            const __m256d d2 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(t1)), mv);
            const __m256d d3 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(t1, 1)), mv);
            a0 = _mm256_add_pd(a0, _mm256_mul_pd(d0, d0));
            a1 = _mm256_add_pd(a1, _mm256_mul_pd(d1, d1));
            a2 = _mm256_add_pd(a2, _mm256_mul_pd(d2, d2));
            a3 = _mm256_add_pd(a3, _mm256_mul_pd(d3, d3));
        }
        double q[16];
        _mm256_storeu_pd(q, a0); _mm256_storeu_pd(q + 4, a1); _mm256_storeu_pd(q + 8, a2); _mm256_storeu_pd(q + 12, a3);
        for (size_t i = full; i < width; i++) {
            const double d = (double)row[i] - mean;
            q[i % 16] = q[i % 16] + d * d;
        }
        const double variance = qb_fold16d(q) / (double)width;
        const float inv = (float)(1.0 / sqrt(variance + (double)eps));
        const float m = (float)mean;
        // Pass 3: ((t − m) · inv) · gamma + beta, float, same order as the reference.
        qb_layernorm_affine_avx2(row, width, m, inv, gamma, beta);
    }
}
#else
void qb_add_layernorm_f32_det_avx2(float *x, const float *residual, size_t rows, size_t width, const float *gamma,
                                   const float *beta, float eps) {
    qb_add_layernorm_f32_det_ref(x, residual, rows, width, gamma, beta, eps);
}
#endif
