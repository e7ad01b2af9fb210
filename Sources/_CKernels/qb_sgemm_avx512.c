// Deterministic FP32 GEMM micro-kernel, AVX-512F: a 6 × 32 tile (two adjacent 16-column panels) in 12 zmm
// accumulators, or 6 × 16 for the last odd panel; one vfmadd231ps per accumulator and k, k ascending, so lane j
// of row i is exactly the scalar chain of qb_sgemm_micro_ref (vectorised over n, never over k).
// The same source compiles twice: natively and as the "avx512vnni_emu" family's micro-kernel
// (qb_sgemm_avx512_emu.c defines QB_SGEMM_EMULATE: qb_avx512_emu.h's portable intrinsics, each vfmadd231ps an
// exactly fused fmaf per lane, names suffixed `_avx512_emu`), so it is tested bit-exact on CPUs without AVX-512.
#pragma STDC FP_CONTRACT OFF
#include "qb_kernels_internal.h"

#if QB_X86
#if defined(QB_SGEMM_EMULATE)
#include "qb_avx512_emu.h"
#define QB_S512_TARGET
#define QB_S512_FN(name) name##_avx512_emu
#else
#include <immintrin.h>
#define QB_S512_TARGET QB_TARGET_AVX512F
#define QB_S512_FN(name) name##_avx512
#endif

QB_S512_TARGET static void qb_sgemm_micro_avx512_w2(int K, const float *A, ptrdiff_t ars, ptrdiff_t acs,
                                                       const float *B, ptrdiff_t brs, ptrdiff_t bps, float *t) {
    __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m512 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    const float *a0 = A, *a1 = A + ars, *a2 = A + 2 * ars, *a3 = A + 3 * ars, *a4 = A + 4 * ars, *a5 = A + 5 * ars;
    for (int k = 0; k < K; k++) {
        const float *b = B + (ptrdiff_t)k * brs;
        const ptrdiff_t o = (ptrdiff_t)k * acs;
        const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + bps);
        __m512 ai = _mm512_set1_ps(a0[o]);
        c00 = _mm512_fmadd_ps(ai, b0, c00); c01 = _mm512_fmadd_ps(ai, b1, c01);
        ai = _mm512_set1_ps(a1[o]);
        c10 = _mm512_fmadd_ps(ai, b0, c10); c11 = _mm512_fmadd_ps(ai, b1, c11);
        ai = _mm512_set1_ps(a2[o]);
        c20 = _mm512_fmadd_ps(ai, b0, c20); c21 = _mm512_fmadd_ps(ai, b1, c21);
        ai = _mm512_set1_ps(a3[o]);
        c30 = _mm512_fmadd_ps(ai, b0, c30); c31 = _mm512_fmadd_ps(ai, b1, c31);
        ai = _mm512_set1_ps(a4[o]);
        c40 = _mm512_fmadd_ps(ai, b0, c40); c41 = _mm512_fmadd_ps(ai, b1, c41);
        ai = _mm512_set1_ps(a5[o]);
        c50 = _mm512_fmadd_ps(ai, b0, c50); c51 = _mm512_fmadd_ps(ai, b1, c51);
    }
    _mm512_store_ps(t + 0 * QB_SGEMM_TILE_LD, c00); _mm512_store_ps(t + 0 * QB_SGEMM_TILE_LD + 16, c01);
    _mm512_store_ps(t + 1 * QB_SGEMM_TILE_LD, c10); _mm512_store_ps(t + 1 * QB_SGEMM_TILE_LD + 16, c11);
    _mm512_store_ps(t + 2 * QB_SGEMM_TILE_LD, c20); _mm512_store_ps(t + 2 * QB_SGEMM_TILE_LD + 16, c21);
    _mm512_store_ps(t + 3 * QB_SGEMM_TILE_LD, c30); _mm512_store_ps(t + 3 * QB_SGEMM_TILE_LD + 16, c31);
    _mm512_store_ps(t + 4 * QB_SGEMM_TILE_LD, c40); _mm512_store_ps(t + 4 * QB_SGEMM_TILE_LD + 16, c41);
    _mm512_store_ps(t + 5 * QB_SGEMM_TILE_LD, c50); _mm512_store_ps(t + 5 * QB_SGEMM_TILE_LD + 16, c51);
}

QB_S512_TARGET static void qb_sgemm_micro_avx512_w1(int K, const float *A, ptrdiff_t ars, ptrdiff_t acs,
                                                       const float *B, ptrdiff_t brs, float *t) {
    __m512 c0 = _mm512_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
    const float *a0 = A, *a1 = A + ars, *a2 = A + 2 * ars, *a3 = A + 3 * ars, *a4 = A + 4 * ars, *a5 = A + 5 * ars;
    for (int k = 0; k < K; k++) {
        const __m512 b = _mm512_loadu_ps(B + (ptrdiff_t)k * brs);
        const ptrdiff_t o = (ptrdiff_t)k * acs;
        c0 = _mm512_fmadd_ps(_mm512_set1_ps(a0[o]), b, c0);
        c1 = _mm512_fmadd_ps(_mm512_set1_ps(a1[o]), b, c1);
        c2 = _mm512_fmadd_ps(_mm512_set1_ps(a2[o]), b, c2);
        c3 = _mm512_fmadd_ps(_mm512_set1_ps(a3[o]), b, c3);
        c4 = _mm512_fmadd_ps(_mm512_set1_ps(a4[o]), b, c4);
        c5 = _mm512_fmadd_ps(_mm512_set1_ps(a5[o]), b, c5);
    }
    _mm512_store_ps(t + 0 * QB_SGEMM_TILE_LD, c0); _mm512_store_ps(t + 1 * QB_SGEMM_TILE_LD, c1); _mm512_store_ps(t + 2 * QB_SGEMM_TILE_LD, c2);
    _mm512_store_ps(t + 3 * QB_SGEMM_TILE_LD, c3); _mm512_store_ps(t + 4 * QB_SGEMM_TILE_LD, c4); _mm512_store_ps(t + 5 * QB_SGEMM_TILE_LD, c5);
}

void QB_S512_FN(qb_sgemm_micro)(int K, const float *A, ptrdiff_t ars, ptrdiff_t acs, const float *B, ptrdiff_t brs,
                                ptrdiff_t bps, int w, float *tile) {
    if (w >= 2) qb_sgemm_micro_avx512_w2(K, A, ars, acs, B, brs, bps, tile);
    else qb_sgemm_micro_avx512_w1(K, A, ars, acs, B, brs, tile);
}
#else
#if defined(QB_SGEMM_EMULATE)
#define QB_S512_FN(name) name##_avx512_emu
#else
#define QB_S512_FN(name) name##_avx512
#endif
void QB_S512_FN(qb_sgemm_micro)(int K, const float *A, ptrdiff_t ars, ptrdiff_t acs, const float *B, ptrdiff_t brs,
                                ptrdiff_t bps, int w, float *tile) {
    qb_sgemm_micro_ref(K, A, ars, acs, B, brs, bps, w, tile);
}
#endif
