// Deterministic vector math (`numerics: reproducible`, qb_vmath.h `_det`): GELU (exact-erf and tanh forms), tanh
// and masked softmax rows, scalar reference and AVX2. Both evaluate the operation sequences of qb_vmath_simd.h
// (the AVX2 lanes and the scalar functions are the same operations) and sum softmax rows by the fixed 16-lane
// tree of qb_reduce16.h, so `_det_avx2` equals `_det_ref` bit for bit for every input and every length; the
// thread split of the callers (rows, or chunks of elements) cannot change a value either.
#pragma STDC FP_CONTRACT OFF
#include "qb_vmath.h"
#include "qb_reduce16.h"
#include "qb_vmath_simd.h"
#include <math.h>

#define QB_SQRT1_2 0.70710678118654752f
#define QB_GELU_TANH_C 0.7978845608028654f // √(2/π)
#define QB_GELU_TANH_A 0.044715f

static inline float qb_gelu_erf_det1(float v) { return (v * 0.5f) * (1.0f + qb_erf_det1(v * QB_SQRT1_2)); }

static inline float qb_gelu_tanh_det1(float v) {
    const float inner = QB_GELU_TANH_C * (v + QB_GELU_TANH_A * v * v * v);
    return (v * 0.5f) * (1.0f + qb_tanh_det1(inner));
}

// ---- Scalar references ---------------------------------------------------------------------------------------
void qb_gelu_erf_f32_det_ref(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = qb_gelu_erf_det1(x[i]);
}

void qb_gelu_tanh_f32_det_ref(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = qb_gelu_tanh_det1(x[i]);
}

void qb_tanh_f32_det_ref(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = qb_tanh_det1(x[i]);
}

void qb_softmax_masked_f32_det_ref(float *x, size_t n, float scale, const float *keep) {
    float m = -INFINITY;
    for (size_t j = 0; j < n; j++) {
        const float s = x[j] * scale;
        if (keep[j] != 0.0f && s > m) m = s;
    }
    for (size_t j = 0; j < n; j++) x[j] = keep[j] != 0.0f ? qb_exp_det1(x[j] * scale - m) : 0.0f;
    const float inv = 1.0f / qb_sum16f_ref(x, n);
    for (size_t j = 0; j < n; j++) x[j] = x[j] * inv;
}

// ---- AVX2 ----------------------------------------------------------------------------------------------------
#if defined(__x86_64__)
QB_VMATH_AVX2 void qb_gelu_erf_f32_det_avx2(float *x, size_t n) {
    const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f), c = _mm256_set1_ps(QB_SQRT1_2);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        const __m256 y = _mm256_mul_ps(_mm256_mul_ps(v, half), _mm256_add_ps(one, qb_erf256(_mm256_mul_ps(v, c))));
        _mm256_storeu_ps(x + i, y);
    }
    for (; i < n; i++) x[i] = qb_gelu_erf_det1(x[i]);
}

QB_VMATH_AVX2 void qb_gelu_tanh_f32_det_avx2(float *x, size_t n) {
    const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
    const __m256 c = _mm256_set1_ps(QB_GELU_TANH_C), a = _mm256_set1_ps(QB_GELU_TANH_A);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        const __m256 cube = _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(a, v), v), v);
        const __m256 inner = _mm256_mul_ps(c, _mm256_add_ps(v, cube));
        const __m256 y = _mm256_mul_ps(_mm256_mul_ps(v, half), _mm256_add_ps(one, qb_tanh256(inner)));
        _mm256_storeu_ps(x + i, y);
    }
    for (; i < n; i++) x[i] = qb_gelu_tanh_det1(x[i]);
}

QB_VMATH_AVX2 void qb_tanh_f32_det_avx2(float *x, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, qb_tanh256(_mm256_loadu_ps(x + i)));
    for (; i < n; i++) x[i] = qb_tanh_det1(x[i]);
}

QB_VMATH_AVX2 void qb_softmax_masked_f32_det_avx2(float *x, size_t n, float scale, const float *keep) {
    const __m256 vs = _mm256_set1_ps(scale), zero = _mm256_setzero_ps(), ninf = _mm256_set1_ps(-INFINITY);
    // Max over kept positions (order-free: the same value whatever the grouping).
    __m256 vm = ninf;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 k = _mm256_cmp_ps(_mm256_loadu_ps(keep + i), zero, _CMP_NEQ_OQ);
        // New value first: vmaxps returns its second operand for NaN, so a NaN score is skipped as in `_ref`.
        vm = _mm256_max_ps(_mm256_blendv_ps(ninf, _mm256_mul_ps(_mm256_loadu_ps(x + i), vs), k), vm);
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, vm);
    float m = -INFINITY;
    for (int j = 0; j < 8; j++) if (lanes[j] > m) m = lanes[j];
    for (size_t j = i; j < n; j++) {
        const float s = x[j] * scale;
        if (keep[j] != 0.0f && s > m) m = s;
    }
    // e_j = exp(s·x_j − m) on kept positions, 0 elsewhere; Σ e by the 16-lane tree (two ymm = lanes 0–7, 8–15).
    const __m256 mm = _mm256_set1_ps(m);
    __m256 s0 = zero, s1 = zero;
    for (i = 0; i + 16 <= n; i += 16) {
        for (int h = 0; h < 2; h++) {
            const __m256 k = _mm256_cmp_ps(_mm256_loadu_ps(keep + i + 8 * h), zero, _CMP_NEQ_OQ);
            const __m256 e = _mm256_and_ps(qb_exp256(_mm256_sub_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i + 8 * h), vs), mm)), k);
            _mm256_storeu_ps(x + i + 8 * h, e);
            if (h == 0) s0 = _mm256_add_ps(s0, e); else s1 = _mm256_add_ps(s1, e);
        }
    }
    float s[16];
    _mm256_storeu_ps(s, s0);
    _mm256_storeu_ps(s + 8, s1);
    for (size_t j = i; j < n; j++) {
        x[j] = keep[j] != 0.0f ? qb_exp_det1(x[j] * scale - m) : 0.0f;
        s[j % 16] = s[j % 16] + x[j];
    }
    const float inv = 1.0f / qb_fold16f(s);
    const __m256 vi = _mm256_set1_ps(inv);
    for (i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), vi));
    for (; i < n; i++) x[i] = x[i] * inv;
}
#else
void qb_gelu_erf_f32_det_avx2(float *x, size_t n) { qb_gelu_erf_f32_det_ref(x, n); }
void qb_gelu_tanh_f32_det_avx2(float *x, size_t n) { qb_gelu_tanh_f32_det_ref(x, n); }
void qb_tanh_f32_det_avx2(float *x, size_t n) { qb_tanh_f32_det_ref(x, n); }
void qb_softmax_masked_f32_det_avx2(float *x, size_t n, float scale, const float *keep) {
    qb_softmax_masked_f32_det_ref(x, n, scale, keep);
}
#endif
