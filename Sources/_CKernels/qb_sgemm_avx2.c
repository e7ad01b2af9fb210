// Deterministic FP32 GEMM micro-kernel, AVX2 + FMA: a 6 × 16 tile in 12 ymm accumulators (two per row), one
// vfmadd231ps per accumulator and k, k ascending: lane j of row i is exactly the scalar chain
// acc = fmaf(A[i, k], B[k, j], acc) of qb_sgemm_micro_ref (vectorised over n, never over k).
// Registers: 12 accumulators + 2 B vectors + one A broadcast = 15 of 16 ymm. Only one broadcast is live at a
// time; with two, clang spills an accumulator and its FMA chain runs through memory (half the speed).
#pragma STDC FP_CONTRACT OFF
#include "qb_kernels_internal.h"

#if QB_X86
#include <immintrin.h>

QB_TARGET_AVX2 void qb_sgemm_micro_avx2(int K, const float *A, ptrdiff_t ars, ptrdiff_t acs, const float *B,
                                        ptrdiff_t brs, ptrdiff_t bps, int w, float *tile) {
    (void)w; (void)bps; // one 16-column panel per call (the driver passes pw = 1)
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    const float *a0 = A, *a1 = A + ars, *a2 = A + 2 * ars, *a3 = A + 3 * ars, *a4 = A + 4 * ars, *a5 = A + 5 * ars;
    for (int k = 0; k < K; k++) {
        const float *b = B + (ptrdiff_t)k * brs;
        const ptrdiff_t o = (ptrdiff_t)k * acs;
        const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
        __m256 ai = _mm256_broadcast_ss(a0 + o);
        c00 = _mm256_fmadd_ps(ai, b0, c00); c01 = _mm256_fmadd_ps(ai, b1, c01);
        ai = _mm256_broadcast_ss(a1 + o);
        c10 = _mm256_fmadd_ps(ai, b0, c10); c11 = _mm256_fmadd_ps(ai, b1, c11);
        ai = _mm256_broadcast_ss(a2 + o);
        c20 = _mm256_fmadd_ps(ai, b0, c20); c21 = _mm256_fmadd_ps(ai, b1, c21);
        ai = _mm256_broadcast_ss(a3 + o);
        c30 = _mm256_fmadd_ps(ai, b0, c30); c31 = _mm256_fmadd_ps(ai, b1, c31);
        ai = _mm256_broadcast_ss(a4 + o);
        c40 = _mm256_fmadd_ps(ai, b0, c40); c41 = _mm256_fmadd_ps(ai, b1, c41);
        ai = _mm256_broadcast_ss(a5 + o);
        c50 = _mm256_fmadd_ps(ai, b0, c50); c51 = _mm256_fmadd_ps(ai, b1, c51);
    }
    _mm256_store_ps(tile + 0 * QB_SGEMM_TILE_LD, c00); _mm256_store_ps(tile + 0 * QB_SGEMM_TILE_LD + 8, c01);
    _mm256_store_ps(tile + 1 * QB_SGEMM_TILE_LD, c10); _mm256_store_ps(tile + 1 * QB_SGEMM_TILE_LD + 8, c11);
    _mm256_store_ps(tile + 2 * QB_SGEMM_TILE_LD, c20); _mm256_store_ps(tile + 2 * QB_SGEMM_TILE_LD + 8, c21);
    _mm256_store_ps(tile + 3 * QB_SGEMM_TILE_LD, c30); _mm256_store_ps(tile + 3 * QB_SGEMM_TILE_LD + 8, c31);
    _mm256_store_ps(tile + 4 * QB_SGEMM_TILE_LD, c40); _mm256_store_ps(tile + 4 * QB_SGEMM_TILE_LD + 8, c41);
    _mm256_store_ps(tile + 5 * QB_SGEMM_TILE_LD, c50); _mm256_store_ps(tile + 5 * QB_SGEMM_TILE_LD + 8, c51);
}
#else
void qb_sgemm_micro_avx2(int K, const float *A, ptrdiff_t ars, ptrdiff_t acs, const float *B, ptrdiff_t brs,
                         ptrdiff_t bps, int w, float *tile) {
    qb_sgemm_micro_ref(K, A, ars, acs, B, brs, bps, w, tile);
}
#endif
