// Packed GEMM with the requantization epilogue (qb_qgemm_*_packed_f32): the reference, the composed path, and the
// start every fused kernel (AVX2, AVX512-VNNI, AMX) shares.
#include "qb_kernels_internal.h"
#include <stdlib.h>

// Fused GEMM + requantization, reference: the packed GEMM of `u8s8`/`s8s8` into a temporary int32 [M, n1]
// buffer, then `requant` on it (with the pack's row sums). With the ref GEMM and qb_requant_f32_ref this defines
// qb_qgemm_*_packed_f32; other families without a fused kernel use it with their own GEMM.
void qb_qgemm_packed_f32_composed(int M, const uint8_t *A, int lda, int a_signed, const qb_packed_s8 *B, int n0,
                                  int n1, const qb_requant_args *rq, float *out, int ldo,
                                  qb_gemm_u8s8_packed_fn u8s8, qb_gemm_s8s8_packed_fn s8s8,
                                  void (*requant)(int, int, const int32_t *, int, const float *, const int32_t *, int,
                                                  const float *, const int32_t *, int, const float *, float *, int)) {
    if (n0 < 0) n0 = 0;
    if (n1 > B->n) n1 = B->n;
    if (M <= 0 || n1 <= n0) return;
    // C is indexed with absolute n: columns 0..<n0 of the buffer are left unused.
    int32_t *c = malloc((size_t)M * n1 * sizeof(int32_t));
    if (!c) abort();
    if (a_signed) s8s8(M, (const int8_t *)A, lda, B, n0, n1, c, n1);
    else u8s8(M, A, lda, B, n0, n1, c, n1);
    requant(M, n1 - n0, c + n0, n1, rq->a_scale, rq->a_zp, rq->a_per_row, rq->w_per_channel ? rq->w_scale + n0 : rq->w_scale,
            B->row_sums + n0, rq->w_per_channel, rq->bias ? rq->bias + n0 : NULL, out + n0, ldo);
    free(c);
}

void qb_qgemm_u8s8_packed_f32_ref(int M, const uint8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1,
                                  const qb_requant_args *rq, float *out, int ldo) {
    qb_qgemm_packed_f32_composed(M, A, lda, 0, B, n0, n1, rq, out, ldo, qb_qgemm_u8s8_packed_ref,
                                 qb_qgemm_s8s8_packed_ref, qb_requant_f32_ref);
}

void qb_qgemm_s8s8_packed_f32_ref(int M, const int8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1,
                                  const qb_requant_args *rq, float *out, int ldo) {
    qb_qgemm_packed_f32_composed(M, (const uint8_t *)A, lda, 1, B, n0, n1, rq, out, ldo, qb_qgemm_u8s8_packed_ref,
                                 qb_qgemm_s8s8_packed_ref, qb_requant_f32_ref);
}

int qb_fused_trivial(int M, const qb_packed_s8 *B, int *n0, int *n1, const qb_requant_args *rq, float *out, int ldo) {
    if (*n0 < 0) *n0 = 0;
    if (*n1 > B->n) *n1 = B->n;
    if (M <= 0 || *n1 <= *n0) return 1;
    if (B->k != 0) return 0;
    // K = 0: every sum is 0; one zero row serves every row of the requantization (ldc 0).
    const int n = *n1 - *n0;
    int32_t *zero = calloc((size_t)n, sizeof(int32_t));
    if (!zero) abort();
    qb_requant_f32_ref(M, n, zero, 0, rq->a_scale, rq->a_zp, rq->a_per_row,
                       rq->w_per_channel ? rq->w_scale + *n0 : rq->w_scale, B->row_sums + *n0, rq->w_per_channel,
                       rq->bias ? rq->bias + *n0 : NULL, out + *n0, ldo);
    free(zero);
    return 1;
}
