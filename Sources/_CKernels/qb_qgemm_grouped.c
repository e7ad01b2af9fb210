// Grouped-column integer GEMM for per-embedding-group (PEG) activations (Bondarenko et al. 2021): the input's K
// columns are split into G groups, each quantized with its own scale and zero point, so one int32 GEMM per group
// over its column slice, each dequantized with its group scale × the weight scale, summed in FP32 in a fixed order:
//
//   C_g[m, n] = Σ_{k ∈ [col[g], col[g+1])} A[m, k] · B[n, k]                          int32, wrapping
//   v_g[m, n] = (float)(C_g[m, n] − a_zp[g] · R_g[n]) · (a_scale[g] · w_scale[n'])      R_g[n] = Σ_{k ∈ g} B[n, k]
//   out[m, n] = ((v_0 + v_1) + …) + v_{G−1}, then + bias[n]                             no FMA, left to right
//
// v_g is exactly qb_requant_f32_ref of C_g (per-tensor activation entry g, bias NULL), so the packed path below
// runs the family's fused kernel (qb_qgemm_*_packed_f32) once per group on a pack of that group's columns and
// adds the partial results in the same order; `_ref` computes the same formula with scalar loops.
#pragma STDC FP_CONTRACT OFF
#include "qb_kernels_internal.h"
#include <stdlib.h>

void qb_qgemm_grouped_f32_ref(int M, int N, const uint8_t *A, int lda, int a_signed, const int8_t *B, int ldb, int G,
                              const int *col, const float *a_scale, const int32_t *a_zp, const float *w_scale,
                              int w_per_channel, const float *bias, float *out, int ldo) {
    for (int m = 0; m < M; m++) {
        const uint8_t *a = A + (size_t)m * lda;
        for (int n = 0; n < N; n++) {
            const int8_t *b = B + (size_t)n * ldb;
            float y = 0;
            for (int g = 0; g < G; g++) {
                uint32_t acc = 0, rs = 0;
                for (int k = col[g]; k < col[g + 1]; k++) {
                    const int32_t av = a_signed ? (int32_t)(int8_t)a[k] : (int32_t)a[k];
                    acc += (uint32_t)(av * (int32_t)b[k]);
                    rs += (uint32_t)(int32_t)b[k];
                }
                if (a_zp && a_zp[g]) acc -= (uint32_t)a_zp[g] * rs;
                const float mult = a_scale[g] * w_scale[w_per_channel ? n : 0];
                const float v = (float)(int32_t)acc * mult;
                y = g == 0 ? v : y + v;
            }
            if (bias) y = y + bias[n];
            out[(size_t)m * ldo + n] = y;
        }
    }
}

void qb_qgemm_grouped_packed_f32(int M, const uint8_t *A, int lda, int a_signed, int G, const int *col,
                                 const qb_packed_s8 *const *packs, const float *a_scale, const int32_t *a_zp,
                                 const float *w_scale, int w_per_channel, const float *bias, int n0, int n1,
                                 float *out, int ldo) {
    if (G <= 0 || M <= 0) return;
    if (n0 < 0) n0 = 0;
    if (n1 > packs[0]->n) n1 = packs[0]->n;
    if (n1 <= n0) return;
    float *tmp = NULL;
    if (G > 1) {
        tmp = malloc((size_t)M * n1 * sizeof(float));
        if (!tmp) abort();
    }
    for (int g = 0; g < G; g++) {
        qb_requant_args rq = {.a_scale = a_scale + g, .a_zp = a_zp ? a_zp + g : NULL, .a_per_row = 0,
                              .w_scale = w_scale, .w_per_channel = w_per_channel, .bias = NULL};
        float *dst = g == 0 ? out : tmp;
        const int ld = g == 0 ? ldo : n1;
        if (a_signed)
            qb_qgemm_s8s8_packed_f32(M, (const int8_t *)A + col[g], lda, packs[g], n0, n1, &rq, dst, ld);
        else
            qb_qgemm_u8s8_packed_f32(M, A + col[g], lda, packs[g], n0, n1, &rq, dst, ld);
        if (g == 0) continue;
        for (int m = 0; m < M; m++) {
            float *o = out + (size_t)m * ldo;
            const float *t = tmp + (size_t)m * n1;
            for (int n = n0; n < n1; n++) o[n] = o[n] + t[n];
        }
    }
    free(tmp);
    if (bias)
        for (int m = 0; m < M; m++) {
            float *o = out + (size_t)m * ldo;
            for (int n = n0; n < n1; n++) o[n] = o[n] + bias[n];
        }
}
