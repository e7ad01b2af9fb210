// Vector-math kernels: exact-erf GELU and masked softmax rows, scalar reference and AVX2. The un-suffixed entry
// points (and LayerNorm's) are chosen with the GEMMs' kernel family in qb_dispatch.c.
#include "qb_vmath.h"
#include <math.h>

// ---- Scalar references ---------------------------------------------------------------------------------------
void qb_gelu_erf_f32_ref(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        x[i] = 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
    }
}

void qb_softmax_masked_f32_ref(float *x, size_t n, float scale, const float *keep) {
    float m = -INFINITY;
    for (size_t j = 0; j < n; j++)
        if (keep[j] != 0.0f && x[j] * scale > m) m = x[j] * scale;
    float sum = 0.0f;
    for (size_t j = 0; j < n; j++) {
        if (keep[j] != 0.0f) { float e = expf(x[j] * scale - m); x[j] = e; sum += e; }
        else x[j] = 0.0f;
    }
    float inv = 1.0f / sum;
    for (size_t j = 0; j < n; j++) x[j] *= inv;
}

// ---- AVX2 ----------------------------------------------------------------------------------------------------
#if defined(__x86_64__)
#include "qb_vmath_simd.h" // qb_exp256, qb_erf256
#define QB_AVX2 QB_VMATH_AVX2

QB_AVX2 void qb_gelu_erf_f32_avx2(float *x, size_t n) {
    const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f), c = _mm256_set1_ps(0.70710678118654752f);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        __m256 y = _mm256_mul_ps(_mm256_mul_ps(v, half), _mm256_add_ps(one, qb_erf256(_mm256_mul_ps(v, c))));
        _mm256_storeu_ps(x + i, y);
    }
    if (i < n) qb_gelu_erf_f32_ref(x + i, n - i);
}

QB_AVX2 static inline float qb_hmax256(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}

QB_AVX2 static inline float qb_hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

QB_AVX2 void qb_softmax_masked_f32_avx2(float *x, size_t n, float scale, const float *keep) {
    const __m256 vs = _mm256_set1_ps(scale), zero = _mm256_setzero_ps(), ninf = _mm256_set1_ps(-INFINITY);
    __m256 vm = ninf;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 k = _mm256_cmp_ps(_mm256_loadu_ps(keep + i), zero, _CMP_NEQ_OQ);
        vm = _mm256_max_ps(vm, _mm256_blendv_ps(ninf, _mm256_mul_ps(_mm256_loadu_ps(x + i), vs), k));
    }
    float m = qb_hmax256(vm);
    for (size_t j = i; j < n; j++)
        if (keep[j] != 0.0f && x[j] * scale > m) m = x[j] * scale;
    const __m256 mm = _mm256_set1_ps(m);
    __m256 vsum = zero;
    for (i = 0; i + 8 <= n; i += 8) {
        __m256 k = _mm256_cmp_ps(_mm256_loadu_ps(keep + i), zero, _CMP_NEQ_OQ);
        __m256 e = qb_exp256(_mm256_sub_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i), vs), mm));
        e = _mm256_and_ps(e, k);
        _mm256_storeu_ps(x + i, e);
        vsum = _mm256_add_ps(vsum, e);
    }
    float sum = qb_hsum256(vsum);
    for (size_t j = i; j < n; j++) {
        if (keep[j] != 0.0f) { float e = expf(x[j] * scale - m); x[j] = e; sum += e; }
        else x[j] = 0.0f;
    }
    const __m256 inv = _mm256_set1_ps(1.0f / sum);
    for (i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), inv));
    for (size_t j = i; j < n; j++) x[j] *= 1.0f / sum;
}
#else
void qb_gelu_erf_f32_avx2(float *x, size_t n) { qb_gelu_erf_f32_ref(x, n); }
void qb_softmax_masked_f32_avx2(float *x, size_t n, float scale, const float *keep) {
    qb_softmax_masked_f32_ref(x, n, scale, keep);
}
#endif
