// Weight packing. Two layouts (qb_kernels_internal.h):
//
//   QB_LAYOUT_REF  int8 [N][K]                (a copy of B with row stride K; the reference family)
//   QB_LAYOUT_Q4   int8 [P][KQ][16][4]        P = ceil(N/16), KQ = ceil(K/4); AVX2, AVX512-VNNI and AMX
//       element (p, kq, j, t) = B[16p + j, 4kq + t]. For each k-quad, a 64-byte row holds 16 output columns × 4
//       consecutive k: one zmm is the vpdpbusd weight operand for 16 columns, and each 32-byte half is the
//       vpmaddubsw operand (or, sign-extended 16 bytes at a time, the vpmaddwd operand) for 8 columns on AVX2.
//       Panels are contiguous in K, so a kernel streams one 16-column panel from one pointer. 16 consecutive
//       k-quads of a panel (1024 bytes) are one AMX B tile (16 rows × 64 bytes, stride 64) for TDPBUSD/TDPBSSD.
// Rows n ≥ N and columns k ≥ K are zero, so padded products contribute nothing. Row sums Σ_k B[n, k] are
// computed once here (int32; |sum| ≤ 128·K).
#include "qb_kernels_internal.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static void *qb_aligned_alloc(size_t bytes) {
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes ? bytes : 64) != 0) return NULL;
    return p;
}

qb_packed_s8 *qb_pack_s8_family(const int8_t *B, int N, int K, int ldb, int family) {
    if (N < 0 || K < 0) return NULL;
    qb_packed_s8 *p = calloc(1, sizeof(*p));
    if (!p) return NULL;
    p->n = N;
    p->k = K;
    p->family = family;
    p->layout = family == QB_FAMILY_REF ? QB_LAYOUT_REF : QB_LAYOUT_Q4;
    p->row_sums = qb_aligned_alloc((size_t)N * sizeof(int32_t));
    if (!p->row_sums) { free(p); return NULL; }
    for (int n = 0; n < N; n++) {
        int32_t s = 0;
        for (int k = 0; k < K; k++) s += B[(size_t)n * ldb + k];
        p->row_sums[n] = s;
    }
    if (p->layout == QB_LAYOUT_Q4) {
        const int P = (N + QB_Q4_PANEL - 1) / QB_Q4_PANEL, KQ = (K + 3) / 4;
        p->panels = P;
        p->kgroups = KQ;
        p->bytes = (size_t)P * KQ * QB_Q4_PANEL * 4;
        int8_t *d = qb_aligned_alloc(p->bytes);
        if (d) {
            p->data = d;
            for (int pi = 0; pi < P; pi++)
                for (int kq = 0; kq < KQ; kq++)
                    for (int j = 0; j < QB_Q4_PANEL; j++)
                        for (int t = 0; t < 4; t++) {
                            const int n = pi * QB_Q4_PANEL + j, k = 4 * kq + t;
                            *d++ = (n < N && k < K) ? B[(size_t)n * ldb + k] : 0;
                        }
        }
    } else {
        p->kgroups = K;
        p->bytes = (size_t)N * K;
        int8_t *d = qb_aligned_alloc(p->bytes);
        if (d) {
            for (int n = 0; n < N; n++) memcpy(d + (size_t)n * K, B + (size_t)n * ldb, (size_t)K);
            p->data = d;
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
    switch (p->family) {
    case QB_FAMILY_AVX2: return "avx2";
    case QB_FAMILY_AVX512VNNI: return "avx512vnni";
    case QB_FAMILY_AMX: return "amx";
    case QB_FAMILY_AMX_EMU: return "amx_emu";
    case QB_FAMILY_AVX512VNNI_EMU: return "avx512vnni_emu";
    default: return "ref";
    }
}

// One buffer per thread, kept for the thread's life and grown when a call needs more (freed at thread exit): a
// fused GEMM runs on one thread at a time, and a few hundred KB allocated and freed per call cost page faults.
static pthread_key_t qb_partial_key;
static pthread_once_t qb_partial_once = PTHREAD_ONCE_INIT;
typedef struct { void *p; size_t bytes; } qb_partial_buffer;

static void qb_partial_free(void *b) {
    free(((qb_partial_buffer *)b)->p);
    free(b);
}

static void qb_partial_key_init(void) {
    if (pthread_key_create(&qb_partial_key, qb_partial_free) != 0) abort();
}

int32_t *qb_partial_sums_scratch(int rows, int n0, int n1, int *ldp, int *pbase) {
    const int p0 = n0 / QB_Q4_PANEL, p1 = (n1 + QB_Q4_PANEL - 1) / QB_Q4_PANEL;
    *ldp = QB_Q4_PANEL * (p1 - p0);
    *pbase = QB_Q4_PANEL * p0;
    const size_t bytes = (size_t)rows * (size_t)*ldp * sizeof(int32_t);
    pthread_once(&qb_partial_once, qb_partial_key_init);
    qb_partial_buffer *b = pthread_getspecific(qb_partial_key);
    if (!b) {
        if (!(b = calloc(1, sizeof *b)) || pthread_setspecific(qb_partial_key, b) != 0) abort();
    }
    if (b->bytes < bytes) {
        free(b->p);
        b->p = NULL;
        if (posix_memalign(&b->p, 64, bytes) != 0) abort();
        b->bytes = bytes;
    }
    return (int32_t *)b->p;
}
