// AVX2 packed int8 GEMM, exact for every input: activations and weights are widened to int16 and multiplied with
// vpmaddwd (int16 × int16, adjacent pairs summed into int32 — at most 2·255·128, no saturation possible), then
// accumulated with vpaddd (wrapping, like the reference). vpmaddubsw is not used: its int16 pair sums saturate
// for activations > 127. On Zen 3 both routes are bound by the same two vector-multiply pipes (32 MACs/cycle:
// maddubs+maddwd vs. 2×maddwd), so exactness costs only the extra vpaddd and the int16 weight copy.
//
// Blocking (GotoBLAS style, for one thread; callers split M or [n0, n1) across threads):
//   for each block of QB_MC rows of A:
//     for each block of QB_KCP k-pairs:   A rows → int16 pairs in a stack buffer (L1/L2, 32 KB)
//       for each group of 3 panels (24 output columns): B micro-panel (3 × QB_KCP × 32 B = 12 KB, L1)
//         for each 4 rows: 4×24 register tile (12 ymm accumulators + 3 B + 1 broadcast A)
// The first K block stores into C, later ones add to it.
#include "qb_kernels_internal.h"
#if QB_X86
#include <immintrin.h>

#define QB_MR 4
#define QB_NV 3
#define QB_MC 64
#define QB_KCP 128
#define QB_INLINE static inline __attribute__((always_inline))

static inline int qb_min(int a, int b) { return a < b ? a : b; }
static inline int qb_max(int a, int b) { return a > b ? a : b; }

// Rows [m0, m0+mc) of A, k in [2·kp0, 2·(kp0+kpc)) ∩ [0, K) → int16, row r at abuf + r·QB_KCP (int32 = one pair).
QB_TARGET_AVX2 static void qb_avx2_convert_a(const uint8_t *A, int lda, int a_signed, int K, int m0, int mc,
                                            int kp0, int kpc, int32_t *abuf) {
    for (int r = 0; r < mc; r++) {
        const uint8_t *src = A + (size_t)(m0 + r) * lda;
        int16_t *dst = (int16_t *)(abuf + (size_t)r * QB_KCP);
        int k = 2 * kp0, kend = qb_min(K, 2 * (kp0 + kpc)), j = 0;
        if (a_signed) {
            for (; k + 16 <= kend; k += 16, j += 16)
                _mm256_storeu_si256((__m256i *)(dst + j), _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(src + k))));
            for (; k < kend; k++, j++) dst[j] = (int8_t)src[k];
        } else {
            for (; k + 16 <= kend; k += 16, j += 16)
                _mm256_storeu_si256((__m256i *)(dst + j), _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(src + k))));
            for (; k < kend; k++, j++) dst[j] = src[k];
        }
        for (; j < 2 * kpc; j++) dst[j] = 0;
    }
}

// acc[r][v] = Σ_kp madd(A pair (r, kp), B panel v at kp) for r < mr, v < nv. mr, nv are constants after inlining.
QB_INLINE QB_TARGET_AVX2 void qb_avx2_ukernel(const int mr, const int nv, int kpc, const int32_t *a, const int16_t *b,
                                             size_t panel_stride, __m256i acc[QB_MR][QB_NV]) {
    for (int r = 0; r < QB_MR; r++)
        for (int v = 0; v < QB_NV; v++) acc[r][v] = _mm256_setzero_si256();
    const int16_t *b0 = b, *b1 = b + panel_stride, *b2 = b + 2 * panel_stride;
#pragma clang loop unroll_count(2)
    for (int kp = 0; kp < kpc; kp++) {
        __m256i bv[QB_NV];
        bv[0] = _mm256_load_si256((const __m256i *)(b0 + (size_t)kp * 16));
        if (nv > 1) bv[1] = _mm256_load_si256((const __m256i *)(b1 + (size_t)kp * 16));
        if (nv > 2) bv[2] = _mm256_load_si256((const __m256i *)(b2 + (size_t)kp * 16));
        for (int r = 0; r < mr; r++) {
            __m256i av = _mm256_set1_epi32(a[(size_t)r * QB_KCP + kp]);
            for (int v = 0; v < nv; v++) acc[r][v] = _mm256_add_epi32(acc[r][v], _mm256_madd_epi16(av, bv[v]));
        }
    }
}

// Writes (or, when accumulate, adds) the tile to C, keeping only absolute columns [n0, n1).
QB_INLINE QB_TARGET_AVX2 void qb_avx2_store(const int mr, const int nv, __m256i acc[QB_MR][QB_NV], int32_t *C, int ldc,
                                           int m, int p, int n0, int n1, int accumulate) {
    for (int v = 0; v < nv; v++) {
        int nb = (p + v) * QB_AVX2_PANEL;
        int lo = qb_max(n0, nb), hi = qb_min(n1, nb + QB_AVX2_PANEL);
        for (int r = 0; r < mr; r++) {
            int32_t *c = C + (size_t)(m + r) * ldc + nb;
            if (lo == nb && hi == nb + QB_AVX2_PANEL) {
                __m256i x = acc[r][v];
                if (accumulate) x = _mm256_add_epi32(x, _mm256_loadu_si256((const __m256i *)c));
                _mm256_storeu_si256((__m256i *)c, x);
            } else {
                int32_t t[QB_AVX2_PANEL];
                _mm256_storeu_si256((__m256i *)t, acc[r][v]);
                for (int n = lo; n < hi; n++)
                    c[n - nb] = accumulate ? (int32_t)((uint32_t)c[n - nb] + (uint32_t)t[n - nb]) : t[n - nb];
            }
        }
    }
}

#define QB_AVX2_CASE(MR_, NV_)                                                                   \
    case (MR_) * 4 + (NV_): {                                                                    \
        __m256i acc[QB_MR][QB_NV];                                                               \
        qb_avx2_ukernel(MR_, NV_, kpc, abuf + (size_t)r * QB_KCP, bp, panel_stride, acc);        \
        qb_avx2_store(MR_, NV_, acc, C, ldc, m0 + r, p, n0, n1, kp0 > 0);                        \
        break;                                                                                   \
    }

QB_TARGET_AVX2 static void qb_qgemm_packed_avx2(int M, const uint8_t *A, int lda, int a_signed, const qb_packed_s8 *B,
                                               int n0, int n1, int32_t *C, int ldc) {
    if (M <= 0 || n1 <= n0) return;
    const int K = B->k, KP = B->kgroups;
    if (K == 0) {
        for (int m = 0; m < M; m++)
            for (int n = n0; n < n1; n++) C[(size_t)m * ldc + n] = 0;
        return;
    }
    const int p0 = n0 / QB_AVX2_PANEL, p1 = (n1 + QB_AVX2_PANEL - 1) / QB_AVX2_PANEL;
    const size_t panel_stride = (size_t)KP * 2 * QB_AVX2_PANEL; // int16 elements from one panel to the next
    const int16_t *data = (const int16_t *)B->data;
    _Alignas(64) int32_t abuf[QB_MC * QB_KCP];
    for (int m0 = 0; m0 < M; m0 += QB_MC) {
        const int mc = qb_min(QB_MC, M - m0);
        for (int kp0 = 0; kp0 < KP; kp0 += QB_KCP) {
            const int kpc = qb_min(QB_KCP, KP - kp0);
            qb_avx2_convert_a(A, lda, a_signed, K, m0, mc, kp0, kpc, abuf);
            for (int p = p0; p < p1; p += QB_NV) {
                const int nv = qb_min(QB_NV, p1 - p);
                const int16_t *bp = data + (size_t)p * panel_stride + (size_t)kp0 * 2 * QB_AVX2_PANEL;
                for (int r = 0; r < mc; r += QB_MR) {
                    switch (qb_min(QB_MR, mc - r) * 4 + nv) {
                        QB_AVX2_CASE(4, 3) QB_AVX2_CASE(4, 2) QB_AVX2_CASE(4, 1)
                        QB_AVX2_CASE(3, 3) QB_AVX2_CASE(3, 2) QB_AVX2_CASE(3, 1)
                        QB_AVX2_CASE(2, 3) QB_AVX2_CASE(2, 2) QB_AVX2_CASE(2, 1)
                        QB_AVX2_CASE(1, 3) QB_AVX2_CASE(1, 2) QB_AVX2_CASE(1, 1)
                    }
                }
            }
        }
    }
}

void qb_qgemm_u8s8_packed_avx2(int M, const uint8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1, int32_t *C, int ldc) {
    qb_qgemm_packed_avx2(M, A, lda, 0, B, n0, n1, C, ldc);
}

void qb_qgemm_s8s8_packed_avx2(int M, const int8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1, int32_t *C, int ldc) {
    qb_qgemm_packed_avx2(M, (const uint8_t *)A, lda, 1, B, n0, n1, C, ldc);
}
#endif
