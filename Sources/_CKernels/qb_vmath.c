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
#include <immintrin.h>
#define QB_AVX2 __attribute__((target("avx2,fma")))

/// exp(x) for x in float range: x = k·ln2 + r, |r| ≤ ln2/2, exp(r) by a degree-5 polynomial (Cephes expf).
QB_AVX2 static inline __m256 qb_exp256(__m256 x) {
    const __m256 hi = _mm256_set1_ps(88.3762626647949f), lo = _mm256_set1_ps(-88.3762626647949f);
    x = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
    __m256 fx = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f));
    fx = _mm256_floor_ps(fx);
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
    __m256 y = _mm256_set1_ps(1.9875691500E-4f);
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507E-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073E-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894E-2f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459E-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201E-1f));
    __m256 x2 = _mm256_mul_ps(x, x);
    y = _mm256_fmadd_ps(y, x2, _mm256_add_ps(x, _mm256_set1_ps(1.0f)));
    __m256i k = _mm256_add_epi32(_mm256_cvttps_epi32(fx), _mm256_set1_epi32(127));
    return _mm256_mul_ps(y, _mm256_castsi256_ps(_mm256_slli_epi32(k, 23)));
}

/// erf by Abramowitz–Stegun 7.1.26 (as ATen's Vectorized<float>::erf): 1 − (a1 t + … + a5 t⁵) e^{−x²}, t = 1/(1+p|x|).
QB_AVX2 static inline __m256 qb_erf256(__m256 x) {
    const __m256 sign_mask = _mm256_set1_ps(-0.0f);
    __m256 sign = _mm256_and_ps(x, sign_mask);
    __m256 ax = _mm256_andnot_ps(sign_mask, x);
    __m256 t = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_fmadd_ps(_mm256_set1_ps(0.3275911f), ax, _mm256_set1_ps(1.0f)));
    __m256 r = _mm256_set1_ps(1.061405429f);
    r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(-1.453152027f));
    r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(1.421413741f));
    r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(-0.284496736f));
    r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(0.254829592f));
    r = _mm256_mul_ps(r, t);
    __m256 e = qb_exp256(_mm256_mul_ps(_mm256_xor_ps(ax, sign_mask), ax));   // exp(−x²)
    __m256 y = _mm256_fnmadd_ps(r, e, _mm256_set1_ps(1.0f));
    return _mm256_or_ps(y, sign);
}

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
