// Deterministic FP32 GEMM: B packing and the blocked driver every kernel family shares (qb_sgemm.h).
//
// Blocking (after BLIS's loops, k not split): rows in blocks of MC (up to 4 MiB of A, streamed from L3), then
// 16·pw-column B panels (K × 16·pw floats, 48–384 KiB at BERT-base shapes, kept in L2 while every 6-row panel of
// the block passes over them), then 6-row panels; the micro-kernel keeps
// the 6 × 16·pw accumulators in registers over the whole k loop and writes them to a tile buffer, and the
// epilogue (qb_sgemm_epilogue.h) stores the valid rows and columns. Neither MC, pw nor the row split of the
// caller changes any element's chain, so every family and every thread count give the same bits.
// Measured on AMD Zen 5 at BERT-base shapes (Tools/kernels/README.md): splitting k into blocks of 256 or 512 with
// the accumulators stored and reloaded between blocks (exact, so allowed) was 3–10% slower, and row blocks of
// 256 KiB of A (B panels streamed from L3 once per block) up to 20% slower at K = 3072, than this.
// A is read in place (row panels at stride lda; only a ragged last panel of M % 6 rows is copied, zero-padded),
// so is B [K, N] when not transposed (only a ragged last panel of N % 16 columns is copied); a transposed B
// (weights [N, K], attention keys) is packed into 16-column panels, once for weights (qb_sgemm_pack_b).
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

// Columns [n0, n0 + nv) of op(B) rows 0..<K into dst [K][16], columns past nv zero.
static void qb_sgemm_pack_panel(int trans_b, int K, const float *B, int ldb, int n0, int nv, float *dst) {
    if (!trans_b) {
        for (int k = 0; k < K; k++) {
            float *d = dst + (size_t)k * QB_SGEMM_NR;
            memcpy(d, B + (size_t)k * ldb + n0, sizeof(float) * (size_t)nv);
            if (nv < QB_SGEMM_NR) memset(d + nv, 0, sizeof(float) * (size_t)(QB_SGEMM_NR - nv));
        }
        return;
    }
    if (nv < QB_SGEMM_NR) memset(dst, 0, sizeof(float) * (size_t)K * QB_SGEMM_NR);
    // Stored B [N, K]: 8 × 16 blocks (8 k, 16 columns), each read row by row and written as 8 contiguous rows.
    int k0 = 0;
    for (; k0 + 8 <= K && nv == QB_SGEMM_NR; k0 += 8)
        for (int j = 0; j < QB_SGEMM_NR; j++) {
            const float *s = B + (size_t)(n0 + j) * ldb + k0;
            float *d = dst + (size_t)k0 * QB_SGEMM_NR + j;
            for (int k = 0; k < 8; k++) d[k * QB_SGEMM_NR] = s[k];
        }
    for (int j = 0; j < nv; j++) {
        const float *s = B + (size_t)(n0 + j) * ldb;
        for (int k = k0; k < K; k++) dst[(size_t)k * QB_SGEMM_NR + j] = s[k];
    }
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
        const int n0 = pn * QB_SGEMM_NR, nv = N - n0 < QB_SGEMM_NR ? N - n0 : QB_SGEMM_NR;
        qb_sgemm_pack_panel(trans_b, K, B, ldb, n0, nv, p->data + (size_t)pn * K * QB_SGEMM_NR);
    }
    return p;
}

void qb_packed_f32_free(qb_packed_f32 *p) {
    if (!p) return;
    free(p->data);
    free(p);
}

size_t qb_packed_f32_bytes(const qb_packed_f32 *p) { return p ? p->bytes : 0; }

qb_sgemm_bview qb_sgemm_view_packed(const qb_packed_f32 *p) {
    const qb_sgemm_bview v = {p->data, QB_SGEMM_NR, (ptrdiff_t)p->k * QB_SGEMM_NR, p->k, p->n, p->panels, NULL};
    return v;
}

// Rows [m0, m0 + rows) of op(A) (rows < 6) into one panel [K][6], rows past `rows` zero.
static void qb_sgemm_pack_a_tail(int trans_a, const float *A, int lda, int m0, int rows, int K, float *dst) {
    for (int k = 0; k < K; k++)
        for (int i = 0; i < QB_SGEMM_MR; i++)
            dst[(size_t)k * QB_SGEMM_MR + i] = i >= rows ? 0.0f
                                               : trans_a ? A[(size_t)k * lda + m0 + i]
                                                         : A[(size_t)(m0 + i) * lda + k];
}

// C rows [0, mr) × columns [0, nc) from the accumulator tile: the epilogue of qb_sgemm.h.
static void qb_sgemm_write(const float *t, int mr, int nc, float alpha, float beta, float *C, int ldc) {
    for (int i = 0; i < mr; i++) {
        float *c = C + (size_t)i * ldc;
        const float *ti = t + i * QB_SGEMM_TILE_LD;
        // The two cases the engine uses, without per-element tests (same operations as qb_sgemm_store).
        if (alpha == 1.0f && beta == 0.0f) memcpy(c, ti, sizeof(float) * (size_t)nc);
        else if (alpha == 1.0f && beta == 1.0f) for (int j = 0; j < nc; j++) c[j] = c[j] + ti[j];
        else for (int j = 0; j < nc; j++) qb_sgemm_store(ti[j], alpha, beta, c + j);
    }
}

// Rows per block: about QB_SGEMM_A_BYTES of A (rows × K floats) stay in L2 while every B panel passes over them;
// a multiple of 6, at least 6.
static int qb_sgemm_mc(int M, int K) {
    int mc = K > 0 ? (int)(QB_SGEMM_A_BYTES / sizeof(float) / (unsigned)K) : M;
    mc = mc / QB_SGEMM_MR * QB_SGEMM_MR;
    if (mc < QB_SGEMM_MR) mc = QB_SGEMM_MR;
    return mc < M ? mc : M;
}

void qb_sgemm_drive(qb_sgemm_micro_fn micro, int pw, int trans_a, int M, float alpha, const float *A, int lda,
                    const qb_sgemm_bview *B, float beta, float *C, int ldc) {
    const int K = B->k, N = B->n;
    if (M <= 0 || N <= 0) return;
    const ptrdiff_t ars = trans_a ? 1 : lda, acs = trans_a ? lda : 1;
    const int panels = (N + QB_SGEMM_NR - 1) / QB_SGEMM_NR, mfull = M - M % QB_SGEMM_MR, mc = qb_sgemm_mc(M, K);
    float *atail = NULL;
    if (mfull < M) {
        if (!(atail = qb_falloc((size_t)QB_SGEMM_MR * (K > 0 ? K : 1)))) abort();
        qb_sgemm_pack_a_tail(trans_a, A, lda, mfull, M - mfull, K, atail);
    }
    float tile[QB_SGEMM_MR * QB_SGEMM_TILE_LD] __attribute__((aligned(64)));
    for (int m0 = 0; m0 < M; m0 += mc) {
        const int m1 = M - m0 < mc ? M : m0 + mc;
        for (int p = 0, w; p < panels; p += w) {
            w = pw >= 2 && p + 1 < B->full ? 2 : 1;
            const int in_data = p < B->full;
            const float *bp = in_data ? B->data + p * B->ps : B->tail;
            const ptrdiff_t brs = in_data ? B->rs : QB_SGEMM_NR;
            const int n0 = p * QB_SGEMM_NR, nc = N - n0 < QB_SGEMM_NR * w ? N - n0 : QB_SGEMM_NR * w;
            for (int m = m0; m < m1; m += QB_SGEMM_MR) {
                const int mr = M - m < QB_SGEMM_MR ? M - m : QB_SGEMM_MR;
                if (mr < QB_SGEMM_MR) micro(K, atail, 1, QB_SGEMM_MR, bp, brs, B->ps, w, tile);
                else micro(K, A + m * ars, ars, acs, bp, brs, B->ps, w, tile);
                qb_sgemm_write(tile, mr, nc, alpha, beta, C + (size_t)m * ldc + n0, ldc);
            }
        }
    }
    free(atail);
}

int qb_sgemm_micro_run(qb_sgemm_micro_fn micro, int pw, int trans_a, int trans_b, int M, int N, int K, float alpha,
                       const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc) {
    if (M <= 0 || N <= 0) return 0;
    if (trans_b) {
        qb_packed_f32 *p = qb_sgemm_pack_b(trans_b, K, N, B, ldb);
        if (!p) return -1;
        const qb_sgemm_bview v = qb_sgemm_view_packed(p);
        qb_sgemm_drive(micro, pw, trans_a, M, alpha, A, lda, &v, beta, C, ldc);
        qb_packed_f32_free(p);
        return 0;
    }
    qb_sgemm_bview v = {B, ldb, QB_SGEMM_NR, K, N, N / QB_SGEMM_NR, NULL};
    float *tail = NULL;
    if (N % QB_SGEMM_NR) {
        if (!(tail = qb_falloc((size_t)K * QB_SGEMM_NR))) return -1;
        qb_sgemm_pack_panel(0, K, B, ldb, v.full * QB_SGEMM_NR, N % QB_SGEMM_NR, tail);
        v.tail = tail;
    }
    qb_sgemm_drive(micro, pw, trans_a, M, alpha, A, lda, &v, beta, C, ldc);
    free(tail);
    return 0;
}
