// Activation quantization and min/max on AVX-512 (AVX512F + BW; families "avx512vnni" and "amx"): 16 lanes, the
// operations of qb_quantize.c's AVX2 versions per element, so bit-identical with them and with `_ref` (the
// semantics, fbgemm's, are documented there).
//
// Quantize: multiply, min with hi (NaN → hi, as vminps returns its second operand), max with lo, cvtps2dq (nearest
// even), + zp, so every int32 is already in [qmin, qmax]. 64 values per iteration: four vectors packed to bytes by
// saturating packs (which then never saturate) and one lane permutation, as the AVX2 version does for 32; the tail
// goes through vpmovdb (truncation, exact in range) with masked loads and stores (nothing read or written past n).
//
// The same source compiles twice: natively and as the "avx512vnni_emu" family's kernels (qb_quantize_avx512_emu.c
// defines QB_QUANTIZE_EMULATE; qb_avx512_emu.h has portable versions of these intrinsics, names suffixed
// `_avx512_emu`), so its logic is tested bit-exact on CPUs without AVX-512.
#pragma STDC FP_CONTRACT OFF
#include "qb_kernels_internal.h"
#include <math.h>

#if QB_X86
#if defined(QB_QUANTIZE_EMULATE)
#include "qb_avx512_emu.h"
#define QB_Q512_TARGET
#define QB_Q512_FN(name) name##_avx512_emu
#else
#include <immintrin.h>
#define QB_Q512_TARGET QB_TARGET_AVX512VNNI
#define QB_Q512_FN(name) name##_avx512
#endif

// Quantize: multiply, min with hi (NaN → hi, as vminps returns its second operand), max with lo, cvtps2dq (nearest
// even), + zp, so every int32 is already in [qmin, qmax]. 64 values per iteration: four vectors packed to bytes by
// saturating packs (which then never saturate) and one lane permutation, as the AVX2 version does for 32; the tail
// goes through vpmovdb (truncation, exact in range) with masked loads and stores (nothing read or written past n).
QB_Q512_TARGET static inline __m512i qb_quantize16_avx512(__m512 v, __m512 inv, __m512 lo, __m512 hi,
                                                              __m512i zp) {
    v = _mm512_mul_ps(v, inv);
    v = _mm512_min_ps(v, hi);
    v = _mm512_max_ps(v, lo);
    return _mm512_add_epi32(_mm512_cvtps_epi32(v), zp);
}

QB_Q512_TARGET static void qb_quantize_avx512(const float *x, int n, float inv_scale, int32_t zero_point,
                                                   int32_t qmin, int32_t qmax, uint8_t *q, int is_signed) {
    const __m512 inv = _mm512_set1_ps(inv_scale);
    const __m512 lo = _mm512_set1_ps((float)(qmin - zero_point)), hi = _mm512_set1_ps((float)(qmax - zero_point));
    const __m512i zp = _mm512_set1_epi32(zero_point);
    // After the two packs, dword 4·lane + j holds values 16j + 4·lane … + 3: gather dword t from 4·(t % 4) + t / 4.
    const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    int i = 0;
    for (; i + 64 <= n; i += 64) {
        const __m512i v0 = qb_quantize16_avx512(_mm512_loadu_ps(x + i), inv, lo, hi, zp);
        const __m512i v1 = qb_quantize16_avx512(_mm512_loadu_ps(x + i + 16), inv, lo, hi, zp);
        const __m512i v2 = qb_quantize16_avx512(_mm512_loadu_ps(x + i + 32), inv, lo, hi, zp);
        const __m512i v3 = qb_quantize16_avx512(_mm512_loadu_ps(x + i + 48), inv, lo, hi, zp);
        __m512i b;
        if (is_signed) b = _mm512_packs_epi16(_mm512_packs_epi32(v0, v1), _mm512_packs_epi32(v2, v3));
        else b = _mm512_packus_epi16(_mm512_packus_epi32(v0, v1), _mm512_packus_epi32(v2, v3));
        _mm512_storeu_si512((void *)(q + i), _mm512_permutexvar_epi32(order, b));
    }
    for (; i < n; i += 16) {
        const __mmask16 k = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1u);
        const __m512i v = qb_quantize16_avx512(_mm512_maskz_loadu_ps(k, x + i), inv, lo, hi, zp);
        _mm_mask_storeu_epi8(q + i, k, _mm512_cvtepi32_epi8(v));
    }
}

void QB_Q512_FN(qb_quantize_u8)(const float *x, int n, float inv_scale, int32_t zero_point, int32_t qmin, int32_t qmax,
                           uint8_t *q) {
    qb_quantize_avx512(x, n, inv_scale, zero_point, qmin, qmax, q, 0);
}

void QB_Q512_FN(qb_quantize_s8)(const float *x, int n, float inv_scale, int32_t zero_point, int32_t qmin, int32_t qmax,
                           int8_t *q) {
    qb_quantize_avx512(x, n, inv_scale, zero_point, qmin, qmax, (uint8_t *)q, 1);
}

// Min/max: vminps(v, acc) returns acc when v is NaN, so NaNs are skipped lane by lane (as in the AVX2 version);
// four accumulator pairs, then the lanes and the tail in scalar code, then qb_minmax_finish.
QB_Q512_TARGET void QB_Q512_FN(qb_minmax_f32)(const float *x, size_t n, float *min_out, float *max_out) {
    __m512 mn[4], mx[4];
    for (int j = 0; j < 4; j++) { mn[j] = _mm512_set1_ps(INFINITY); mx[j] = _mm512_set1_ps(-INFINITY); }
    size_t i = 0;
    for (; i + 64 <= n; i += 64)
        for (int j = 0; j < 4; j++) {
            const __m512 a = _mm512_loadu_ps(x + i + 16 * j);
            mn[j] = _mm512_min_ps(a, mn[j]);
            mx[j] = _mm512_max_ps(a, mx[j]);
        }
    for (; i + 16 <= n; i += 16) {
        const __m512 a = _mm512_loadu_ps(x + i);
        mn[0] = _mm512_min_ps(a, mn[0]);
        mx[0] = _mm512_max_ps(a, mx[0]);
    }
    const __m512 mnv = _mm512_min_ps(_mm512_min_ps(mn[0], mn[1]), _mm512_min_ps(mn[2], mn[3]));
    const __m512 mxv = _mm512_max_ps(_mm512_max_ps(mx[0], mx[1]), _mm512_max_ps(mx[2], mx[3]));
    float lmn[16], lmx[16];
    _mm512_storeu_ps(lmn, mnv);
    _mm512_storeu_ps(lmx, mxv);
    qb_minmax_finish(lmn, lmx, 16, x, i, n, min_out, max_out);
}
#endif
