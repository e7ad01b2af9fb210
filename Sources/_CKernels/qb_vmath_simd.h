// Private to _CKernels: exp, erf and tanh as fixed sequences of FP32 operations, once as scalar C and once as AVX2
// on 8 lanes, operation for operation (the same constants, the same FMAs, the same order), so a lane of the
// vector version and the scalar version give the same bits for every input. qb_vmath.c's fast AVX2 kernels and
// qb_vmath_det.c's deterministic kernels use them; exp and erf also exist on 16 AVX-512 lanes, the same sequence
// again, for qb_vmath_avx512.c (and for its emulated build, which includes this after qb_avx512_emu.h).
//
//   exp(x), for x ≤ 88.37 (larger inputs give +inf; the encoder only evaluates x ≤ 0): clamp x to ±88.3762626647949,
//       n = floor(x·log2(e) + ½) (one FMA), r = x − n·0.693359375 − n·(−2.12194440e-4) (two FMAs, Cody–Waite),
//       p = Cephes expf's degree-5 polynomial in r by Horner (FMAs), y = p·r² + (r + 1) (one FMA), exp = y · 2ⁿ
//       with 2ⁿ built from the exponent bits (n = −127 gives +0).
//   erf(x): Abramowitz–Stegun 7.1.26 as ATen's Vectorized<float>::erf: t = 1 / (1 + 0.3275911·|x|) (FMA, then an
//       IEEE division), q = ((((a5 t + a4) t + a3) t + a2) t + a1) · t, y = 1 − q · exp(−|x|·|x|) (FMA), the sign
//       bit of x OR-ed in; |error| ≤ 1.5e-7.
//   tanh(x): e = exp(−2|x|), y = (1 − e) / (1 + e), the sign bit of x OR-ed in (absolute error ≤ 2e-7 near 0).
// Include after `#pragma STDC FP_CONTRACT OFF` when the scalar versions are used.
#ifndef QB_VMATH_SIMD_H
#define QB_VMATH_SIMD_H
#include <math.h>
#include <stdint.h>
#include <string.h>

#define QB_EXP_HI 88.3762626647949f
#define QB_EXP_LO (-88.3762626647949f)
#define QB_LOG2E 1.44269504088896341f
#define QB_LN2_HI 0.693359375f
#define QB_LN2_LO (-2.12194440e-4f)
#define QB_EXP_P0 1.9875691500E-4f
#define QB_EXP_P1 1.3981999507E-3f
#define QB_EXP_P2 8.3334519073E-3f
#define QB_EXP_P3 4.1665795894E-2f
#define QB_EXP_P4 1.6666665459E-1f
#define QB_EXP_P5 5.0000001201E-1f
#define QB_ERF_P 0.3275911f
#define QB_ERF_A5 1.061405429f
#define QB_ERF_A4 (-1.453152027f)
#define QB_ERF_A3 1.421413741f
#define QB_ERF_A2 (-0.284496736f)
#define QB_ERF_A1 0.254829592f

static inline uint32_t qb_f2u(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }
static inline float qb_u2f(uint32_t u) { float x; memcpy(&x, &u, 4); return x; }

/// exp(x) as defined above, scalar. max/min as vmaxps/vminps: (a > b ? a : b), so NaN becomes the low clamp.
static inline float qb_exp_det1(float x) {
    x = x > QB_EXP_LO ? x : QB_EXP_LO;
    x = x < QB_EXP_HI ? x : QB_EXP_HI;
    float fx = floorf(fmaf(x, QB_LOG2E, 0.5f));
    x = fmaf(-fx, QB_LN2_HI, x);
    x = fmaf(-fx, QB_LN2_LO, x);
    float y = QB_EXP_P0;
    y = fmaf(y, x, QB_EXP_P1);
    y = fmaf(y, x, QB_EXP_P2);
    y = fmaf(y, x, QB_EXP_P3);
    y = fmaf(y, x, QB_EXP_P4);
    y = fmaf(y, x, QB_EXP_P5);
    const float x2 = x * x;
    y = fmaf(y, x2, x + 1.0f);
    const int32_t k = (int32_t)fx + 127;
    return y * qb_u2f((uint32_t)k << 23);
}

/// erf(x) as defined above, scalar.
static inline float qb_erf_det1(float x) {
    const uint32_t sign = qb_f2u(x) & 0x80000000u;
    const float ax = qb_u2f(qb_f2u(x) & 0x7fffffffu);
    const float t = 1.0f / fmaf(QB_ERF_P, ax, 1.0f);
    float r = QB_ERF_A5;
    r = fmaf(r, t, QB_ERF_A4);
    r = fmaf(r, t, QB_ERF_A3);
    r = fmaf(r, t, QB_ERF_A2);
    r = fmaf(r, t, QB_ERF_A1);
    r = r * t;
    const float e = qb_exp_det1(qb_u2f(qb_f2u(ax) ^ 0x80000000u) * ax);
    const float y = fmaf(-r, e, 1.0f);
    return qb_u2f(qb_f2u(y) | sign);
}

/// tanh(x) as defined above, scalar.
static inline float qb_tanh_det1(float x) {
    const uint32_t sign = qb_f2u(x) & 0x80000000u;
    const float ax = qb_u2f(qb_f2u(x) & 0x7fffffffu);
    const float e = qb_exp_det1(-2.0f * ax);
    const float y = (1.0f - e) / (1.0f + e);
    return qb_u2f(qb_f2u(y) | sign);
}

#if defined(__x86_64__)
#if !defined(QB_AVX512_EMU_H)
#include <immintrin.h>
#define QB_VMATH_AVX2 __attribute__((target("avx2,fma")))

/// exp on 8 lanes: qb_exp_det1 lane by lane.
QB_VMATH_AVX2 static inline __m256 qb_exp256(__m256 x) {
    const __m256 hi = _mm256_set1_ps(QB_EXP_HI), lo = _mm256_set1_ps(QB_EXP_LO);
    x = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
    __m256 fx = _mm256_fmadd_ps(x, _mm256_set1_ps(QB_LOG2E), _mm256_set1_ps(0.5f));
    fx = _mm256_floor_ps(fx);
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(QB_LN2_HI), x);
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(QB_LN2_LO), x);
    __m256 y = _mm256_set1_ps(QB_EXP_P0);
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(QB_EXP_P1));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(QB_EXP_P2));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(QB_EXP_P3));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(QB_EXP_P4));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(QB_EXP_P5));
    __m256 x2 = _mm256_mul_ps(x, x);
    y = _mm256_fmadd_ps(y, x2, _mm256_add_ps(x, _mm256_set1_ps(1.0f)));
    __m256i k = _mm256_add_epi32(_mm256_cvttps_epi32(fx), _mm256_set1_epi32(127));
    return _mm256_mul_ps(y, _mm256_castsi256_ps(_mm256_slli_epi32(k, 23)));
}

/// erf on 8 lanes: qb_erf_det1 lane by lane.
QB_VMATH_AVX2 static inline __m256 qb_erf256(__m256 x) {
    const __m256 sign_mask = _mm256_set1_ps(-0.0f);
    __m256 sign = _mm256_and_ps(x, sign_mask);
    __m256 ax = _mm256_andnot_ps(sign_mask, x);
    __m256 t = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_fmadd_ps(_mm256_set1_ps(QB_ERF_P), ax, _mm256_set1_ps(1.0f)));
    __m256 r = _mm256_set1_ps(QB_ERF_A5);
    r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(QB_ERF_A4));
    r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(QB_ERF_A3));
    r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(QB_ERF_A2));
    r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(QB_ERF_A1));
    r = _mm256_mul_ps(r, t);
    __m256 e = qb_exp256(_mm256_mul_ps(_mm256_xor_ps(ax, sign_mask), ax)); // exp(−x²)
    __m256 y = _mm256_fnmadd_ps(r, e, _mm256_set1_ps(1.0f));
    return _mm256_or_ps(y, sign);
}

/// tanh on 8 lanes: qb_tanh_det1 lane by lane.
QB_VMATH_AVX2 static inline __m256 qb_tanh256(__m256 x) {
    const __m256 sign_mask = _mm256_set1_ps(-0.0f), one = _mm256_set1_ps(1.0f);
    __m256 sign = _mm256_and_ps(x, sign_mask);
    __m256 ax = _mm256_andnot_ps(sign_mask, x);
    __m256 e = qb_exp256(_mm256_mul_ps(_mm256_set1_ps(-2.0f), ax));
    __m256 y = _mm256_div_ps(_mm256_sub_ps(one, e), _mm256_add_ps(one, e));
    return _mm256_or_ps(y, sign);
}
/// The same two functions on 16 lanes (AVX-512F): every lane is the 8-lane version's lane, operation for operation.
#define QB_VMATH_AVX512 __attribute__((target("avx2,fma,avx512f")))
#else
// Included after qb_avx512_emu.h (qb_vmath_avx512_emu.c): only the 16-lane functions, on the emulated intrinsics,
// with the AVX2 + FMA target of their callers.
#define QB_VMATH_AVX512 __attribute__((target("avx2,fma")))
#endif

QB_VMATH_AVX512 static inline __m512 qb_exp512(__m512 x) {
    const __m512 hi = _mm512_set1_ps(QB_EXP_HI), lo = _mm512_set1_ps(QB_EXP_LO);
    x = _mm512_min_ps(_mm512_max_ps(x, lo), hi);
    __m512 fx = _mm512_fmadd_ps(x, _mm512_set1_ps(QB_LOG2E), _mm512_set1_ps(0.5f));
    fx = _mm512_roundscale_ps(fx, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); // floor
    x = _mm512_fnmadd_ps(fx, _mm512_set1_ps(QB_LN2_HI), x);
    x = _mm512_fnmadd_ps(fx, _mm512_set1_ps(QB_LN2_LO), x);
    __m512 y = _mm512_set1_ps(QB_EXP_P0);
    y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(QB_EXP_P1));
    y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(QB_EXP_P2));
    y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(QB_EXP_P3));
    y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(QB_EXP_P4));
    y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(QB_EXP_P5));
    __m512 x2 = _mm512_mul_ps(x, x);
    y = _mm512_fmadd_ps(y, x2, _mm512_add_ps(x, _mm512_set1_ps(1.0f)));
    __m512i k = _mm512_add_epi32(_mm512_cvttps_epi32(fx), _mm512_set1_epi32(127));
    return _mm512_mul_ps(y, _mm512_castsi512_ps(_mm512_slli_epi32(k, 23)));
}

QB_VMATH_AVX512 static inline __m512 qb_erf512(__m512 x) {
    const __m512i sign_mask = _mm512_set1_epi32((int)0x80000000u);
    const __m512i xi = _mm512_castps_si512(x);
    const __m512i sign = _mm512_and_si512(xi, sign_mask);
    const __m512 ax = _mm512_castsi512_ps(_mm512_andnot_si512(sign_mask, xi));
    __m512 t = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_fmadd_ps(_mm512_set1_ps(QB_ERF_P), ax, _mm512_set1_ps(1.0f)));
    __m512 r = _mm512_set1_ps(QB_ERF_A5);
    r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(QB_ERF_A4));
    r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(QB_ERF_A3));
    r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(QB_ERF_A2));
    r = _mm512_fmadd_ps(r, t, _mm512_set1_ps(QB_ERF_A1));
    r = _mm512_mul_ps(r, t);
    const __m512 nax = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(ax), sign_mask));
    __m512 e = qb_exp512(_mm512_mul_ps(nax, ax)); // exp(−x²)
    __m512 y = _mm512_fnmadd_ps(r, e, _mm512_set1_ps(1.0f));
    return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(y), sign));
}
#endif
#endif
