// Deterministic FP32 GEMM, scalar: the reference that defines qb_sgemm.h, and the scalar micro-kernel of the
// "ref" and "amx_emu" families. fmaf rounds once per step on every machine (libm's fmaf is exact by the C
// standard, whether it runs the FMA instruction or not); contraction is off so no other expression is fused.
#pragma STDC FP_CONTRACT OFF
#include "qb_kernels_internal.h"
#include "qb_sgemm_epilogue.h"
#include <math.h>

void qb_sgemm_ref(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda,
                  const float *B, int ldb, float beta, float *C, int ldc) {
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            float acc = 0.0f;
            for (int k = 0; k < K; k++) {
                const float a = trans_a ? A[(size_t)k * lda + m] : A[(size_t)m * lda + k];
                const float b = trans_b ? B[(size_t)n * ldb + k] : B[(size_t)k * ldb + n];
                acc = fmaf(a, b, acc);
            }
            qb_sgemm_store(acc, alpha, beta, &C[(size_t)m * ldc + n]);
        }
}

void qb_sgemm_micro_ref(int K, const float *A, ptrdiff_t ars, ptrdiff_t acs, const float *B, ptrdiff_t brs,
                        ptrdiff_t bps, int w, float *tile) {
    for (int i = 0; i < QB_SGEMM_MR; i++)
        for (int j = 0; j < QB_SGEMM_NR * w; j++) {
            const float *b = B + (j / QB_SGEMM_NR) * bps + j % QB_SGEMM_NR;
            float acc = 0.0f;
            for (int k = 0; k < K; k++) acc = fmaf(A[i * ars + k * acs], b[k * brs], acc);
            tile[i * QB_SGEMM_TILE_LD + j] = acc;
        }
}
