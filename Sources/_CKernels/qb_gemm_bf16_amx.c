// AMX-BF16 bfloat16 GEMM (Intel Sapphire Rapids and later): TDPBF16PS multiplies a tile of A (16 rows × 16 bf16
// pairs) by a tile of B (16 pairs × 16 columns × 2 bf16) into the FP32 tile C (16 × 16).
//
// Numerics: qb_gemm_bf16_packed_amx_ref (qb_bf16.h), bit for bit — NOT the `bf16` scheme's reference
// qb_gemm_bf16_packed_ref. TDPBF16PS (Intel SDM; qb_amx_emu.h quotes it) sums the even and the odd k of its 16
// pairs in two separate FMA chains from +0 and adds their sum to C once, so no pair order makes it the reference's
// single k-order FMA chain. Per output and per block b of 16 k pairs (k = 32b … 32b + 31, zero past K):
//     e = chain over even k of ftz(fma(a_k, w_k, ·)) from +0,  o = the same over odd k,
//     acc ← ftz(acc + ftz(e + o)),  acc₀ = +0;   out = acc (+ bias[n], one FP32 add).
// K longer than one block continues from the C tiles (they stay in tmm0..3 over the whole K loop), so the result
// does not depend on anything but the 32-k block boundaries.
//
// Layout: the AMX pack (qb_pack_bf16_kernel with QB_BF16_AMX, made once per layer) stores, per 16-column panel,
// k pairs as 16-row B tiles — row kp = 16 columns × (bf16 W[n][2kp] low, W[n][2kp+1] high), 64 bytes, rows zero
// past K up to a multiple of 16 pairs — so every B tile is one tileloadd with stride 64. Each call converts up to
// 32 rows of A at a time into bf16 pairs in the same order (bf16(A[m][2kp]) low), the whole padded K, zero past K
// and past M, into a buffer the A tiles are loaded from.
//
// Blocking (as the AMX-INT8 kernel): 2 × 2 C tiles (32 rows × 32 columns) in tmm0..3, A in tmm4..5, B in tmm6..7,
// every tile configured at 16 × 64 bytes once per call. A C tile is stored to a 16 × 16 buffer and its valid rows and
// columns ([n0, n1), rows < M) copied out with the bias added; ragged M, N and K need nothing else.
//
// The same source compiles twice: natively (per-function target attributes "amx-tile,amx-bf16", no global -mamx
// flags) and as qb_gemm_bf16_amx_emu.c against qb_amx_emu.h (QB_AMX_EMULATE), so it is tested everywhere.
#pragma STDC FP_CONTRACT OFF
#include "qb_kernels_internal.h"
#include <stdlib.h>
#include <string.h>

#if defined(QB_AMX_EMULATE)
#include "qb_amx_emu.h"
#define QB_ABF_TARGET
#define QB_ABF_FN(name) name##_amx_emu
#define QB_ABF_BUILD 1
#elif QB_HAVE_AMX
#include <immintrin.h>
#define QB_ABF_TARGET QB_TARGET_AMX_BF16
#define QB_ABF_FN(name) name##_amx
#define QB_ABF_BUILD 1
#else
#define QB_ABF_BUILD 0
#endif

#if QB_ABF_BUILD
#define QB_ABF_ROWS 16 // rows of every tile
#define QB_ABF_KP 16   // k pairs per tile row (64 bytes)

static inline int qb_abf_min(int a, int b) { return a < b ? a : b; }
static inline int qb_abf_max(int a, int b) { return a > b ? a : b; }

// Rows [m0, m0 + rows) of A → abuf [32][KS] pairs (bf16(A[2kp]) | bf16(A[2kp + 1]) << 16), zero past K and in
// rows ≥ rows.
static void QB_ABF_FN(qb_abf_convert_a)(const float *A, int lda, int K, int m0, int rows, int KS, uint32_t *abuf) {
    for (int r = 0; r < 2 * QB_ABF_ROWS; r++) {
        uint32_t *dst = abuf + (size_t)r * KS;
        if (r >= rows) {
            memset(dst, 0, (size_t)KS * 4);
            continue;
        }
        const float *src = A + (size_t)(m0 + r) * lda;
        for (int kp = 0; kp < KS; kp++) {
            const int k = 2 * kp;
            const uint32_t lo = k < K ? qb_bf16_round(src[k]) : 0u;
            const uint32_t hi = k + 1 < K ? qb_bf16_round(src[k + 1]) : 0u;
            dst[kp] = lo | hi << 16;
        }
    }
}

// C tile TILE (rows ms.., panel p) → out rows [ms, ms + mvalid), columns [n0, n1) ∩ panel, + bias.
#define QB_ABF_STORE(TILE, MS, MVALID, P)                                                                    \
    do {                                                                                                     \
        const int nb_ = (P) * 16, lo_ = qb_abf_max(n0, nb_), hi_ = qb_abf_min(n1, nb_ + 16);                \
        _tile_stored(TILE, ctmp, 64);                                                                        \
        for (int r_ = 0; r_ < (MVALID); r_++) {                                                              \
            float *o_ = out + (size_t)((MS) + r_) * ldo;                                                     \
            if (bias)                                                                                        \
                for (int n_ = lo_; n_ < hi_; n_++) o_[n_] = ctmp[r_][n_ - nb_] + bias[n_];                   \
            else                                                                                             \
                for (int n_ = lo_; n_ < hi_; n_++) o_[n_] = ctmp[r_][n_ - nb_];                              \
        }                                                                                                    \
    } while (0)

QB_ABF_TARGET void QB_ABF_FN(qb_gemm_bf16_packed)(int M, const float *A, int lda, const qb_packed_bf16 *W, int n0,
                                                  int n1, const float *bias, float *out, int ldo) {
    if (n0 < 0) n0 = 0;
    if (n1 > W->n) n1 = W->n;
    if (M <= 0 || n1 <= n0) return;
    const int KS = W->kpstride; // k pairs per panel, a multiple of 16
    if (KS == 0) { // K = 0: every sum is +0
        for (int m = 0; m < M; m++)
            for (int n = n0; n < n1; n++) out[(size_t)m * ldo + n] = bias ? 0.0f + bias[n] : 0.0f;
        return;
    }
    uint32_t *abuf = NULL;
    if (posix_memalign((void **)&abuf, 64, (size_t)2 * QB_ABF_ROWS * (size_t)KS * 4) != 0) {
        qb_gemm_bf16_packed_amx_ref(M, A, lda, W, n0, n1, bias, out, ldo); // the same numerics, scalar
        return;
    }
    const int KB = KS / QB_ABF_KP;
    const int p0 = n0 / 16, p1 = (n1 + 15) / 16;
    const size_t panel_stride = (size_t)KS * 32; // uint16 elements from one panel to the next
    const long astride = (long)KS * 4;           // bytes from one A row to the next in abuf
    _Alignas(64) float ctmp[QB_ABF_ROWS][16];
    _Alignas(64) qb_amx_tilecfg cfg;
    qb_amx_tilecfg_uniform(&cfg, QB_ABF_ROWS);
    _tile_loadconfig(&cfg);

    for (int m0 = 0; m0 < M; m0 += 2 * QB_ABF_ROWS) {
        const int rows = qb_abf_min(2 * QB_ABF_ROWS, M - m0);
        const int two = rows > QB_ABF_ROWS;
        const int mv0 = qb_abf_min(QB_ABF_ROWS, rows), mv1 = rows - mv0;
        QB_ABF_FN(qb_abf_convert_a)(A, lda, W->k, m0, rows, KS, abuf);
        const uint32_t *a0 = abuf, *a1 = abuf + (size_t)QB_ABF_ROWS * KS;
        for (int p = p0; p < p1; p += 2) {
            const int np2 = p + 1 < p1;
            const uint16_t *bp0 = W->data + (size_t)p * panel_stride, *bp1 = bp0 + panel_stride;
            _tile_zero(0);
            if (np2) _tile_zero(1);
            if (two) {
                _tile_zero(2);
                if (np2) _tile_zero(3);
            }
            for (int kb = 0; kb < KB; kb++) {
                const size_t ka = (size_t)kb * QB_ABF_KP, kbo = (size_t)kb * QB_ABF_KP * 32;
                _tile_loadd(4, a0 + ka, astride);
                _tile_loadd(6, bp0 + kbo, 64);
                if (two) _tile_loadd(5, a1 + ka, astride);
                if (np2) _tile_loadd(7, bp1 + kbo, 64);
                _tile_dpbf16ps(0, 4, 6);
                if (np2) _tile_dpbf16ps(1, 4, 7);
                if (two) {
                    _tile_dpbf16ps(2, 5, 6);
                    if (np2) _tile_dpbf16ps(3, 5, 7);
                }
            }
            QB_ABF_STORE(0, m0, mv0, p);
            if (np2) QB_ABF_STORE(1, m0, mv0, p + 1);
            if (two) {
                QB_ABF_STORE(2, m0 + QB_ABF_ROWS, mv1, p);
                if (np2) QB_ABF_STORE(3, m0 + QB_ABF_ROWS, mv1, p + 1);
            }
        }
    }
    _tile_release();
    free(abuf);
}
#endif
