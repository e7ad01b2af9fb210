// Portable C emulation of exactly the x86 intrinsics the AVX-512 kernel files use, so that each source compiles a
// second time against this header instead of <immintrin.h> and runs on CPUs without AVX-512:
//   qb_qgemm_avx512vnni.c  (qb_qgemm_avx512vnni_emu.c, QB_VNNI_EMULATE)   the int8 VNNI GEMM
//   qb_gemm_bf16_avx512.c  (qb_gemm_bf16_avx512_emu.c, QB_BF16_EMULATE)   the bf16 GEMM
//   qb_quantize_avx512.c   (qb_quantize_avx512_emu.c, QB_QUANTIZE_EMULATE) activation quantize and min/max
//   qb_vmath_avx512.c      (qb_vmath_avx512_emu.c, QB_VMATH_EMULATE)      fast GELU and masked softmax
//   qb_sgemm_avx512.c      (qb_sgemm_avx512_emu.c, QB_SGEMM_EMULATE)      the deterministic FP32 micro-kernel
// Together they are the "avx512vnni_emu" family (qb_dispatch.c), which KernelsTests check bit-exact against the
// references and the AVX2 kernels. It checks the kernels' logic (blocking, tails, the packed layouts, lane orders,
// the s8 +128 shift and row-sum correction, the fused epilogues), not the silicon. The 128- and 256-bit intrinsics
// these files use are emulated too (a file includes either this header or <immintrin.h>, never both).
//
// Semantics follow Intel's pseudo-code (SDM vol. 2 / the Intrinsics Guide), lane by lane, under the default MXCSR
// (round to nearest even, no DAZ/FTZ, exceptions masked), which is also C's default floating-point environment:
//   _mm512_dpbusd_epi32(src, a, b)  dst[j] = src[j] + Σ_{i<4} u8(a.byte[4j+i]) · s8(b.byte[4j+i]), wrapping int32
//                                    (no saturation: that is vpdpbusds)
//   add/sub/mullo/slli_epi32         wrapping int32 (mullo keeps the low 32 bits of the product)
//   and/andnot/or/xor_si512          bitwise; andnot(a, b) = ~a & b
//   cvtepi32_ps                      int32 → float, round to nearest even (C's conversion under the default mode)
//   cvtps_epi32 / cvttps_epi32       float → int32 rounded to nearest even (MXCSR default) / truncated; NaN and
//                                    values outside [−2^31, 2^31) give 0x80000000 (the "integer indefinite")
//   cvtepi32_epi8                    vpmovdb: the low byte of each int32 (truncation, no saturation)
//   packs_epi32 / packus_epi32       int32 → int16 with signed / unsigned saturation; packs_epi16 / packus_epi16
//                                    int16 → int8 likewise. 512-bit packs work per 128-bit lane: lane l of the
//                                    result is (lane l of a packed, then lane l of b packed), never across lanes
//   permutexvar_epi32(idx, a)        dst[j] = a[idx[j] & 15]
//   add/sub/mul/div_ps, _ss          one IEEE single operation per lane (FP contraction is off below: no FMA)
//   fmadd_ps(a, b, c) / fnmadd_ps    a·b + c / −(a·b) + c with one rounding (fmaf: exactly fused); one NaN operand
//                                    comes back quieted with its sign (fnmadd does not negate it); with several,
//                                    which one the silicon returns depends on the instruction form (132/213/231)
//                                    the compiler picks, so it is not a property of the intrinsic
//   min_ps(a, b) / max_ps(a, b)      a < b ? a : b / a > b ? a : b: the SECOND operand when either is NaN or both
//                                    are zeros (of any sign), as vminps / vmaxps; min_ss / max_ss on lane 0 only
//   roundscale_ps(a, imm)            imm[1:0] rounding (nearest even, down, up, toward zero), imm[2] the MXCSR
//                                    mode instead; only scale M = imm[7:4] = 0 is emulated (others abort)
//   cmp_ps_mask(a, b, p)             every predicate p < 32: ordered ones (_OQ/_OS) false, unordered ones (_UQ/_US)
//                                    true when either operand is NaN; signalling vs quiet only changes exceptions
//   mask_blend_ps(k, a, b)           k[j] ? b[j] : a[j];  maskz_mov_ps(k, a): k[j] ? a[j] : 0
//   maskz_loadu / mask_storeu        lanes whose mask bit is clear are zero / not touched (never read or written)
//   casts, extractf64x4_pd, extractf128_ps, castps512_ps256, castps256_ps128   bit copies of (parts of) a register
//   _mm_movehl_ps(a, b)              (b[2], b[3], a[2], a[3]);  _mm_shuffle_ps(a, b, i): (a[i&3], a[(i>>2)&3],
//                                    b[(i>>4)&3], b[i>>6])
//   _mm512_dpbf16_ps(src, a, b)      dst[j] = src[j] + a.bf16[2j+1]·b.bf16[2j+1], then + a.bf16[2j]·b.bf16[2j]:
//                                    each step one rounding (the product is exact), DAZ on inputs, FTZ on results
//                                    (Intel's pseudo-code; the same as AMD Zen 5 silicon, KernelsTests)
// The arrays are 64-byte aligned so `_mm512_load_si512` / `_mm512_store_ps` keep their alignment requirement
// (checked: a misaligned address aborts, as the hardware would fault).
// FP contraction is off from here on (so no emulated operation is fused by the compiler); an includer whose own
// scalar code relies on the default contraction restores it after the include (qb_vmath_avx512.c does).
#ifndef QB_AVX512_EMU_H
#define QB_AVX512_EMU_H
#pragma STDC FP_CONTRACT OFF
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { _Alignas(64) int32_t i[16]; } qb_emu_m512i;
typedef struct { _Alignas(64) float f[16]; } qb_emu_m512;
typedef uint16_t qb_emu_mmask16;
typedef struct { _Alignas(64) uint16_t h[32]; } qb_emu_m512bh;
typedef struct { _Alignas(64) double d[8]; } qb_emu_m512d;
typedef struct { _Alignas(32) float f[8]; } qb_emu_m256;
typedef struct { _Alignas(32) double d[4]; } qb_emu_m256d;
typedef struct { _Alignas(16) float f[4]; } qb_emu_m128;
typedef struct { _Alignas(16) int32_t i[4]; } qb_emu_m128i;

#define __m512i qb_emu_m512i
#define __m512 qb_emu_m512
#define __mmask16 qb_emu_mmask16
#define __m512bh qb_emu_m512bh
#define __m512d qb_emu_m512d
#define __m256 qb_emu_m256
#define __m256d qb_emu_m256d
#define __m128 qb_emu_m128
#define __m128i qb_emu_m128i

// Immediates, with <immintrin.h>'s values.
#define _MM_FROUND_TO_NEAREST_INT 0x00
#define _MM_FROUND_TO_NEG_INF 0x01
#define _MM_FROUND_TO_POS_INF 0x02
#define _MM_FROUND_TO_ZERO 0x03
#define _MM_FROUND_CUR_DIRECTION 0x04
#define _MM_FROUND_NO_EXC 0x08
#define _CMP_EQ_OQ 0x00
#define _CMP_LT_OS 0x01
#define _CMP_LE_OS 0x02
#define _CMP_UNORD_Q 0x03
#define _CMP_NEQ_UQ 0x04
#define _CMP_NLT_US 0x05
#define _CMP_NLE_US 0x06
#define _CMP_ORD_Q 0x07
#define _CMP_EQ_UQ 0x08
#define _CMP_NGE_US 0x09
#define _CMP_NGT_US 0x0A
#define _CMP_FALSE_OQ 0x0B
#define _CMP_NEQ_OQ 0x0C
#define _CMP_GE_OS 0x0D
#define _CMP_GT_OS 0x0E
#define _CMP_TRUE_UQ 0x0F

static inline void qb_emu_need_aligned(const void *p) {
    if (((uintptr_t)p & 63) != 0) {
        fprintf(stderr, "qb_avx512_emu: aligned 64-byte access to a misaligned address (the hardware would fault)\n");
        abort();
    }
}

static inline __m512i _mm512_setzero_si512(void) { __m512i r; memset(&r, 0, sizeof r); return r; }
static inline __m512i _mm512_set1_epi32(int32_t x) { __m512i r; for (int j = 0; j < 16; j++) r.i[j] = x; return r; }
static inline __m512 _mm512_setzero_ps(void) { __m512 r; memset(&r, 0, sizeof r); return r; }
static inline __m512 _mm512_set1_ps(float x) { __m512 r; for (int j = 0; j < 16; j++) r.f[j] = x; return r; }
static inline __m512i _mm512_loadu_si512(const void *p) { __m512i r; memcpy(r.i, p, 64); return r; }
static inline __m512i _mm512_load_si512(const void *p) { qb_emu_need_aligned(p); return _mm512_loadu_si512(p); }
static inline void _mm512_storeu_si512(void *p, __m512i x) { memcpy(p, x.i, 64); }
static inline void _mm512_store_si512(void *p, __m512i x) { qb_emu_need_aligned(p); memcpy(p, x.i, 64); }
static inline __m512 _mm512_loadu_ps(const void *p) { __m512 r; memcpy(r.f, p, 64); return r; }
static inline void _mm512_storeu_ps(void *p, __m512 x) { memcpy(p, x.f, 64); }

static inline __m512i _mm512_maskz_loadu_epi32(__mmask16 k, const void *p) {
    __m512i r;
    for (int j = 0; j < 16; j++) r.i[j] = (k >> j) & 1 ? ((const int32_t *)p)[j] : 0;
    return r;
}
static inline __m512 _mm512_maskz_loadu_ps(__mmask16 k, const void *p) {
    __m512 r;
    for (int j = 0; j < 16; j++) r.f[j] = (k >> j) & 1 ? ((const float *)p)[j] : 0.0f;
    return r;
}
static inline void _mm512_mask_storeu_ps(void *p, __mmask16 k, __m512 x) {
    for (int j = 0; j < 16; j++)
        if ((k >> j) & 1) ((float *)p)[j] = x.f[j];
}

static inline __m512i _mm512_add_epi32(__m512i a, __m512i b) {
    for (int j = 0; j < 16; j++) a.i[j] = (int32_t)((uint32_t)a.i[j] + (uint32_t)b.i[j]);
    return a;
}
static inline __m512i _mm512_sub_epi32(__m512i a, __m512i b) {
    for (int j = 0; j < 16; j++) a.i[j] = (int32_t)((uint32_t)a.i[j] - (uint32_t)b.i[j]);
    return a;
}
static inline __m512i _mm512_mullo_epi32(__m512i a, __m512i b) {
    for (int j = 0; j < 16; j++) a.i[j] = (int32_t)((uint32_t)a.i[j] * (uint32_t)b.i[j]);
    return a;
}
static inline __m512i _mm512_slli_epi32(__m512i a, unsigned int n) {
    for (int j = 0; j < 16; j++) a.i[j] = n > 31 ? 0 : (int32_t)((uint32_t)a.i[j] << n);
    return a;
}
static inline __m512i _mm512_dpbusd_epi32(__m512i src, __m512i a, __m512i b) {
    const uint8_t *ab = (const uint8_t *)a.i;
    const int8_t *bb = (const int8_t *)b.i;
    for (int j = 0; j < 16; j++) {
        uint32_t s = (uint32_t)src.i[j];
        for (int i = 0; i < 4; i++) s += (uint32_t)((int32_t)ab[4 * j + i] * (int32_t)bb[4 * j + i]);
        src.i[j] = (int32_t)s;
    }
    return src;
}

static inline __m512 _mm512_cvtepi32_ps(__m512i a) {
    __m512 r;
    for (int j = 0; j < 16; j++) r.f[j] = (float)a.i[j];
    return r;
}
static inline __m512 _mm512_mul_ps(__m512 a, __m512 b) {
    for (int j = 0; j < 16; j++) a.f[j] = a.f[j] * b.f[j];
    return a;
}
static inline __m512 _mm512_add_ps(__m512 a, __m512 b) {
    for (int j = 0; j < 16; j++) a.f[j] = a.f[j] + b.f[j];
    return a;
}
static inline __m512bh qb_emu_as_bh(__m512i x) { __m512bh r; memcpy(r.h, x.i, 64); return r; }
static inline float qb_emu_bf16_daz(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    if ((u & 0x7F800000u) == 0) u &= 0x80000000u;
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static inline float qb_emu_ftz(float x) { return fabsf(x) < 1.17549435e-38f ? copysignf(0.0f, x) : x; }
static inline __m512 _mm512_dpbf16_ps(__m512 src, __m512bh a, __m512bh b) {
    for (int j = 0; j < 16; j++) {
        float acc = qb_emu_ftz(src.f[j]);
        acc = qb_emu_ftz(fmaf(qb_emu_bf16_daz(a.h[2 * j + 1]), qb_emu_bf16_daz(b.h[2 * j + 1]), acc));
        acc = qb_emu_ftz(fmaf(qb_emu_bf16_daz(a.h[2 * j]), qb_emu_bf16_daz(b.h[2 * j]), acc));
        src.f[j] = acc;
    }
    return src;
}
// ---- quantize, min/max, vector math, FP32 GEMM (qb_quantize_avx512.c, qb_vmath_avx512.c, qb_sgemm_avx512.c) ---------
static inline __m512i _mm512_setr_epi32(int32_t e0, int32_t e1, int32_t e2, int32_t e3, int32_t e4, int32_t e5,
                                        int32_t e6, int32_t e7, int32_t e8, int32_t e9, int32_t e10, int32_t e11,
                                        int32_t e12, int32_t e13, int32_t e14, int32_t e15) {
    const int32_t e[16] = {e0, e1, e2, e3, e4, e5, e6, e7, e8, e9, e10, e11, e12, e13, e14, e15};
    __m512i r;
    memcpy(r.i, e, 64);
    return r;
}
static inline void _mm512_store_ps(void *p, __m512 x) { qb_emu_need_aligned(p); memcpy(p, x.f, 64); }
static inline void _mm_mask_storeu_epi8(void *p, __mmask16 k, __m128i x) {
    const uint8_t *b = (const uint8_t *)x.i;
    for (int j = 0; j < 16; j++)
        if ((k >> j) & 1) ((uint8_t *)p)[j] = b[j];
}

static inline __m512i _mm512_and_si512(__m512i a, __m512i b) {
    for (int j = 0; j < 16; j++) a.i[j] &= b.i[j];
    return a;
}
static inline __m512i _mm512_andnot_si512(__m512i a, __m512i b) {
    for (int j = 0; j < 16; j++) a.i[j] = ~a.i[j] & b.i[j];
    return a;
}
static inline __m512i _mm512_or_si512(__m512i a, __m512i b) {
    for (int j = 0; j < 16; j++) a.i[j] |= b.i[j];
    return a;
}
static inline __m512i _mm512_xor_si512(__m512i a, __m512i b) {
    for (int j = 0; j < 16; j++) a.i[j] ^= b.i[j];
    return a;
}

// Bit copies between register types.
static inline __m512 _mm512_castsi512_ps(__m512i a) { __m512 r; memcpy(r.f, a.i, 64); return r; }
static inline __m512i _mm512_castps_si512(__m512 a) { __m512i r; memcpy(r.i, a.f, 64); return r; }
static inline __m512d _mm512_castps_pd(__m512 a) { __m512d r; memcpy(r.d, a.f, 64); return r; }
static inline __m256d _mm512_extractf64x4_pd(__m512d a, int imm) {
    __m256d r;
    memcpy(r.d, a.d + 4 * (imm & 1), 32);
    return r;
}
static inline __m256 _mm512_castps512_ps256(__m512 a) { __m256 r; memcpy(r.f, a.f, 32); return r; }
static inline __m256 _mm256_castpd_ps(__m256d a) { __m256 r; memcpy(r.f, a.d, 32); return r; }
static inline __m128 _mm256_castps256_ps128(__m256 a) { __m128 r; memcpy(r.f, a.f, 16); return r; }
static inline __m128 _mm256_extractf128_ps(__m256 a, int imm) {
    __m128 r;
    memcpy(r.f, a.f + 4 * (imm & 1), 16);
    return r;
}
static inline float _mm_cvtss_f32(__m128 a) { return a.f[0]; }

// Conversions. x86 converts NaN and out-of-range values to INT32_MIN; C leaves them undefined, so test first.
static inline int32_t qb_emu_f2i(float r) { // r already an integer value (or NaN / ±inf)
    return r >= -2147483648.0f && r < 2147483648.0f ? (int32_t)r : INT32_MIN;
}
static inline __m512i _mm512_cvtps_epi32(__m512 a) {
    __m512i r;
    for (int j = 0; j < 16; j++) r.i[j] = qb_emu_f2i(nearbyintf(a.f[j])); // current mode = MXCSR's: nearest even
    return r;
}
static inline __m512i _mm512_cvttps_epi32(__m512 a) {
    __m512i r;
    for (int j = 0; j < 16; j++) r.i[j] = qb_emu_f2i(truncf(a.f[j]));
    return r;
}
static inline __m128i _mm512_cvtepi32_epi8(__m512i a) {
    __m128i r;
    uint8_t *b = (uint8_t *)r.i;
    for (int j = 0; j < 16; j++) b[j] = (uint8_t)(uint32_t)a.i[j];
    return r;
}

// Saturating packs, per 128-bit lane l: result lane l = (a's lane l narrowed, then b's lane l narrowed).
static inline int32_t qb_emu_sat(int32_t x, int32_t lo, int32_t hi) { return x < lo ? lo : x > hi ? hi : x; }
static inline __m512i qb_emu_pack32(__m512i a, __m512i b, int32_t lo, int32_t hi) {
    uint16_t h[32];
    for (int l = 0; l < 4; l++)
        for (int j = 0; j < 4; j++) {
            h[8 * l + j] = (uint16_t)qb_emu_sat(a.i[4 * l + j], lo, hi);
            h[8 * l + 4 + j] = (uint16_t)qb_emu_sat(b.i[4 * l + j], lo, hi);
        }
    __m512i r;
    memcpy(r.i, h, 64);
    return r;
}
static inline __m512i qb_emu_pack16(__m512i a, __m512i b, int32_t lo, int32_t hi) {
    int16_t ha[32], hb[32];
    memcpy(ha, a.i, 64);
    memcpy(hb, b.i, 64);
    uint8_t q[64];
    for (int l = 0; l < 4; l++)
        for (int j = 0; j < 8; j++) {
            q[16 * l + j] = (uint8_t)qb_emu_sat(ha[8 * l + j], lo, hi);
            q[16 * l + 8 + j] = (uint8_t)qb_emu_sat(hb[8 * l + j], lo, hi);
        }
    __m512i r;
    memcpy(r.i, q, 64);
    return r;
}
static inline __m512i _mm512_packs_epi32(__m512i a, __m512i b) { return qb_emu_pack32(a, b, -32768, 32767); }
static inline __m512i _mm512_packus_epi32(__m512i a, __m512i b) { return qb_emu_pack32(a, b, 0, 65535); }
static inline __m512i _mm512_packs_epi16(__m512i a, __m512i b) { return qb_emu_pack16(a, b, -128, 127); }
static inline __m512i _mm512_packus_epi16(__m512i a, __m512i b) { return qb_emu_pack16(a, b, 0, 255); }
static inline __m512i _mm512_permutexvar_epi32(__m512i idx, __m512i a) {
    __m512i r;
    for (int j = 0; j < 16; j++) r.i[j] = a.i[idx.i[j] & 15];
    return r;
}

// Float arithmetic: one rounding per operation; fmadd / fnmadd exactly fused.
static inline __m512 _mm512_sub_ps(__m512 a, __m512 b) {
    for (int j = 0; j < 16; j++) a.f[j] = a.f[j] - b.f[j];
    return a;
}
static inline __m512 _mm512_div_ps(__m512 a, __m512 b) {
    for (int j = 0; j < 16; j++) a.f[j] = a.f[j] / b.f[j];
    return a;
}
static inline __m512 _mm512_fmadd_ps(__m512 a, __m512 b, __m512 c) {
    for (int j = 0; j < 16; j++) a.f[j] = fmaf(a.f[j], b.f[j], c.f[j]);
    return a;
}
static inline __m512 _mm512_fnmadd_ps(__m512 a, __m512 b, __m512 c) {
    for (int j = 0; j < 16; j++) // −(a·b) + c: negation is exact; a NaN a comes back quieted, its sign kept
        a.f[j] = fmaf(isnan(a.f[j]) ? a.f[j] : -a.f[j], b.f[j], c.f[j]);
    return a;
}
// vminps / vmaxps: the second operand unless the comparison holds (so NaN in either, or ±0 vs ±0, gives b).
static inline float qb_emu_min(float a, float b) { return a < b ? a : b; }
static inline float qb_emu_max(float a, float b) { return a > b ? a : b; }
static inline __m512 _mm512_min_ps(__m512 a, __m512 b) {
    for (int j = 0; j < 16; j++) a.f[j] = qb_emu_min(a.f[j], b.f[j]);
    return a;
}
static inline __m512 _mm512_max_ps(__m512 a, __m512 b) {
    for (int j = 0; j < 16; j++) a.f[j] = qb_emu_max(a.f[j], b.f[j]);
    return a;
}
static inline float qb_emu_roundeven(float x) { // nearest, ties to even, whatever the current mode
    float t = truncf(x);
    const float d = fabsf(x - t); // exact
    if (d > 0.5f || (d == 0.5f && fmodf(t, 2.0f) != 0.0f)) t += copysignf(1.0f, x);
    return t;
}
static inline __m512 _mm512_roundscale_ps(__m512 a, int imm) {
    if ((imm >> 4) != 0) {
        fprintf(stderr, "qb_avx512_emu: _mm512_roundscale_ps with a scale (imm[7:4] != 0) is not emulated\n");
        abort();
    }
    for (int j = 0; j < 16; j++) {
        const float x = a.f[j];
        a.f[j] = (imm & _MM_FROUND_CUR_DIRECTION) ? nearbyintf(x)
                 : (imm & 3) == _MM_FROUND_TO_NEG_INF ? floorf(x)
                 : (imm & 3) == _MM_FROUND_TO_POS_INF ? ceilf(x)
                 : (imm & 3) == _MM_FROUND_TO_ZERO ? truncf(x)
                 : qb_emu_roundeven(x);
    }
    return a;
}

// Comparisons into a mask: predicate p & 15 as the table of vcmpps (bit 4, signalling, only changes exceptions).
static inline int qb_emu_cmp(float a, float b, int p) {
    const int u = isnan(a) || isnan(b);
    switch (p & 15) {
    case _CMP_EQ_OQ: return !u && a == b;
    case _CMP_LT_OS: return !u && a < b;
    case _CMP_LE_OS: return !u && a <= b;
    case _CMP_UNORD_Q: return u;
    case _CMP_NEQ_UQ: return u || a != b;
    case _CMP_NLT_US: return u || !(a < b);
    case _CMP_NLE_US: return u || !(a <= b);
    case _CMP_ORD_Q: return !u;
    case _CMP_EQ_UQ: return u || a == b;
    case _CMP_NGE_US: return u || a < b;
    case _CMP_NGT_US: return u || a <= b;
    case _CMP_FALSE_OQ: return 0;
    case _CMP_NEQ_OQ: return !u && a != b;
    case _CMP_GE_OS: return !u && a >= b;
    case _CMP_GT_OS: return !u && a > b;
    default: return 1; // _CMP_TRUE_UQ
    }
}
static inline __mmask16 _mm512_cmp_ps_mask(__m512 a, __m512 b, int p) {
    unsigned k = 0;
    for (int j = 0; j < 16; j++) k |= (unsigned)qb_emu_cmp(a.f[j], b.f[j], p) << j;
    return (__mmask16)k;
}
static inline __m512 _mm512_mask_blend_ps(__mmask16 k, __m512 a, __m512 b) {
    for (int j = 0; j < 16; j++)
        if ((k >> j) & 1) a.f[j] = b.f[j];
    return a;
}
static inline __m512 _mm512_maskz_mov_ps(__mmask16 k, __m512 a) {
    for (int j = 0; j < 16; j++)
        if (!((k >> j) & 1)) a.f[j] = 0.0f;
    return a;
}

// 256- and 128-bit float operations (the horizontal reductions of qb_vmath_avx512.c).
static inline __m256 _mm256_setzero_ps(void) { __m256 r; memset(&r, 0, sizeof r); return r; }
static inline __m256 _mm256_add_ps(__m256 a, __m256 b) {
    for (int j = 0; j < 8; j++) a.f[j] = a.f[j] + b.f[j];
    return a;
}
static inline __m256 _mm256_max_ps(__m256 a, __m256 b) {
    for (int j = 0; j < 8; j++) a.f[j] = qb_emu_max(a.f[j], b.f[j]);
    return a;
}
static inline __m128 _mm_add_ps(__m128 a, __m128 b) {
    for (int j = 0; j < 4; j++) a.f[j] = a.f[j] + b.f[j];
    return a;
}
static inline __m128 _mm_max_ps(__m128 a, __m128 b) {
    for (int j = 0; j < 4; j++) a.f[j] = qb_emu_max(a.f[j], b.f[j]);
    return a;
}
static inline __m128 _mm_add_ss(__m128 a, __m128 b) { a.f[0] = a.f[0] + b.f[0]; return a; }
static inline __m128 _mm_max_ss(__m128 a, __m128 b) { a.f[0] = qb_emu_max(a.f[0], b.f[0]); return a; }
static inline __m128 _mm_movehl_ps(__m128 a, __m128 b) {
    const __m128 r = {{b.f[2], b.f[3], a.f[2], a.f[3]}};
    return r;
}
static inline __m128 _mm_shuffle_ps(__m128 a, __m128 b, int imm) {
    const __m128 r = {{a.f[imm & 3], a.f[(imm >> 2) & 3], b.f[(imm >> 4) & 3], b.f[(imm >> 6) & 3]}};
    return r;
}
#endif
