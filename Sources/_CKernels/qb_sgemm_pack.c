// Deterministic FP32 GEMM: B packing and the blocked driver every kernel family shares (qb_sgemm.h).
//
// Blocking (after BLIS's five loops, with the k loop never split so each element stays one FMA chain): rows in
// blocks of MC (A block packed once into [K][6] row panels, sized to stay in L2 next to one B panel group), then
// groups of pw 16-column B panels (K × 16·pw floats, reused by every row panel of the block), then 6-row panels;
// the micro-kernel keeps the 6 × 16·pw accumulators in registers over the whole k loop and writes them to a tile
// buffer, and the epilogue (qb_sgemm_epilogue.h) stores the valid rows and columns. Neither MC, pw nor the row
// split of the caller changes any element's chain, so every family and every thread count give the same bits.
#pragma STDC FP_CONTRACT OFF
#include "qb_kernels_internal.h"
#include "qb_sgemm_epilogue.h"
#include <stdlib.h>
#include <string.h>

static float *qb_falloc(size_t count) {
    void *p = NULL;
    if (posix_memalign(&p, 64, count ? count * sizeof(float) : 64) != 0) return NULL;
    return p;
}

qb_packed_f32 *qb_sgemm_pack_b(int trans_b, int K, int N, const float *B, int ldb) {
    if (K < 0 || N < 0) return NULL;
    qb_packed_f32 *p = calloc(1, sizeof(*p));
    if (!p) return NULL;
    p->k = K;
    p->n = N;
    p->panels = (N + QB_SGEMM_NR - 1) / QB_SGEMM_NR;
    const size_t count = (size_t)p->panels * K * QB_SGEMM_NR;
    p->bytes = count * sizeof(float) + sizeof(*p);
    p->data = qb_falloc(count);
    if (!p->data) { free(p); return NULL; }
    for (int pn = 0; pn < p->panels; pn++) {
        float *dst = p->data + (size_t)pn * K * QB_SGEMM_NR;
        for (int k = 0; k < K; k++)
            for (int j = 0; j < QB_SGEMM_NR; j++) {
                const int n = pn * QB_SGEMM_NR + j;
                dst[(size_t)k * QB_SGEMM_NR + j] =
                    n >= N ? 0.0f : trans_b ? B[(size_t)n * ldb + k] : B[(size_t)k * ldb + n];
            }
    }
    return p;
}

void qb_packed_f32_free(qb_packed_f32 *p) {
    if (!p) return;
    free(p->data);
    free(p);
}

size_t qb_packed_f32_bytes(const qb_packed_f32 *p) { return p ? p->bytes : 0; }

// Rows [m0, m0 + rows) of op(A) into ceil(rows/6) panels of [K][6]; rows past the block are zero.
static void qb_sgemm_pack_a(int trans_a, const float *A, int lda, int m0, int rows, int K, float *dst) {
    const int panels = (rows + QB_SGEMM_MR - 1) / QB_SGEMM_MR;
    for (int r = 0; r < panels; r++) {
        float *d = dst + (size_t)r * K * QB_SGEMM_MR;
        for (int i = 0; i < QB_SGEMM_MR; i++) {
            const int m = r * QB_SGEMM_MR + i;
            if (m >= rows) {
                for (int k = 0; k < K; k++) d[(size_t)k * QB_SGEMM_MR + i] = 0.0f;
            } else if (trans_a) {
                for (int k = 0; k < K; k++) d[(size_t)k * QB_SGEMM_MR + i] = A[(size_t)k * lda + m0 + m];
            } else {
                const float *a = A + (size_t)(m0 + m) * lda;
                for (int k = 0; k < K; k++) d[(size_t)k * QB_SGEMM_MR + i] = a[k];
            }
        }
    }
}

// Rows per A block: about 256 KiB of packed A (half a typical L2), a multiple of 6, at least 6.
static int qb_sgemm_mc(int M, int K) {
    int mc = K > 0 ? (int)((256u * 1024u / sizeof(float)) / (unsigned)K) : M;
    mc = mc / QB_SGEMM_MR * QB_SGEMM_MR;
    if (mc < QB_SGEMM_MR) mc = QB_SGEMM_MR;
    const int mpad = (M + QB_SGEMM_MR - 1) / QB_SGEMM_MR * QB_SGEMM_MR;
    return mc < mpad ? mc : mpad;
}

void qb_sgemm_drive(qb_sgemm_micro_fn micro, int pw, int trans_a, int M, float alpha, const float *A, int lda,
                    const qb_packed_f32 *B, float beta, float *C, int ldc) {
    const int K = B->k, N = B->n;
    if (M <= 0 || N <= 0) return;
    const int mc = qb_sgemm_mc(M, K);
    float *ap = qb_falloc((size_t)mc * (K > 0 ? K : 1));
    if (!ap) abort();
    float tile[QB_SGEMM_MR * QB_SGEMM_TILE_LD] __attribute__((aligned(64)));
    for (int m0 = 0; m0 < M; m0 += mc) {
        const int rows = M - m0 < mc ? M - m0 : mc;
        qb_sgemm_pack_a(trans_a, A, lda, m0, rows, K, ap);
        const int rpanels = (rows + QB_SGEMM_MR - 1) / QB_SGEMM_MR;
        for (int p = 0; p < B->panels; p += pw) {
            const int w = B->panels - p < pw ? B->panels - p : pw;
            const float *bp = B->data + (size_t)p * K * QB_SGEMM_NR;
            const int n0 = p * QB_SGEMM_NR;
            const int nc = N - n0 < QB_SGEMM_NR * w ? N - n0 : QB_SGEMM_NR * w;
            for (int r = 0; r < rpanels; r++) {
                micro(K, ap + (size_t)r * K * QB_SGEMM_MR, bp, w, tile);
                const int mr = rows - r * QB_SGEMM_MR < QB_SGEMM_MR ? rows - r * QB_SGEMM_MR : QB_SGEMM_MR;
                for (int i = 0; i < mr; i++) {
                    float *c = C + (size_t)(m0 + r * QB_SGEMM_MR + i) * ldc + n0;
                    const float *t = tile + i * QB_SGEMM_TILE_LD;
                    // The two cases the engine uses, without per-element tests (same operations as qb_sgemm_store).
                    if (alpha == 1.0f && beta == 0.0f) memcpy(c, t, sizeof(float) * (size_t)nc);
                    else if (alpha == 1.0f && beta == 1.0f) for (int j = 0; j < nc; j++) c[j] = c[j] + t[j];
                    else for (int j = 0; j < nc; j++) qb_sgemm_store(t[j], alpha, beta, c + j);
                }
            }
        }
    }
    free(ap);
}
