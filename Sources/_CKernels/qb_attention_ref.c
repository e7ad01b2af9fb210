// Fused FP32 attention (qb_attention.h), scalar: the reference that defines it, the version of the "ref",
// "amx_emu" and "avx512vnni_emu" families, and the K transposition the vector versions share. fmaf rounds once per
// step on every machine; contraction is off so no other expression is fused.
#pragma STDC FP_CONTRACT OFF
#include "qb_kernels_internal.h"
#include <math.h>
#include <stdint.h>

size_t qb_attention_scratch_floats(int L, int d) {
    const size_t lp = (size_t)QB_ATTN_LP(L < 0 ? 0 : L);
    return ((size_t)(d < 0 ? 0 : d) + QB_ATTN_MR_MAX) * lp + 16;
}

void qb_attention_f32_ref(const qb_attention_args *a, qb_softmax_row_fn softmax, float *scratch) {
    const int L = a->L, d = a->d;
    float *p = scratch; // [L]: one row of scores, then of probabilities
    for (int i = 0; i < a->S; i++) {
        const float *q = a->q + (size_t)i * a->ldq;
        for (int j = 0; j < L; j++) {
            const float *k = a->k + (size_t)j * a->ldk;
            float acc = 0.0f;
            for (int t = 0; t < d; t++) acc = fmaf(q[t], k[t], acc);
            p[j] = acc;
        }
        softmax(p, (size_t)L, a->scale, a->keep);
        float *c = a->ctx + (size_t)i * a->ldc;
        for (int x = 0; x < d; x++) {
            float acc = 0.0f;
            for (int j = 0; j < L; j++) acc = fmaf(p[j], a->v[(size_t)j * a->ldv + x], acc);
            c[x] = acc;
        }
    }
}

float *qb_attention_kt(float *scratch) { return (float *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63); }

void qb_attention_transpose_k_tail(const qb_attention_args *a, float *kt, int j0) {
    const int L = a->L, d = a->d, lp = QB_ATTN_LP(L);
    for (int t = 0; t < d; t++) {
        for (int j = j0; j < L; j++) kt[(size_t)t * lp + j] = a->k[(size_t)j * a->ldk + t];
        for (int j = L; j < lp; j++) kt[(size_t)t * lp + j] = 0.0f;
    }
}

float *qb_attention_transpose_k(const qb_attention_args *a, float *scratch) {
    float *kt = qb_attention_kt(scratch);
    const int L = a->L, d = a->d, lp = QB_ATTN_LP(L);
    // Eight keys at a time: each K row is read once and each Kᵀ row gets 8 contiguous floats.
    int j0 = 0;
    for (; j0 + 8 <= L; j0 += 8) {
        const float *k = a->k + (size_t)j0 * a->ldk;
        for (int t = 0; t < d; t++)
            for (int jj = 0; jj < 8; jj++) kt[(size_t)t * lp + j0 + jj] = k[(size_t)jj * a->ldk + t];
    }
    qb_attention_transpose_k_tail(a, kt, j0);
    return kt;
}
