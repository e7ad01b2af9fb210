// Portable C emulation of exactly the AVX-512 intrinsics qb_qgemm_avx512vnni.c uses, so that the same kernel source
// compiles a second time (qb_qgemm_avx512vnni_emu.c, QB_VNNI_EMULATE) and runs on any CPU: the "avx512vnni_emu"
// family, which KernelsTests checks bit-exact against the reference. It checks the kernel's logic (blocking, tails,
// the packed layout, the s8 +128 shift and row-sum correction, the fused epilogue), not the silicon.
//
// Semantics follow Intel's pseudo-code (SDM vol. 2 / the Intrinsics Guide), lane by lane:
//   _mm512_dpbusd_epi32(src, a, b)  dst[j] = src[j] + Σ_{i<4} u8(a.byte[4j+i]) · s8(b.byte[4j+i]), wrapping int32
//                                    (no saturation: that is vpdpbusds)
//   add/sub/mullo/slli_epi32         wrapping int32 (mullo keeps the low 32 bits of the product)
//   cvtepi32_ps                      int32 → float, round to nearest even (C's conversion under the default mode)
//   mul_ps / add_ps                  one IEEE single operation per lane (FP contraction is off below: no FMA)
//   maskz_loadu / mask_storeu        lanes whose mask bit is clear are zero / not touched (never read or written)
//   _mm512_dpbf16_ps(src, a, b)      dst[j] = src[j] + a.bf16[2j+1]·b.bf16[2j+1], then + a.bf16[2j]·b.bf16[2j]:
//                                    each step one rounding (the product is exact), DAZ on inputs, FTZ on results
//                                    (Intel's pseudo-code; the same as AMD Zen 5 silicon, KernelsTests)
// The arrays are 64-byte aligned so `_mm512_load_si512` keeps its alignment requirement (checked: a misaligned
// address aborts, as the hardware would fault).
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

#define __m512i qb_emu_m512i
#define __m512 qb_emu_m512
#define __mmask16 qb_emu_mmask16
#define __m512bh qb_emu_m512bh

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
#endif
