// Scalar reference GEMMs: these define correct. Every fast kernel (qb_qgemm_avx2.c, qb_qgemm_avx512vnni.c) must
// reproduce them bit for bit. Accumulation is int32 with two's-complement wrap-around (done in uint32 so that it
// is defined C); an overflow needs K > 65793 for u8·s8, far beyond any layer here, and the SIMD kernels wrap the
// same way, so the results agree even then.
#include "qb_kernels_internal.h"

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

