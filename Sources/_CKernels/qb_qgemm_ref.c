// Scalar reference GEMMs: these define correct. Every fast kernel (qb_qgemm_avx2.c, qb_qgemm_avx512vnni.c) must
// reproduce them bit for bit. Accumulation is int32 with two's-complement wrap-around (done in uint32 so that it
// is defined C); an overflow needs K > 65793 for u8·s8, far beyond any layer here, and the SIMD kernels wrap the
// same way, so the results agree even then.
#include "qb_kernels_internal.h"
#include <stdlib.h>

void qb_qgemm_u8s8_ref(int M, int N, int K, const uint8_t *A, int lda, const int8_t *B, int ldb, int32_t *C, int ldc) {
    for (int m = 0; m < M; m++) {
        const uint8_t *a = A + (size_t)m * lda;
        for (int n = 0; n < N; n++) {
            const int8_t *b = B + (size_t)n * ldb;
            uint32_t acc = 0;
            for (int k = 0; k < K; k++) acc += (uint32_t)((int32_t)a[k] * (int32_t)b[k]);
            C[(size_t)m * ldc + n] = (int32_t)acc;
        }
    }
}

void qb_qgemm_s8s8_ref(int M, int N, int K, const int8_t *A, int lda, const int8_t *B, int ldb, int32_t *C, int ldc) {
    for (int m = 0; m < M; m++) {
        const int8_t *a = A + (size_t)m * lda;
        for (int n = 0; n < N; n++) {
            const int8_t *b = B + (size_t)n * ldb;
            uint32_t acc = 0;
            for (int k = 0; k < K; k++) acc += (uint32_t)((int32_t)a[k] * (int32_t)b[k]);
            C[(size_t)m * ldc + n] = (int32_t)acc;
        }
    }
}

// Packed entry points of the reference family: the ref layout is B itself ([N][K], row stride K).
void qb_qgemm_u8s8_packed_ref(int M, const uint8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1, int32_t *C, int ldc) {
    if (M <= 0 || n1 <= n0) return;
    const int8_t *b = (const int8_t *)B->data + (size_t)n0 * B->k;
    qb_qgemm_u8s8_ref(M, n1 - n0, B->k, A, lda, b, B->k, C + n0, ldc);
}

void qb_qgemm_s8s8_packed_ref(int M, const int8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1, int32_t *C, int ldc) {
    if (M <= 0 || n1 <= n0) return;
    const int8_t *b = (const int8_t *)B->data + (size_t)n0 * B->k;
    qb_qgemm_s8s8_ref(M, n1 - n0, B->k, A, lda, b, B->k, C + n0, ldc);
}

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
