// bfloat16: conversion, the packed layouts (qb_kernels_internal.h), the scalar reference GEMM that defines the
// `bf16` scheme's numerics and the scalar model of the AMX-BF16 kernel's (qb_bf16.h). FP contraction is off: the
// only fused operation is fmaf.
#pragma STDC FP_CONTRACT OFF
#include "qb_kernels_internal.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static inline uint32_t qb_bf_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float qb_bf_float(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

// Round to nearest even on the upper 16 bits; subnormal input → ±0 first (DAZ), a subnormal result → ±0 (FTZ);
// NaN → quiet NaN with the sign and the top payload bits.
uint16_t qb_bf16_round(float x) {
    uint32_t u = qb_bf_bits(x);
    if ((u & 0x7F800000u) == 0) return (uint16_t)((u >> 16) & 0x8000u);            // ±0 and subnormals
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((u >> 16) | 0x0040u);     // NaN
    u += 0x7FFFu + ((u >> 16) & 1u);                                                // RNE (inf stays inf)
    uint16_t h = (uint16_t)(u >> 16);
    return h; // rounding up from a normal never lands in the subnormal range
}

void qb_f32_to_bf16(const float *x, size_t n, uint16_t *h) {
    for (size_t i = 0; i < n; i++) h[i] = qb_bf16_round(x[i]);
}

void qb_bf16_to_f32(const uint16_t *h, size_t n, float *x) {
    for (size_t i = 0; i < n; i++) x[i] = qb_bf_float((uint32_t)h[i] << 16);
}

qb_packed_bf16 *qb_pack_bf16_kernel(const float *W, int N, int K, int ldw, int kernel) {
    if (N < 0 || K < 0) return NULL;
    qb_packed_bf16 *p = calloc(1, sizeof(*p));
    if (!p) return NULL;
    const int amx = kernel == QB_BF16_AMX || kernel == QB_BF16_AMX_EMU;
    p->n = N;
    p->k = K;
    p->kpairs = (K + 1) / 2;
    p->kpstride = amx ? (p->kpairs + 15) / 16 * 16 : p->kpairs;
    p->even_half = amx ? 0 : 1;
    p->panels = (N + 15) / 16;
    p->kernel = kernel;
    p->bytes = (size_t)p->panels * (size_t)p->kpstride * 16 * 2 * sizeof(uint16_t);
    size_t alloc = p->bytes ? (p->bytes + 63) / 64 * 64 : 64;
    if (posix_memalign((void **)&p->data, 64, alloc) != 0) {
        free(p);
        return NULL;
    }
    memset(p->data, 0, alloc);
    for (int n = 0; n < N; n++) {
        const int pn = n / 16, j = n % 16;
        for (int k = 0; k < K; k++) {
            const size_t half = k % 2 == 0 ? (size_t)p->even_half : (size_t)(1 - p->even_half);
            const size_t at = (((size_t)pn * p->kpstride + (size_t)(k / 2)) * 16 + (size_t)j) * 2 + half;
            p->data[at] = qb_bf16_round(W[(size_t)n * ldw + k]);
        }
    }
    return p;
}

void qb_packed_bf16_free(qb_packed_bf16 *p) {
    if (!p) return;
    free(p->data);
    free(p);
}

size_t qb_packed_bf16_bytes(const qb_packed_bf16 *p) { return p->bytes + sizeof(*p); }

const char *qb_bf16_kernel_id_name(int kernel) {
    switch (kernel) {
    case QB_BF16_AVX512: return "avx512bf16";
    case QB_BF16_AVX512_EMU: return "avx512bf16_emu";
    case QB_BF16_AMX: return "amx";
    case QB_BF16_AMX_EMU: return "amx_emu";
    default: return "ref";
    }
}

const char *qb_packed_bf16_kernel_name(const qb_packed_bf16 *p) { return qb_bf16_kernel_id_name(p->kernel); }

static inline float qb_bf_ftz(float x) { return fabsf(x) < 1.17549435e-38f ? copysignf(0.0f, x) : x; }

static inline float qb_bf_load(uint16_t h) { return qb_bf_float((uint32_t)h << 16); }

void qb_gemm_bf16_packed_ref(int M, const float *A, int lda, const qb_packed_bf16 *W, int n0, int n1,
                             const float *bias, float *out, int ldo) {
    if (n0 < 0) n0 = 0;
    if (n1 > W->n) n1 = W->n;
    const int KP = W->kpairs, e = W->even_half;
    for (int m = 0; m < M; m++) {
        const float *a = A + (size_t)m * lda;
        for (int n = n0; n < n1; n++) {
            const uint16_t *w = W->data + ((size_t)(n / 16) * W->kpstride * 16 + (size_t)(n % 16)) * 2;
            float acc = 0.0f;
            for (int kp = 0; kp < KP; kp++) {
                const int k = 2 * kp;
                const float a0 = qb_bf_load(qb_bf16_round(a[k]));
                const float a1 = k + 1 < W->k ? qb_bf_load(qb_bf16_round(a[k + 1])) : 0.0f;
                const float w0 = qb_bf_load(w[(size_t)kp * 32 + e]);
                const float w1 = qb_bf_load(w[(size_t)kp * 32 + 1 - e]);
                acc = qb_bf_ftz(fmaf(a0, w0, acc));
                acc = qb_bf_ftz(fmaf(a1, w1, acc));
            }
            out[(size_t)m * ldo + n] = bias ? acc + bias[n] : acc;
        }
    }
}

void qb_gemm_bf16_packed_amx_ref(int M, const float *A, int lda, const qb_packed_bf16 *W, int n0, int n1,
                                 const float *bias, float *out, int ldo) {
    if (n0 < 0) n0 = 0;
    if (n1 > W->n) n1 = W->n;
    const int KP = W->kpairs, e = W->even_half, blocks = (KP + 15) / 16;
    for (int m = 0; m < M; m++) {
        const float *a = A + (size_t)m * lda;
        for (int n = n0; n < n1; n++) {
            const uint16_t *w = W->data + ((size_t)(n / 16) * W->kpstride * 16 + (size_t)(n % 16)) * 2;
            float acc = 0.0f;
            for (int b = 0; b < blocks; b++) {
                float even = 0.0f, odd = 0.0f; // TDPBF16PS's two partial sums, each from +0
                for (int kp = 16 * b; kp < 16 * b + 16; kp++) {
                    const int k = 2 * kp;
                    const float a0 = k < W->k ? qb_bf_load(qb_bf16_round(a[k])) : 0.0f;
                    const float a1 = k + 1 < W->k ? qb_bf_load(qb_bf16_round(a[k + 1])) : 0.0f;
                    const float w0 = kp < KP ? qb_bf_load(w[(size_t)kp * 32 + e]) : 0.0f;
                    const float w1 = kp < KP ? qb_bf_load(w[(size_t)kp * 32 + 1 - e]) : 0.0f;
                    even = qb_bf_ftz(fmaf(a0, w0, even));
                    odd = qb_bf_ftz(fmaf(a1, w1, odd));
                }
                acc = qb_bf_ftz(acc + qb_bf_ftz(even + odd));
            }
            out[(size_t)m * ldo + n] = bias ? acc + bias[n] : acc;
        }
    }
}
