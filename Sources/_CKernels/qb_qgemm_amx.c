// AMX-INT8 packed int8 GEMM (Intel Sapphire Rapids and later). TDPBUSD / TDPBSSD multiply a tile of A (16 rows ×
// 64 bytes = 16 k-quads) by a tile of B (16 k-quads × 16 columns × 4 bytes), summing the four products of each
// quad into the int32 tile C (16 × 16) with wrapping, unsaturated adds — exact for every input, as the reference.
// u8·s8 uses TDPBUSD; s8·s8 uses TDPBSSD directly (no +128 shift, no row-sum correction).
//
// Weights: the AVX2/VNNI pack (QB_LAYOUT_Q4, [P][KQ][16][4]) is already the AMX "B" layout: within one 16-column
// panel, k-quads kq0..kq0+15 are 16 contiguous 64-byte rows, one B tile loaded with stride 64. No new pack format.
//
// Blocking: 2 × 2 tiles of C (32 rows × 32 columns) in tmm0..3, A in tmm4..5, B in tmm6..7; every tile is
// configured at its full 16 × 64 bytes (palette 1), and the loop over K runs inside so C stays in the tiles.
// Ragged edges, all exact:
//   M ≥ 16: the last row tile starts at M − 16 (it recomputes rows of the previous tile and writes the same
//           values), so A is read in place; M < 16: A is copied once into a zero-padded 16-row buffer.
//   K:      a last K block with fewer than 64 bytes is copied into a zero-padded tile buffer (A), and a last block
//           with fewer than 16 k-quads is copied into a zero-padded B tile buffer (the pack is zero past K).
//   N:      a C tile not entirely inside [n0, n1) is stored to a buffer and its valid columns copied.
// The epilogue variants (qb_qgemm_*_packed_f32_amx) store each finished C tile to a 16 × 16 int32 buffer and
// requantize it from there into the float output (the recomputed rows of an overlapping last row tile are written
// again with the same values), so no int32 [M, N] buffer is written and read back.
// One tile configuration per call, released at the end (the tile state belongs to the calling thread).
//
// The same source compiles twice: natively here (per-function target attributes, no global -mamx flags), and as
// the "amx_emu" family (qb_qgemm_amx_emu.c defines QB_AMX_EMULATE): qb_amx_emu.h implements these intrinsics in
// portable C, so the kernel runs — and is tested bit-exact against `_ref` — on machines without AMX.
#include "qb_kernels_internal.h"
#include <stdlib.h>
#include <string.h>

#if defined(QB_AMX_EMULATE)
#include "qb_amx_emu.h"
#define QB_AMX_TARGET
#define QB_AMX_FN(name) name##_amx_emu
#define QB_AMX_REQUANT qb_requant_f32_ref
#define QB_AMX_BUILD 1
#elif QB_HAVE_AMX
#include <immintrin.h>
#define QB_AMX_TARGET QB_TARGET_AMX
#define QB_AMX_FN(name) name##_amx
#define QB_AMX_REQUANT qb_requant_f32_avx2
#define QB_AMX_BUILD 1
#else
#define QB_AMX_BUILD 0
#endif

#if QB_AMX_BUILD
#define QB_AMX_ROWS 16  // rows of every tile
#define QB_AMX_KB 64    // bytes of A per tile row = 16 k-quads
#define QB_AMX_TILE 1024

static inline int qb_amin(int a, int b) { return a < b ? a : b; }
static inline int qb_amax(int a, int b) { return a > b ? a : b; }

// Bytes [k0, k1) of rows src[0..rows) (stride lda) into dst (stride dstride, width bytes), zero-padded; a signed
// A is copied as is (TDPBSSD reads it signed).
static void qb_amx_stage_a(const uint8_t *src, long lda, int rows, int k0, int k1, uint8_t *dst, long dstride,
                           int width, int dst_rows) {
    for (int r = 0; r < dst_rows; r++) {
        uint8_t *d = dst + r * dstride;
        int n = r < rows ? k1 - k0 : 0;
        if (n > 0) memcpy(d, src + r * lda + k0, (size_t)n);
        memset(d + qb_amax(n, 0), 0, (size_t)(width - qb_amax(n, 0)));
    }
}

// Exact scalar product over the packed layout: only used if the small staging buffer cannot be allocated.
static void qb_amx_scalar(int M, const uint8_t *A, int lda, int a_signed, const qb_packed_s8 *B, int n0, int n1,
                          int32_t *C, int ldc) {
    const int8_t *data = (const int8_t *)B->data;
    const size_t panel_stride = (size_t)B->kgroups * 4 * QB_Q4_PANEL;
    for (int m = 0; m < M; m++)
        for (int n = n0; n < n1; n++) {
            uint32_t acc = 0;
            const int8_t *b = data + (size_t)(n / QB_Q4_PANEL) * panel_stride + (size_t)(n % QB_Q4_PANEL) * 4;
            for (int k = 0; k < B->k; k++) {
                const uint8_t x = A[(size_t)m * lda + k];
                const int32_t av = a_signed ? (int32_t)(int8_t)x : (int32_t)x;
                acc += (uint32_t)(av * (int32_t)b[(size_t)(k / 4) * 64 + k % 4]);
            }
            C[(size_t)m * ldc + n] = (int32_t)acc;
        }
}

#define QB_AMX_DP(c, a, b)                                                                                   \
    do {                                                                                                     \
        if (a_signed) _tile_dpbssd(c, a, b);                                                                 \
        else _tile_dpbusd(c, a, b);                                                                          \
    } while (0)

#define QB_AMX_LOAD_B(t, src)                                                                                \
    do {                                                                                                     \
        if (stream_b) _tile_stream_loadd(t, src, 64);                                                        \
        else _tile_loadd(t, src, 64);                                                                        \
    } while (0)

// C tile TILE → rows [MS, MS + mvalid) of C, columns [n0, n1) ∩ panel P; with `rq` (the fused epilogue) the tile
// goes through the 1 KB buffer `ctmp` and the requantization into `out` instead (QB_AMX_REQUANT: the AVX2 one
// natively, the reference under emulation — bit-identical, KernelsTests), so no int32 [M, N] buffer exists.
#define QB_AMX_STORE(TILE, MS, P)                                                                            \
    do {                                                                                                     \
        const int nb_ = (P) * QB_Q4_PANEL, lo_ = qb_amax(n0, nb_), hi_ = qb_amin(n1, nb_ + QB_Q4_PANEL);     \
        if (rq) {                                                                                            \
            _tile_stored(TILE, ctmp, 64);                                                                    \
            const int mi_ = rq->a_per_row ? (MS) : 0;                                                        \
            QB_AMX_REQUANT(mvalid, hi_ - lo_, &ctmp[0][lo_ - nb_], QB_Q4_PANEL, rq->a_scale + mi_,           \
                           rq->a_zp ? rq->a_zp + mi_ : NULL, rq->a_per_row, rq->w_scale + (rq->w_per_channel ? lo_ : 0), \
                           B->row_sums + lo_, rq->w_per_channel, rq->bias ? rq->bias + lo_ : NULL,           \
                           out + (size_t)(MS) * ldo + lo_, ldo);                                             \
            break;                                                                                           \
        }                                                                                                    \
        int32_t *c_ = C + (size_t)(MS) * ldc;                                                                \
        if (lo_ == nb_ && hi_ == nb_ + QB_Q4_PANEL && mvalid == QB_AMX_ROWS) {                               \
            _tile_stored(TILE, c_ + nb_, (long)ldc * 4);                                                     \
        } else {                                                                                             \
            _tile_stored(TILE, ctmp, 64);                                                                    \
            for (int r_ = 0; r_ < mvalid; r_++)                                                              \
                for (int n_ = lo_; n_ < hi_; n_++) c_[(size_t)r_ * ldc + n_] = ctmp[r_][n_ - nb_];           \
        }                                                                                                    \
    } while (0)

// Integer output (rq == NULL: C, ldc) or the fused float epilogue (rq: out, ldo). The caller handles K = 0 for the
// fused variant.
QB_AMX_TARGET static void QB_AMX_FN(qb_qgemm_packed)(int M, const uint8_t *A, int lda, int a_signed,
                                                     const qb_packed_s8 *B, int n0, int n1, int32_t *C, int ldc,
                                                     const qb_requant_args *rq, float *out, int ldo) {
    if (M <= 0 || n1 <= n0) return;
    const int K = B->k, KQ = B->kgroups;
    if (K == 0) {
        for (int m = 0; m < M; m++)
            for (int n = n0; n < n1; n++) C[(size_t)m * ldc + n] = 0;
        return;
    }
    const int KB = (K + QB_AMX_KB - 1) / QB_AMX_KB; // K blocks of one tile each
    const int p0 = n0 / QB_Q4_PANEL, p1 = (n1 + QB_Q4_PANEL - 1) / QB_Q4_PANEL;
    const size_t panel_stride = (size_t)KQ * 4 * QB_Q4_PANEL;
    const int8_t *data = (const int8_t *)B->data;

    // M < 16: A once into 16 zero-padded rows of KB·64 bytes.
    uint8_t *astage = NULL;
    const long astage_stride = (long)KB * QB_AMX_KB;
    if (M < QB_AMX_ROWS) {
        if (posix_memalign((void **)&astage, 64, (size_t)QB_AMX_ROWS * (size_t)astage_stride) != 0) {
            if (rq) abort(); // the fused variant has no scalar fallback (a 16-row buffer could not be had)
            qb_amx_scalar(M, A, lda, a_signed, B, n0, n1, C, ldc);
            return;
        }
        qb_amx_stage_a(A, lda, M, 0, K, astage, astage_stride, (int)astage_stride, QB_AMX_ROWS);
    }
    const int mtiles = astage ? 1 : (M + QB_AMX_ROWS - 1) / QB_AMX_ROWS;
    const int mvalid = astage ? M : QB_AMX_ROWS;
    const int a_tail = !astage && K % QB_AMX_KB != 0;          // last A block has < 64 bytes
    const int b_tail = KQ % QB_AMX_ROWS != 0;                  // last B block has < 16 k-quads
    const int stream_b = mtiles <= 2;                          // one row pair: every B tile is read once

    _Alignas(64) uint8_t atail[2][QB_AMX_ROWS][QB_AMX_KB];
    _Alignas(64) int8_t btail[2][QB_AMX_TILE];
    _Alignas(64) int32_t ctmp[QB_AMX_ROWS][QB_Q4_PANEL];
    _Alignas(64) qb_amx_tilecfg cfg;
    qb_amx_tilecfg_uniform(&cfg, QB_AMX_ROWS);
    _tile_loadconfig(&cfg);

    for (int t = 0; t < mtiles; t += 2) {
        const int two = t + 1 < mtiles;
        const int ms0 = astage ? 0 : qb_amin(QB_AMX_ROWS * t, M - QB_AMX_ROWS);
        const int ms1 = two ? qb_amin(QB_AMX_ROWS * (t + 1), M - QB_AMX_ROWS) : ms0;
        if (a_tail) {
            const int k0 = (KB - 1) * QB_AMX_KB;
            qb_amx_stage_a(A + (size_t)ms0 * lda, lda, QB_AMX_ROWS, k0, K, atail[0][0], QB_AMX_KB, QB_AMX_KB,
                           QB_AMX_ROWS);
            if (two)
                qb_amx_stage_a(A + (size_t)ms1 * lda, lda, QB_AMX_ROWS, k0, K, atail[1][0], QB_AMX_KB, QB_AMX_KB,
                               QB_AMX_ROWS);
        }
        for (int p = p0; p < p1; p += 2) {
            const int np2 = p + 1 < p1;
            const int8_t *bp0 = data + (size_t)p * panel_stride, *bp1 = bp0 + panel_stride;
            if (b_tail) {
                const int kq0 = (KB - 1) * QB_AMX_ROWS, bytes = (KQ - kq0) * 64;
                memcpy(btail[0], bp0 + (size_t)kq0 * 64, (size_t)bytes);
                memset(btail[0] + bytes, 0, (size_t)(QB_AMX_TILE - bytes));
                if (np2) {
                    memcpy(btail[1], bp1 + (size_t)kq0 * 64, (size_t)bytes);
                    memset(btail[1] + bytes, 0, (size_t)(QB_AMX_TILE - bytes));
                }
            }
            _tile_zero(0);
            if (np2) _tile_zero(1);
            if (two) {
                _tile_zero(2);
                if (np2) _tile_zero(3);
            }
            for (int kb = 0; kb < KB; kb++) {
                const uint8_t *a0, *a1;
                long as;
                if (astage) {
                    a0 = a1 = astage + (size_t)kb * QB_AMX_KB;
                    as = astage_stride;
                } else if (a_tail && kb == KB - 1) {
                    a0 = atail[0][0];
                    a1 = atail[1][0];
                    as = QB_AMX_KB;
                } else {
                    a0 = A + (size_t)ms0 * lda + (size_t)kb * QB_AMX_KB;
                    a1 = A + (size_t)ms1 * lda + (size_t)kb * QB_AMX_KB;
                    as = lda;
                }
                const int8_t *b0, *b1;
                if (b_tail && kb == KB - 1) {
                    b0 = btail[0];
                    b1 = btail[1];
                } else {
                    b0 = bp0 + (size_t)kb * QB_AMX_TILE;
                    b1 = bp1 + (size_t)kb * QB_AMX_TILE;
                }
                _tile_loadd(4, a0, as);
                QB_AMX_LOAD_B(6, b0);
                if (two) _tile_loadd(5, a1, as);
                if (np2) QB_AMX_LOAD_B(7, b1);
                QB_AMX_DP(0, 4, 6);
                if (np2) QB_AMX_DP(1, 4, 7);
                if (two) {
                    QB_AMX_DP(2, 5, 6);
                    if (np2) QB_AMX_DP(3, 5, 7);
                }
            }
            QB_AMX_STORE(0, ms0, p);
            if (np2) QB_AMX_STORE(1, ms0, p + 1);
            if (two) {
                QB_AMX_STORE(2, ms1, p);
                if (np2) QB_AMX_STORE(3, ms1, p + 1);
            }
        }
    }
    _tile_release();
    free(astage);
}

void QB_AMX_FN(qb_qgemm_u8s8_packed)(int M, const uint8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1,
                                     int32_t *C, int ldc) {
    QB_AMX_FN(qb_qgemm_packed)(M, A, lda, 0, B, n0, n1, C, ldc, NULL, NULL, 0);
}

void QB_AMX_FN(qb_qgemm_s8s8_packed)(int M, const int8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1,
                                     int32_t *C, int ldc) {
    QB_AMX_FN(qb_qgemm_packed)(M, (const uint8_t *)A, lda, 1, B, n0, n1, C, ldc, NULL, NULL, 0);
}

// Fused epilogue (empty ranges and K = 0: qb_fused_trivial).
static void QB_AMX_FN(qb_qgemm_packed_f32)(int M, const uint8_t *A, int lda, int a_signed, const qb_packed_s8 *B,
                                           int n0, int n1, const qb_requant_args *rq, float *out, int ldo) {
    if (qb_fused_trivial(M, B, &n0, &n1, rq, out, ldo)) return;
    QB_AMX_FN(qb_qgemm_packed)(M, A, lda, a_signed, B, n0, n1, NULL, 0, rq, out, ldo);
}

void QB_AMX_FN(qb_qgemm_u8s8_packed_f32)(int M, const uint8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1,
                                         const qb_requant_args *rq, float *out, int ldo) {
    QB_AMX_FN(qb_qgemm_packed_f32)(M, A, lda, 0, B, n0, n1, rq, out, ldo);
}

void QB_AMX_FN(qb_qgemm_s8s8_packed_f32)(int M, const int8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1,
                                         const qb_requant_args *rq, float *out, int ldo) {
    QB_AMX_FN(qb_qgemm_packed_f32)(M, (const uint8_t *)A, lda, 1, B, n0, n1, rq, out, ldo);
}
#endif
