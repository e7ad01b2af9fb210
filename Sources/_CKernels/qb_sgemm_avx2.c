// Deterministic FP32 GEMM micro-kernel, AVX2 + FMA: a 6 × 16 tile in 12 ymm accumulators (two per row), one
// vfmadd231ps per accumulator and k, k ascending: lane j of row i is exactly the scalar chain
// acc = fmaf(A[i, k], B[k, j], acc) of qb_sgemm_micro_ref (vectorised over n, never over k).
#pragma STDC FP_CONTRACT OFF
#include "qb_kernels_internal.h"

#if QB_X86
#include <immintrin.h>

QB_TARGET_AVX2 void qb_sgemm_micro_avx2(int K, const float *Ap, const float *Bp, int w, float *tile) {
    (void)w; // one 16-column panel per call (the driver passes pw = 1)
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    for (int k = 0; k < K; k++) {
        const __m256 b0 = _mm256_load_ps(Bp + (size_t)k * 16), b1 = _mm256_load_ps(Bp + (size_t)k * 16 + 8);
        const float *a = Ap + (size_t)k * 6;
        __m256 ai = _mm256_broadcast_ss(a + 0);
        c00 = _mm256_fmadd_ps(ai, b0, c00); c01 = _mm256_fmadd_ps(ai, b1, c01);
        ai = _mm256_broadcast_ss(a + 1);
        c10 = _mm256_fmadd_ps(ai, b0, c10); c11 = _mm256_fmadd_ps(ai, b1, c11);
        ai = _mm256_broadcast_ss(a + 2);
        c20 = _mm256_fmadd_ps(ai, b0, c20); c21 = _mm256_fmadd_ps(ai, b1, c21);
        ai = _mm256_broadcast_ss(a + 3);
        c30 = _mm256_fmadd_ps(ai, b0, c30); c31 = _mm256_fmadd_ps(ai, b1, c31);
        ai = _mm256_broadcast_ss(a + 4);
        c40 = _mm256_fmadd_ps(ai, b0, c40); c41 = _mm256_fmadd_ps(ai, b1, c41);
        ai = _mm256_broadcast_ss(a + 5);
        c50 = _mm256_fmadd_ps(ai, b0, c50); c51 = _mm256_fmadd_ps(ai, b1, c51);
    }
    float *t = tile;
    _mm256_store_ps(t + 0 * QB_SGEMM_TILE_LD, c00); _mm256_store_ps(t + 0 * QB_SGEMM_TILE_LD + 8, c01);
    _mm256_store_ps(t + 1 * QB_SGEMM_TILE_LD, c10); _mm256_store_ps(t + 1 * QB_SGEMM_TILE_LD + 8, c11);
    _mm256_store_ps(t + 2 * QB_SGEMM_TILE_LD, c20); _mm256_store_ps(t + 2 * QB_SGEMM_TILE_LD + 8, c21);
    _mm256_store_ps(t + 3 * QB_SGEMM_TILE_LD, c30); _mm256_store_ps(t + 3 * QB_SGEMM_TILE_LD + 8, c31);
    _mm256_store_ps(t + 4 * QB_SGEMM_TILE_LD, c40); _mm256_store_ps(t + 4 * QB_SGEMM_TILE_LD + 8, c41);
    _mm256_store_ps(t + 5 * QB_SGEMM_TILE_LD, c50); _mm256_store_ps(t + 5 * QB_SGEMM_TILE_LD + 8, c51);
}
#else
void qb_sgemm_micro_avx2(int K, const float *Ap, const float *Bp, int w, float *tile) {
    qb_sgemm_micro_ref(K, Ap, Bp, w, tile);
}
#endif
