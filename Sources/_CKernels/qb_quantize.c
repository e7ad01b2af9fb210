// Activation quantization and min/max, reference and AVX2; the AVX-512 versions (families "avx512vnni" and "amx")
// are in qb_quantize_avx512.c. All bit-identical (the same operations per element; min/max is order-free).
//
// Quantize follows fbgemm's QuantizeAvx2<T, LEGACY=false> (the path PyTorch's dynamic linear uses):
//   v = x · inv_scale            (one float multiply — no FMA, no division)
//   q = clamp(zero_point + nearbyint(v), qmin, qmax), nearbyint = round half to even (default rounding mode;
//       _mm256_cvtps_epi32 rounds the same way under the default MXCSR).
// Out-of-range values: v is clamped in float to [qmin − zp, qmax − zp] *before* rounding, which gives exactly the
// mathematical clamp above and never converts a float outside int32 (fbgemm clips only at 2^31 − 128 and can wrap
// when adding zp; we do not reproduce that wrap). NaN → qmax (as fbgemm's AVX2 path, whose _mm256_min_ps maps NaN
// to its clip value), +inf → qmax, −inf → qmin. qmin − zp and qmax − zp must be exact in float (|·| ≤ 2^24).
//
// Min/max: NaN elements are ignored (both versions); all-NaN input gives NaN, NaN. A zero result is returned as
// +0 (so −0/+0 ordering between SIMD lanes cannot make the two versions differ).
#pragma STDC FP_CONTRACT OFF
#include "qb_kernels_internal.h"
#include <math.h>

static inline int32_t qb_quantize_one(float x, float inv_scale, int32_t zp, float lo, float hi) {
    float v = x * inv_scale;
    if (!(v < hi)) v = hi; // NaN, +inf and v ≥ hi
    if (v < lo) v = lo;
    return zp + (int32_t)nearbyintf(v);
}

void qb_quantize_u8_ref(const float *x, int n, float inv_scale, int32_t zero_point, int32_t qmin, int32_t qmax, uint8_t *q) {
    const float lo = (float)(qmin - zero_point), hi = (float)(qmax - zero_point);
    for (int i = 0; i < n; i++) q[i] = (uint8_t)qb_quantize_one(x[i], inv_scale, zero_point, lo, hi);
}

void qb_quantize_s8_ref(const float *x, int n, float inv_scale, int32_t zero_point, int32_t qmin, int32_t qmax, int8_t *q) {
    const float lo = (float)(qmin - zero_point), hi = (float)(qmax - zero_point);
    for (int i = 0; i < n; i++) q[i] = (int8_t)qb_quantize_one(x[i], inv_scale, zero_point, lo, hi);
}

void qb_minmax_finish(const float *lmn, const float *lmx, int lanes, const float *x, size_t from, size_t n,
                      float *min_out, float *max_out) {
    float mn = INFINITY, mx = -INFINITY;
    for (int j = 0; j < lanes; j++) {
        if (lmn[j] < mn) mn = lmn[j];
        if (lmx[j] > mx) mx = lmx[j];
    }
    for (size_t i = from; i < n; i++) {
        if (x[i] < mn) mn = x[i];
        if (x[i] > mx) mx = x[i];
    }
    if (mn > mx) { mn = NAN; mx = NAN; } // only when every element was NaN
    *min_out = mn + 0.0f;                // −0 → +0
    *max_out = mx + 0.0f;
}

void qb_minmax_f32_ref(const float *x, size_t n, float *min_out, float *max_out) {
    qb_minmax_finish(NULL, NULL, 0, x, 0, n, min_out, max_out);
}

#if QB_X86
#include <immintrin.h>

// 32 floats → 32 clamped int32 (in [qmin, qmax]) in four vectors.
QB_TARGET_AVX2 static inline void qb_quantize32_avx2(const float *x, __m256 inv, __m256 lo, __m256 hi, __m256i zp,
                                                    __m256i out[4]) {
    for (int j = 0; j < 4; j++) {
        __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + 8 * j), inv);
        v = _mm256_min_ps(v, hi); // NaN in the first operand → second operand (hi)
        v = _mm256_max_ps(v, lo);
        out[j] = _mm256_add_epi32(_mm256_cvtps_epi32(v), zp);
    }
}

QB_TARGET_AVX2 static void qb_quantize_avx2(const float *x, int n, float inv_scale, int32_t zero_point, int32_t qmin,
                                           int32_t qmax, uint8_t *q, int is_signed) {
    const __m256 inv = _mm256_set1_ps(inv_scale);
    const __m256 lo = _mm256_set1_ps((float)(qmin - zero_point)), hi = _mm256_set1_ps((float)(qmax - zero_point));
    const __m256i zp = _mm256_set1_epi32(zero_point);
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    int i = 0;
    for (;;) {
        float tail[32];
        const float *src = x + i;
        int len = n - i;
        if (len <= 0) break;
        if (len < 32) { // last partial block: through a zero-padded copy, same instructions
            for (int j = 0; j < 32; j++) tail[j] = j < len ? x[i + j] : 0.0f;
            src = tail;
        }
        __m256i v[4];
        qb_quantize32_avx2(src, inv, lo, hi, zp, v);
        __m256i p01, p23, b;
        if (is_signed) {
            p01 = _mm256_packs_epi32(v[0], v[1]);
            p23 = _mm256_packs_epi32(v[2], v[3]);
            b = _mm256_packs_epi16(p01, p23);
        } else {
            p01 = _mm256_packus_epi32(v[0], v[1]);
            p23 = _mm256_packus_epi32(v[2], v[3]);
            b = _mm256_packus_epi16(p01, p23);
        }
        b = _mm256_permutevar8x32_epi32(b, order);
        if (len >= 32) {
            _mm256_storeu_si256((__m256i *)(q + i), b);
            i += 32;
        } else {
            uint8_t t[32];
            _mm256_storeu_si256((__m256i *)t, b);
            for (int j = 0; j < len; j++) q[i + j] = t[j];
            break;
        }
    }
}

void qb_quantize_u8_avx2(const float *x, int n, float inv_scale, int32_t zero_point, int32_t qmin, int32_t qmax, uint8_t *q) {
    qb_quantize_avx2(x, n, inv_scale, zero_point, qmin, qmax, q, 0);
}

void qb_quantize_s8_avx2(const float *x, int n, float inv_scale, int32_t zero_point, int32_t qmin, int32_t qmax, int8_t *q) {
    qb_quantize_avx2(x, n, inv_scale, zero_point, qmin, qmax, (uint8_t *)q, 1);
}

QB_TARGET_AVX2 void qb_minmax_f32_avx2(const float *x, size_t n, float *min_out, float *max_out) {
    __m256 mn0 = _mm256_set1_ps(INFINITY), mn1 = mn0, mx0 = _mm256_set1_ps(-INFINITY), mx1 = mx0;
    size_t i = 0;
    // _mm256_min_ps(v, acc) returns acc when v is NaN: NaNs are skipped lane by lane.
    for (; i + 16 <= n; i += 16) {
        __m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + 8);
        mn0 = _mm256_min_ps(a, mn0); mx0 = _mm256_max_ps(a, mx0);
        mn1 = _mm256_min_ps(b, mn1); mx1 = _mm256_max_ps(b, mx1);
    }
    mn0 = _mm256_min_ps(mn1, mn0);
    mx0 = _mm256_max_ps(mx1, mx0);
    float lmn[8], lmx[8];
    _mm256_storeu_ps(lmn, mn0);
    _mm256_storeu_ps(lmx, mx0);
    qb_minmax_finish(lmn, lmx, 8, x, i, n, min_out, max_out);
}
#endif
