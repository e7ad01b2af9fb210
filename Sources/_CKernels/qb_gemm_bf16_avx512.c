// AVX512-BF16 bfloat16 GEMM (Intel Cooper Lake / Sapphire Rapids and later, AMD Zen 4 and later), bit-exact with
// qb_gemm_bf16_packed_ref: vdpbf16ps adds the product of the upper bfloat16 halves of each 32-bit lane, then the
// lower, each with one rounding and DAZ/FTZ; the pack and the A block put k in the upper half and k + 1 in the
// lower, so each accumulator is the reference's FMA chain in k order.
//
// Blocking as the VNNI kernel: QB_BMC rows × QB_BKP k pairs of A converted to bfloat16 pairs in a stack buffer (one
// vpbroadcastd feeds a row), B micro-panels of 3 × 16 columns, register tile 8 rows × 48 columns (24 zmm
// accumulators in a tile local to the micro-kernel). K longer than one block continues the chain: the next block
// starts from the partial sums in `out` (masked to the valid columns), so a K split changes nothing.
//
// The same source compiles twice: natively and as the emulated kernel (qb_gemm_bf16_avx512_emu.c defines
// QB_BF16_EMULATE; qb_avx512_emu.h has portable versions of these intrinsics), so it is tested everywhere.
#include "qb_kernels_internal.h"
#if QB_X86
#if defined(QB_BF16_EMULATE)
#include "qb_avx512_emu.h"
#define QB_BF_TARGET
#define QB_BF_FN(name) name##_avx512bf16_emu
#define QB_AS_BH(x) qb_emu_as_bh(x)
#else
#include <immintrin.h>
#define QB_BF_TARGET __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512bf16")))
#define QB_BF_FN(name) name##_avx512bf16
#define QB_AS_BH(x) ((__m512bh)(x))
#endif
#include <string.h>

#define QB_BMR 8
#define QB_BNV 3
#define QB_BMC 64
#define QB_BKP 192 // k pairs per K block (384 k): A block 48 KB, B micro-panels 36 KB
#define QB_BINLINE static inline __attribute__((always_inline))

static inline int qb_bmin(int a, int b) { return a < b ? a : b; }
static inline int qb_bmax(int a, int b) { return a > b ? a : b; }

// Rows [m0, m0+mc) of A, k pairs [kp0, kp0+kpc) → (bf16(A[k]) << 16) | bf16(A[k+1]), zero past K.
static void qb_bf16_convert_a(const float *A, int lda, int K, int m0, int mc, int kp0, int kpc, uint32_t *abuf) {
    for (int r = 0; r < mc; r++) {
        const float *src = A + (size_t)(m0 + r) * lda;
        uint32_t *dst = abuf + (size_t)r * QB_BKP;
        for (int j = 0; j < kpc; j++) {
            const int k = 2 * (kp0 + j);
            const uint32_t hi = qb_bf16_round(src[k]);
            const uint32_t lo = k + 1 < K ? qb_bf16_round(src[k + 1]) : 0u;
            dst[j] = hi << 16 | lo;
        }
    }
}


// One tile: rows m..m+mr of out, panels p..p+nv, columns [n0, n1); first/last K block.
QB_BINLINE QB_BF_TARGET void qb_bf16_tile(const int mr, const int nv, int kpc, const uint32_t *a, const uint16_t *b,
                                          size_t panel_stride, float *out, int ldo, int m, int p, int n0, int n1,
                                          int first, int last, const float *bias) {
    __mmask16 k[QB_BNV];
    int full[QB_BNV];
    for (int v = 0; v < nv; v++) {
        const int nb = (p + v) * 16, lo = qb_bmax(n0, nb), hi = qb_bmin(n1, nb + 16);
        k[v] = lo < hi ? (__mmask16)qb_lane_mask16(nb, lo, hi) : 0;
        full[v] = lo == nb && hi == nb + 16;
    }
    __m512 t[QB_BMR][QB_BNV];
    for (int r = 0; r < mr; r++)
        for (int v = 0; v < nv; v++) {
            float *o = out + (size_t)(m + r) * ldo + (p + v) * 16;
            t[r][v] = first ? _mm512_setzero_ps() : full[v] ? _mm512_loadu_ps(o) : _mm512_maskz_loadu_ps(k[v], o);
        }
    const uint16_t *b0 = b, *b1 = b + panel_stride, *b2 = b + 2 * panel_stride;
    for (int kp = 0; kp < kpc; kp++) {
        __m512i bv[QB_BNV];
        bv[0] = _mm512_load_si512((const void *)(b0 + (size_t)kp * 32));
        if (nv > 1) bv[1] = _mm512_load_si512((const void *)(b1 + (size_t)kp * 32));
        if (nv > 2) bv[2] = _mm512_load_si512((const void *)(b2 + (size_t)kp * 32));
        for (int r = 0; r < mr; r++) {
            const __m512i av = _mm512_set1_epi32((int32_t)a[(size_t)r * QB_BKP + kp]);
            for (int v = 0; v < nv; v++) t[r][v] = _mm512_dpbf16_ps(t[r][v], QB_AS_BH(av), QB_AS_BH(bv[v]));
        }
    }
    for (int v = 0; v < nv; v++) {
        if (!k[v]) continue;
        const int nb = (p + v) * 16;
        __m512 bb = _mm512_setzero_ps();
        const int add_bias = last && bias;
        if (add_bias) bb = full[v] ? _mm512_loadu_ps(bias + nb) : _mm512_maskz_loadu_ps(k[v], bias + nb);
        for (int r = 0; r < mr; r++) {
            float *o = out + (size_t)(m + r) * ldo + nb;
            __m512 y = add_bias ? _mm512_add_ps(t[r][v], bb) : t[r][v];
            if (full[v]) _mm512_storeu_ps(o, y);
            else _mm512_mask_storeu_ps(o, k[v], y);
        }
    }
}

#define QB_BF16_CASE(MR_, NV_)                                                                                 \
    case (MR_) * 4 + (NV_):                                                                                    \
        qb_bf16_tile(MR_, NV_, kpc, abuf + (size_t)r * QB_BKP, bp, panel_stride, out, ldo, m0 + r, p, n0, n1,   \
                     first, last, bias);                                                                       \
        break;

QB_BF_TARGET void QB_BF_FN(qb_gemm_bf16_packed)(int M, const float *A, int lda, const qb_packed_bf16 *W, int n0,
                                                int n1, const float *bias, float *out, int ldo) {
    if (n0 < 0) n0 = 0;
    if (n1 > W->n) n1 = W->n;
    if (M <= 0 || n1 <= n0) return;
    const int KP = W->kpairs;
    if (KP == 0) { // K = 0: every sum is +0
        for (int m = 0; m < M; m++)
            for (int n = n0; n < n1; n++) out[(size_t)m * ldo + n] = bias ? 0.0f + bias[n] : 0.0f;
        return;
    }
    const int p0 = n0 / 16, p1 = (n1 + 15) / 16;
    const size_t panel_stride = (size_t)W->kpstride * 32; // uint16 elements from one panel to the next
    _Alignas(64) uint32_t abuf[QB_BMC * QB_BKP];
    for (int m0 = 0; m0 < M; m0 += QB_BMC) {
        const int mc = qb_bmin(QB_BMC, M - m0);
        for (int kp0 = 0; kp0 < KP; kp0 += QB_BKP) {
            const int kpc = qb_bmin(QB_BKP, KP - kp0), first = kp0 == 0, last = kp0 + kpc >= KP;
            qb_bf16_convert_a(A, lda, W->k, m0, mc, kp0, kpc, abuf);
            for (int p = p0; p < p1; p += QB_BNV) {
                const int nv = qb_bmin(QB_BNV, p1 - p);
                const uint16_t *bp = W->data + (size_t)p * panel_stride + (size_t)kp0 * 32;
                for (int r = 0; r < mc;) {
                    const int mr = qb_bmin(QB_BMR, mc - r);
                    const int tile = mr >= 8 ? 8 : mr >= 4 ? 4 : mr >= 2 ? 2 : 1;
                    switch (tile * 4 + nv) {
                        QB_BF16_CASE(8, 3) QB_BF16_CASE(8, 2) QB_BF16_CASE(8, 1)
                        QB_BF16_CASE(4, 3) QB_BF16_CASE(4, 2) QB_BF16_CASE(4, 1)
                        QB_BF16_CASE(2, 3) QB_BF16_CASE(2, 2) QB_BF16_CASE(2, 1)
                        QB_BF16_CASE(1, 3) QB_BF16_CASE(1, 2) QB_BF16_CASE(1, 1)
                    }
                    r += tile;
                }
            }
        }
    }
}
#endif
