// Weight packing. Each kernel family has its own layout; a pack records which one it holds.
//
//   QB_LAYOUT_REF       int8  [N][K]                       (a copy of B with row stride K)
//   QB_LAYOUT_AVX2_I16  int16 [P][KP][8][2]   P = ceil(N/8),  KP = ceil(K/2)
//       element (p, kp, j, t) = B[8p + j, 2kp + t]. One 32-byte load at (p, kp) is the vpmaddwd operand for
//       8 output columns × one k-pair; int16 so that u8/s8 activations × weights are exact (no vpmaddubsw
//       int16 saturation). Twice the bytes of int8, in exchange for bit-exactness at full 8-bit range.
//   QB_LAYOUT_VNNI_I8   int8  [P][KQ][16][4]  P = ceil(N/16), KQ = ceil(K/4)
//       element (p, kq, j, t) = B[16p + j, 4kq + t]: one 64-byte load is the vpdpbusd operand for 16 columns.
// Rows n ≥ N and columns k ≥ K are zero, so padded products contribute nothing.
// Row sums Σ_k B[n, k] are computed here once (int32; |sum| ≤ 128·K).
#include "qb_kernels_internal.h"
#include <stdlib.h>
#include <string.h>

static void *qb_aligned_alloc(size_t bytes) {
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes ? bytes : 64) != 0) return NULL;
    return p;
}

qb_packed_s8 *qb_pack_s8_layout(const int8_t *B, int N, int K, int ldb, int layout) {
    if (N < 0 || K < 0) return NULL;
    qb_packed_s8 *p = calloc(1, sizeof(*p));
    if (!p) return NULL;
    p->n = N;
    p->k = K;
    p->layout = layout;
    p->row_sums = qb_aligned_alloc((size_t)N * sizeof(int32_t));
    if (!p->row_sums) { free(p); return NULL; }
    for (int n = 0; n < N; n++) {
        int32_t s = 0;
        for (int k = 0; k < K; k++) s += B[(size_t)n * ldb + k];
        p->row_sums[n] = s;
    }
    switch (layout) {
    case QB_LAYOUT_AVX2_I16: {
        int P = (N + QB_AVX2_PANEL - 1) / QB_AVX2_PANEL, KP = (K + 1) / 2;
        p->panels = P;
        p->kgroups = KP;
        p->bytes = (size_t)P * KP * QB_AVX2_PANEL * 2 * sizeof(int16_t);
        int16_t *d = qb_aligned_alloc(p->bytes);
        if (!d) break;
        for (int pi = 0; pi < P; pi++)
            for (int kp = 0; kp < KP; kp++)
                for (int j = 0; j < QB_AVX2_PANEL; j++)
                    for (int t = 0; t < 2; t++) {
                        int n = pi * QB_AVX2_PANEL + j, k = 2 * kp + t;
                        *d++ = (n < N && k < K) ? B[(size_t)n * ldb + k] : 0;
                    }
        p->data = (char *)d - p->bytes;
        break;
    }
    case QB_LAYOUT_VNNI_I8: {
        int P = (N + QB_VNNI_PANEL - 1) / QB_VNNI_PANEL, KQ = (K + 3) / 4;
        p->panels = P;
        p->kgroups = KQ;
        p->bytes = (size_t)P * KQ * QB_VNNI_PANEL * 4;
        int8_t *d = qb_aligned_alloc(p->bytes);
        if (!d) break;
        for (int pi = 0; pi < P; pi++)
            for (int kq = 0; kq < KQ; kq++)
                for (int j = 0; j < QB_VNNI_PANEL; j++)
                    for (int t = 0; t < 4; t++) {
                        int n = pi * QB_VNNI_PANEL + j, k = 4 * kq + t;
                        *d++ = (n < N && k < K) ? B[(size_t)n * ldb + k] : 0;
                    }
        p->data = d - p->bytes;
        break;
    }
    default: {
        p->layout = QB_LAYOUT_REF;
        p->kgroups = K;
        p->bytes = (size_t)N * K;
        int8_t *d = qb_aligned_alloc(p->bytes);
        if (!d) break;
        for (int n = 0; n < N; n++) memcpy(d + (size_t)n * K, B + (size_t)n * ldb, (size_t)K);
        p->data = d;
        break;
    }
    }
    if (!p->data) { free(p->row_sums); free(p); return NULL; }
    return p;
}

void qb_packed_free(qb_packed_s8 *p) {
    if (!p) return;
    free(p->data);
    free(p->row_sums);
    free(p);
}

int qb_packed_n(const qb_packed_s8 *p) { return p->n; }
int qb_packed_k(const qb_packed_s8 *p) { return p->k; }
const int32_t *qb_packed_row_sums(const qb_packed_s8 *p) { return p->row_sums; }
size_t qb_packed_bytes(const qb_packed_s8 *p) { return p->bytes + (size_t)p->n * sizeof(int32_t) + sizeof(*p); }

const char *qb_packed_kernel_name(const qb_packed_s8 *p) {
    switch (p->layout) {
    case QB_LAYOUT_AVX2_I16: return "avx2";
    case QB_LAYOUT_VNNI_I8: return "avx512vnni";
    default: return "ref";
    }
}
