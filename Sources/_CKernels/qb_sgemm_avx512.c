// Deterministic FP32 GEMM micro-kernel, AVX-512F: a 6 × 32 tile (two adjacent 16-column panels) in 12 zmm
// accumulators, or 6 × 16 for the last odd panel; one vfmadd231ps per accumulator and k, k ascending, so lane j
// of row i is exactly the scalar chain of qb_sgemm_micro_ref (vectorised over n, never over k).
// With -DQB_EMULATE_INTRINSICS (SIMDe, as Tools/kernels/vnni_emulated.sh) it runs on CPUs without AVX-512.
#pragma STDC FP_CONTRACT OFF
#include "qb_kernels_internal.h"

#if QB_X86
#if defined(QB_EMULATE_INTRINSICS)
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>
#else
#include <immintrin.h>
#endif

QB_TARGET_AVX512F static void qb_sgemm_micro_avx512_w2(int K, const float *Ap, const float *Bp, float *tile) {
    const float *B0 = Bp, *B1 = Bp + (size_t)K * 16;
    __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m512 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    for (int k = 0; k < K; k++) {
        const __m512 b0 = _mm512_load_ps(B0 + (size_t)k * 16), b1 = _mm512_load_ps(B1 + (size_t)k * 16);
        const float *a = Ap + (size_t)k * 6;
        __m512 a0 = _mm512_set1_ps(a[0]), a1 = _mm512_set1_ps(a[1]);
        c00 = _mm512_fmadd_ps(a0, b0, c00); c01 = _mm512_fmadd_ps(a0, b1, c01);
        c10 = _mm512_fmadd_ps(a1, b0, c10); c11 = _mm512_fmadd_ps(a1, b1, c11);
        a0 = _mm512_set1_ps(a[2]); a1 = _mm512_set1_ps(a[3]);
        c20 = _mm512_fmadd_ps(a0, b0, c20); c21 = _mm512_fmadd_ps(a0, b1, c21);
        c30 = _mm512_fmadd_ps(a1, b0, c30); c31 = _mm512_fmadd_ps(a1, b1, c31);
        a0 = _mm512_set1_ps(a[4]); a1 = _mm512_set1_ps(a[5]);
        c40 = _mm512_fmadd_ps(a0, b0, c40); c41 = _mm512_fmadd_ps(a0, b1, c41);
        c50 = _mm512_fmadd_ps(a1, b0, c50); c51 = _mm512_fmadd_ps(a1, b1, c51);
    }
    float *t = tile;
    _mm512_store_ps(t + 0 * QB_SGEMM_TILE_LD, c00); _mm512_store_ps(t + 0 * QB_SGEMM_TILE_LD + 16, c01);
    _mm512_store_ps(t + 1 * QB_SGEMM_TILE_LD, c10); _mm512_store_ps(t + 1 * QB_SGEMM_TILE_LD + 16, c11);
    _mm512_store_ps(t + 2 * QB_SGEMM_TILE_LD, c20); _mm512_store_ps(t + 2 * QB_SGEMM_TILE_LD + 16, c21);
    _mm512_store_ps(t + 3 * QB_SGEMM_TILE_LD, c30); _mm512_store_ps(t + 3 * QB_SGEMM_TILE_LD + 16, c31);
    _mm512_store_ps(t + 4 * QB_SGEMM_TILE_LD, c40); _mm512_store_ps(t + 4 * QB_SGEMM_TILE_LD + 16, c41);
    _mm512_store_ps(t + 5 * QB_SGEMM_TILE_LD, c50); _mm512_store_ps(t + 5 * QB_SGEMM_TILE_LD + 16, c51);
}

QB_TARGET_AVX512F static void qb_sgemm_micro_avx512_w1(int K, const float *Ap, const float *Bp, float *tile) {
    __m512 c0 = _mm512_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
    for (int k = 0; k < K; k++) {
        const __m512 b = _mm512_load_ps(Bp + (size_t)k * 16);
        const float *a = Ap + (size_t)k * 6;
        c0 = _mm512_fmadd_ps(_mm512_set1_ps(a[0]), b, c0);
        c1 = _mm512_fmadd_ps(_mm512_set1_ps(a[1]), b, c1);
        c2 = _mm512_fmadd_ps(_mm512_set1_ps(a[2]), b, c2);
        c3 = _mm512_fmadd_ps(_mm512_set1_ps(a[3]), b, c3);
        c4 = _mm512_fmadd_ps(_mm512_set1_ps(a[4]), b, c4);
        c5 = _mm512_fmadd_ps(_mm512_set1_ps(a[5]), b, c5);
    }
    _mm512_store_ps(tile + 0 * QB_SGEMM_TILE_LD, c0);
    _mm512_store_ps(tile + 1 * QB_SGEMM_TILE_LD, c1);
    _mm512_store_ps(tile + 2 * QB_SGEMM_TILE_LD, c2);
    _mm512_store_ps(tile + 3 * QB_SGEMM_TILE_LD, c3);
    _mm512_store_ps(tile + 4 * QB_SGEMM_TILE_LD, c4);
    _mm512_store_ps(tile + 5 * QB_SGEMM_TILE_LD, c5);
}

void qb_sgemm_micro_avx512(int K, const float *Ap, const float *Bp, int w, float *tile) {
    if (w >= 2) qb_sgemm_micro_avx512_w2(K, Ap, Bp, tile);
    else qb_sgemm_micro_avx512_w1(K, Ap, Bp, tile);
}
#else
void qb_sgemm_micro_avx512(int K, const float *Ap, const float *Bp, int w, float *tile) {
    qb_sgemm_micro_ref(K, Ap, Bp, w, tile);
}
#endif
