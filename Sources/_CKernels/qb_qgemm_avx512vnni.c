// AVX512-VNNI packed int8 GEMM. vpdpbusd multiplies 4 adjacent unsigned bytes of one operand by 4 signed bytes of
// the other, sums the four int32 products and adds them to the int32 accumulator, with no intermediate
// saturation (that is vpdpbusds) — so u8·s8 is exact for every input, as in the reference.
//
// s8·s8 (Q8BERT's symmetric activations): A is shifted into u8 by a + 128 (xor 0x80), and
//   Σ_k (a+128)·b − 128·Σ_k b = Σ_k a·b   exactly in wrapping int32; Σ_k b is the pack's row sum.
//
// Same blocking as the AVX2 kernel: QB_MC rows × QB_KCQ k-quads of A in a stack buffer (4 bytes per int32 slot, so
// one vpbroadcastd feeds a row), B micro-panels of 3 × 16 columns, register tile 8 rows × 48 columns
// (24 zmm accumulators + 3 B + 1 A of 32 registers).
//
// This CPU path cannot run on AMD Zen 3 (no AVX-512); `Tools/kernels/vnni_emulated.sh` executes this exact file
// against SIMDe's portable intrinsics to check it against the reference.
#include "qb_kernels_internal.h"
#if QB_X86
#if defined(QB_EMULATE_INTRINSICS)
#include <simde/x86/avx512.h>
// Exactly the intrinsics this file uses, mapped to SIMDe's portable versions.
#define __m512i simde__m512i
#define _mm512_setzero_si512 simde_mm512_setzero_si512
#define _mm512_load_si512 simde_mm512_load_si512
#define _mm512_loadu_si512 simde_mm512_loadu_si512
#define _mm512_storeu_si512 simde_mm512_storeu_si512
#define _mm512_set1_epi32 simde_mm512_set1_epi32
#define _mm512_dpbusd_epi32 simde_mm512_dpbusd_epi32
#define _mm512_add_epi32 simde_mm512_add_epi32
#define _mm512_sub_epi32 simde_mm512_sub_epi32
#define _mm512_slli_epi32 simde_mm512_slli_epi32
#else
#include <immintrin.h>
#endif

#define QB_VMR 8
#define QB_VNV 3
#define QB_VMC 64
#ifndef QB_KCQ
#define QB_KCQ 128
#endif
#define QB_VINLINE static inline __attribute__((always_inline))

static inline int qb_vmin(int a, int b) { return a < b ? a : b; }
static inline int qb_vmax(int a, int b) { return a > b ? a : b; }

// Rows [m0, m0+mc) of A, k in [4·kq0, 4·(kq0+kqc)) ∩ [0, K) → bytes (xor 0x80 when signed), zero-padded;
// row r at abuf + r·QB_KCQ (one int32 = one k-quad).
static void qb_vnni_convert_a(const uint8_t *A, int lda, int a_signed, int K, int m0, int mc, int kq0, int kqc,
                              int32_t *abuf) {
    const uint8_t flip = a_signed ? 0x80 : 0x00;
    for (int r = 0; r < mc; r++) {
        const uint8_t *src = A + (size_t)(m0 + r) * lda;
        uint8_t *dst = (uint8_t *)(abuf + (size_t)r * QB_KCQ);
        int k = 4 * kq0, kend = qb_vmin(K, 4 * (kq0 + kqc)), j = 0;
        for (; k < kend; k++, j++) dst[j] = src[k] ^ flip;
        for (; j < 4 * kqc; j++) dst[j] = 0;
    }
}

QB_VINLINE QB_TARGET_AVX512VNNI void qb_vnni_ukernel(const int mr, const int nv, int kqc, const int32_t *a,
                                                    const int8_t *b, size_t panel_stride, __m512i acc[QB_VMR][QB_VNV]) {
    for (int r = 0; r < QB_VMR; r++)
        for (int v = 0; v < QB_VNV; v++) acc[r][v] = _mm512_setzero_si512();
    const int8_t *b0 = b, *b1 = b + panel_stride, *b2 = b + 2 * panel_stride;
    for (int kq = 0; kq < kqc; kq++) {
        __m512i bv[QB_VNV];
        bv[0] = _mm512_load_si512((const void *)(b0 + (size_t)kq * 64));
        if (nv > 1) bv[1] = _mm512_load_si512((const void *)(b1 + (size_t)kq * 64));
        if (nv > 2) bv[2] = _mm512_load_si512((const void *)(b2 + (size_t)kq * 64));
        for (int r = 0; r < mr; r++) {
            __m512i av = _mm512_set1_epi32(a[(size_t)r * QB_KCQ + kq]); // 4 unsigned activation bytes
            for (int v = 0; v < nv; v++) acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], av, bv[v]);
        }
    }
}

// Writes (first K block, minus 128·row_sum when A was shifted) or adds the tile to C, columns [n0, n1) only.
QB_VINLINE QB_TARGET_AVX512VNNI void qb_vnni_store(const int mr, const int nv, __m512i acc[QB_VMR][QB_VNV], int32_t *C,
                                                  int ldc, int m, int p, int n0, int n1, int accumulate,
                                                  const int32_t *row_sums, int a_signed, int N) {
    for (int v = 0; v < nv; v++) {
        const int nb = (p + v) * QB_Q4_PANEL;
        const int lo = qb_vmax(n0, nb), hi = qb_vmin(n1, nb + QB_Q4_PANEL);
        const int full = lo == nb && hi == nb + QB_Q4_PANEL;
        __m512i corr = _mm512_setzero_si512();
        if (a_signed && !accumulate) {
            if (nb + QB_Q4_PANEL <= N) {
                corr = _mm512_loadu_si512((const void *)(row_sums + nb));
            } else {
                int32_t t[QB_Q4_PANEL] = {0};
                for (int n = nb; n < N; n++) t[n - nb] = row_sums[n];
                corr = _mm512_loadu_si512((const void *)t);
            }
            corr = _mm512_slli_epi32(corr, 7); // 128 · Σ_k b
        }
        for (int r = 0; r < mr; r++) {
            int32_t *c = C + (size_t)(m + r) * ldc + nb;
            __m512i x = _mm512_sub_epi32(acc[r][v], corr);
            if (full) {
                if (accumulate) x = _mm512_add_epi32(x, _mm512_loadu_si512((const void *)c));
                _mm512_storeu_si512((void *)c, x);
            } else {
                int32_t t[QB_Q4_PANEL];
                _mm512_storeu_si512((void *)t, x);
                for (int n = lo; n < hi; n++)
                    c[n - nb] = accumulate ? (int32_t)((uint32_t)c[n - nb] + (uint32_t)t[n - nb]) : t[n - nb];
            }
        }
    }
}

#define QB_VNNI_CASE(MR_, NV_)                                                                         \
    case (MR_) * 4 + (NV_): {                                                                          \
        __m512i acc[QB_VMR][QB_VNV];                                                                   \
        qb_vnni_ukernel(MR_, NV_, kqc, abuf + (size_t)r * QB_KCQ, bp, panel_stride, acc);              \
        qb_vnni_store(MR_, NV_, acc, C, ldc, m0 + r, p, n0, n1, kq0 > 0, B->row_sums, a_signed, B->n); \
        break;                                                                                         \
    }

QB_TARGET_AVX512VNNI static void qb_qgemm_packed_avx512vnni(int M, const uint8_t *A, int lda, int a_signed,
                                                           const qb_packed_s8 *B, int n0, int n1, int32_t *C, int ldc) {
    if (M <= 0 || n1 <= n0) return;
    const int K = B->k, KQ = B->kgroups;
    if (K == 0) {
        for (int m = 0; m < M; m++)
            for (int n = n0; n < n1; n++) C[(size_t)m * ldc + n] = 0;
        return;
    }
    const int p0 = n0 / QB_Q4_PANEL, p1 = (n1 + QB_Q4_PANEL - 1) / QB_Q4_PANEL;
    const size_t panel_stride = (size_t)KQ * 4 * QB_Q4_PANEL; // bytes from one panel to the next
    const int8_t *data = (const int8_t *)B->data;
    _Alignas(64) int32_t abuf[QB_VMC * QB_KCQ];
    for (int m0 = 0; m0 < M; m0 += QB_VMC) {
        const int mc = qb_vmin(QB_VMC, M - m0);
        for (int kq0 = 0; kq0 < KQ; kq0 += QB_KCQ) {
            const int kqc = qb_vmin(QB_KCQ, KQ - kq0);
            qb_vnni_convert_a(A, lda, a_signed, K, m0, mc, kq0, kqc, abuf);
            for (int p = p0; p < p1; p += QB_VNV) {
                const int nv = qb_vmin(QB_VNV, p1 - p);
                const int8_t *bp = data + (size_t)p * panel_stride + (size_t)kq0 * 4 * QB_Q4_PANEL;
                for (int r = 0; r < mc;) {
                    int mr = qb_vmin(QB_VMR, mc - r);
                    // Rows handled per tile: 8, else 4, 2 or 1 (keeps the number of instantiated tiles small).
                    int tile = mr >= 8 ? 8 : mr >= 4 ? 4 : mr >= 2 ? 2 : 1;
                    switch (tile * 4 + nv) {
                        QB_VNNI_CASE(8, 3) QB_VNNI_CASE(8, 2) QB_VNNI_CASE(8, 1)
                        QB_VNNI_CASE(4, 3) QB_VNNI_CASE(4, 2) QB_VNNI_CASE(4, 1)
                        QB_VNNI_CASE(2, 3) QB_VNNI_CASE(2, 2) QB_VNNI_CASE(2, 1)
                        QB_VNNI_CASE(1, 3) QB_VNNI_CASE(1, 2) QB_VNNI_CASE(1, 1)
                    }
                    r += tile;
                }
            }
        }
    }
}

void qb_qgemm_u8s8_packed_avx512vnni(int M, const uint8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1, int32_t *C, int ldc) {
    qb_qgemm_packed_avx512vnni(M, A, lda, 0, B, n0, n1, C, ldc);
}

void qb_qgemm_s8s8_packed_avx512vnni(int M, const int8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1, int32_t *C, int ldc) {
    qb_qgemm_packed_avx512vnni(M, (const uint8_t *)A, lda, 1, B, n0, n1, C, ldc);
}
#endif
