// binary16 conversion, reference + F16C.
//
// FP32 → FP16 follows PyTorch's fp16 dynamic weights (fbgemm_pack_gemm_matrix_fp16 → handle_weights_saturation:
// `if (w > 65504) w = 65504; if (w < -65504) w = -65504;`, then round to nearest even):
//   * finite |x| ≥ 65520 (which would round to inf) and ±inf saturate to ±65504 (0x7BFF / 0xFBFF);
//   * NaN stays NaN: sign kept, quiet bit set, top 10 payload bits kept — exactly what vcvtps2ph produces;
//   * everything else rounds to nearest, ties to even, including into and within the subnormal range
//     (2^-25 → 0, 3·2^-25 → 2^-23 ...).
// FP16 → FP32 is exact; NaN payloads are kept and the quiet bit set (as vcvtph2ps does).
// The F16C path clamps with min/max first (operands ordered so NaN passes through), then vcvtps2ph with
// imm 0 (round to nearest even, not MXCSR). Assumes the default MXCSR (no DAZ/FTZ), as all of this project does.
#include "qb_kernels_internal.h"
#include <string.h>

static inline uint32_t qb_f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float qb_bits_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

static uint16_t qb_f32_to_f16_one(float f) {
    const uint32_t x = qb_f32_bits(f);
    const uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    const uint32_t ax = x & 0x7FFFFFFFu;
    if (ax > 0x7F800000u) return (uint16_t)(sign | 0x7E00u | ((ax & 0x7FFFFFu) >> 13)); // NaN
    if (ax >= 0x477FE000u) return (uint16_t)(sign | 0x7BFFu);                        // |x| ≥ 65504, inf
    if (ax >= 0x38800000u) {                                                          // normal half: |x| ≥ 2^-14
        uint32_t r = ax - 0x38000000u;                                                // rebias 127 → 15
        uint32_t h = r >> 13, rem = r & 0x1FFFu;
        if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) h++;                       // carries into exponent fine
        return (uint16_t)(sign | h);
    }
    // Subnormal half (or zero): h = round(|x| · 2^24), |x| = mant · 2^(e − 150)  ⇒  h = mant >> (126 − e).
    const uint32_t e = ax >> 23;
    const uint32_t shift = 126u - e; // ≥ 14 here
    if (shift > 24u) return sign;    // |x| < 2^-25: rounds to zero (float subnormals included)
    const uint32_t mant = (ax & 0x7FFFFFu) | 0x800000u;
    uint32_t h = mant >> shift, rem = mant & ((1u << shift) - 1u), half = 1u << (shift - 1u);
    if (rem > half || (rem == half && (h & 1u))) h++;
    return (uint16_t)(sign | h);
}

static float qb_f16_to_f32_one(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    const uint32_t e = (h >> 10) & 0x1Fu;
    uint32_t m = h & 0x3FFu;
    if (e == 0x1Fu) return qb_bits_f32(sign | 0x7F800000u | (m ? 0x400000u | (m << 13) : 0u));
    if (e != 0) return qb_bits_f32(sign | ((e + 112u) << 23) | (m << 13));
    if (m == 0) return qb_bits_f32(sign);
    // Subnormal: m · 2^-24, normalised.
    uint32_t shift = 0;
    while (!(m & 0x400u)) { m <<= 1; shift++; }
    return qb_bits_f32(sign | ((113u - shift) << 23) | ((m & 0x3FFu) << 13));
}

void qb_f32_to_f16_ref(const float *x, size_t n, uint16_t *h) {
    for (size_t i = 0; i < n; i++) h[i] = qb_f32_to_f16_one(x[i]);
}

void qb_f16_to_f32_ref(const uint16_t *h, size_t n, float *x) {
    for (size_t i = 0; i < n; i++) x[i] = qb_f16_to_f32_one(h[i]);
}

#if QB_X86
#include <immintrin.h>

QB_TARGET_AVX2 static inline __m128i qb_cvt8_f16c(__m256 v) {
    const __m256 lim = _mm256_set1_ps(65504.0f), nlim = _mm256_set1_ps(-65504.0f);
    v = _mm256_min_ps(lim, v);  // NaN in v (second operand) is returned as is
    v = _mm256_max_ps(nlim, v);
    return _mm256_cvtps_ph(v, 0); // imm 0: round to nearest even
}

QB_TARGET_AVX2 void qb_f32_to_f16_avx2(const float *x, size_t n, uint16_t *h) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm_storeu_si128((__m128i *)(h + i), qb_cvt8_f16c(_mm256_loadu_ps(x + i)));
    if (i < n) {
        float t[8] = {0};
        uint16_t o[8];
        memcpy(t, x + i, (n - i) * sizeof(float));
        _mm_storeu_si128((__m128i *)o, qb_cvt8_f16c(_mm256_loadu_ps(t)));
        memcpy(h + i, o, (n - i) * sizeof(uint16_t));
    }
}

QB_TARGET_AVX2 void qb_f16_to_f32_avx2(const uint16_t *h, size_t n, float *x) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(h + i))));
    if (i < n) {
        uint16_t t[8] = {0};
        float o[8];
        memcpy(t, h + i, (n - i) * sizeof(uint16_t));
        _mm256_storeu_ps(o, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)t)));
        memcpy(x + i, o, (n - i) * sizeof(float));
    }
}
#endif
