// Private to _CKernels: per-ISA kernel entry points, the packed-weight struct, and the dispatch table type.
// Not under include/, so Swift never sees these names; everything public goes through qb_dispatch.c.
#ifndef QB_KERNELS_INTERNAL_H
#define QB_KERNELS_INTERNAL_H
#include "qb_qgemm.h"
#include "qb_bf16.h"
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define QB_X86 1
#define QB_TARGET_AVX2 __attribute__((target("avx2,fma,f16c")))
#define QB_TARGET_AVX512VNNI __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))
#define QB_TARGET_AVX512F __attribute__((target("avx2,fma,avx512f")))
// AMX intrinsics need clang ≥ 12 or GCC ≥ 11; per-function target, so no global -mamx flags.
#if (defined(__clang__) && __clang_major__ >= 12) || (!defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 11)
#define QB_HAVE_AMX 1
#define QB_TARGET_AMX __attribute__((target("amx-tile,amx-int8")))
#define QB_TARGET_AMX_BF16 __attribute__((target("amx-tile,amx-bf16")))
#endif
#else
#define QB_X86 0
#endif
#ifndef QB_HAVE_AMX
#define QB_HAVE_AMX 0
#endif

// ---- Packed weights ------------------------------------------------------------------------------------------
// Two layouts: the reference keeps B as is; the AVX2, AVX512-VNNI and AMX kernels share one int8 layout (so a pack
// made on one machine type runs on the others; for AMX it is the tile "B" layout as it stands). A pack also
// remembers the family that made it, and the packed
// GEMM always runs that family's kernel (forcing another family afterwards cannot mis-read the data).
enum qb_layout {
    QB_LAYOUT_REF = 0, // plain copy of B: [N][K] int8, row stride K
    QB_LAYOUT_Q4 = 1,  // [ceil(N/16)][ceil(K/4)][16][4] int8: see qb_pack.c
};
// amx_emu: the AMX kernel source on emulated intrinsics (qb_amx_emu.h); avx512vnni_emu: every AVX-512 kernel
// source of the avx512vnni family on emulated intrinsics (qb_avx512_emu.h), its AVX2 kernels native. Never chosen
// automatically.
enum qb_family_id {
    QB_FAMILY_REF = 0, QB_FAMILY_AVX2 = 1, QB_FAMILY_AVX512VNNI = 2, QB_FAMILY_AMX = 3, QB_FAMILY_AMX_EMU = 4,
    QB_FAMILY_AVX512VNNI_EMU = 5
};

struct qb_packed_s8 {
    int n, k;
    int layout;        // enum qb_layout
    int family;        // enum qb_family_id: whose kernel runs on this pack
    int kgroups;       // QB_LAYOUT_Q4: ceil(K/4) k-quads; ref: K
    int panels;        // QB_LAYOUT_Q4: ceil(N/16); ref: 0
    size_t bytes;      // size of `data`
    int32_t *row_sums; // [N]  Σ_k B[n, k]
    void *data;        // layout-specific, 64-byte aligned
};

#define QB_Q4_PANEL 16 // output columns (rows of B) per panel: one zmm / two ymm of int32

// LDTILECFG's 64-byte operand (palette 1: 8 tiles of up to 16 rows × 64 bytes), for the AMX kernels.
typedef struct qb_amx_tilecfg {
    uint8_t palette_id, start_row;
    uint8_t reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} qb_amx_tilecfg;

/// Palette 1 with all 8 tiles `rows` rows × 64 bytes (what both AMX GEMM kernels load once per call).
static inline void qb_amx_tilecfg_uniform(qb_amx_tilecfg *cfg, int rows) {
    memset(cfg, 0, sizeof(*cfg));
    cfg->palette_id = 1;
    for (int i = 0; i < 8; i++) {
        cfg->rows[i] = (uint8_t)rows;
        cfg->colsb[i] = 64;
    }
}

qb_packed_s8 *qb_pack_s8_family(const int8_t *B, int N, int K, int ldb, int family);

/// Partial int32 sums for a fused epilogue whose K is split into blocks: `rows` rows × the whole 16-column panels
/// covering [n0, n1), 64-byte aligned; *ldp is the row stride, *pbase the first column. The calling thread's own
/// buffer (reused by its next call, freed when the thread exits; never free it). Aborts when it cannot be
/// allocated (a few hundred KB at most).
int32_t *qb_partial_sums_scratch(int rows, int n0, int n1, int *ldp, int *pbase);

/// Lanes [lo − nb, hi − nb) of a 16-column vector starting at column nb (nb ≤ lo < hi ≤ nb + 16), as a bit mask.
static inline uint16_t qb_lane_mask16(int nb, int lo, int hi) {
    const unsigned below_hi = hi - nb >= 16 ? 0xFFFFu : (1u << (hi - nb)) - 1u;
    const unsigned below_lo = (1u << (lo - nb)) - 1u;
    return (uint16_t)(below_hi & ~below_lo);
}

// ---- Kernel entry points (one stem, one suffix per ISA) -----------------------------------------------------
typedef void (*qb_gemm_u8s8_packed_fn)(int M, const uint8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1, int32_t *C, int ldc);
typedef void (*qb_gemm_s8s8_packed_fn)(int M, const int8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1, int32_t *C, int ldc);

void qb_qgemm_u8s8_packed_ref(int M, const uint8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1, int32_t *C, int ldc);
void qb_qgemm_s8s8_packed_ref(int M, const int8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1, int32_t *C, int ldc);
void qb_qgemm_u8s8_packed_avx2(int M, const uint8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1, int32_t *C, int ldc);
void qb_qgemm_s8s8_packed_avx2(int M, const int8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1, int32_t *C, int ldc);
void qb_qgemm_u8s8_packed_avx512vnni(int M, const uint8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1, int32_t *C, int ldc);
void qb_qgemm_s8s8_packed_avx512vnni(int M, const int8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1, int32_t *C, int ldc);
void qb_qgemm_u8s8_packed_avx512vnni_emu(int M, const uint8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1, int32_t *C, int ldc);
void qb_qgemm_s8s8_packed_avx512vnni_emu(int M, const int8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1, int32_t *C, int ldc);
void qb_qgemm_u8s8_packed_amx(int M, const uint8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1, int32_t *C, int ldc);
void qb_qgemm_s8s8_packed_amx(int M, const int8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1, int32_t *C, int ldc);
void qb_qgemm_u8s8_packed_amx_emu(int M, const uint8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1, int32_t *C, int ldc);
void qb_qgemm_s8s8_packed_amx_emu(int M, const int8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1, int32_t *C, int ldc);

typedef void (*qb_gemm_u8s8_packed_f32_fn)(int M, const uint8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1,
                                           const qb_requant_args *rq, float *out, int ldo);
typedef void (*qb_gemm_s8s8_packed_f32_fn)(int M, const int8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1,
                                           const qb_requant_args *rq, float *out, int ldo);
void qb_qgemm_u8s8_packed_f32_avx2(int M, const uint8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1,
                                   const qb_requant_args *rq, float *out, int ldo);
void qb_qgemm_s8s8_packed_f32_avx2(int M, const int8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1,
                                   const qb_requant_args *rq, float *out, int ldo);
void qb_qgemm_u8s8_packed_f32_avx512vnni(int M, const uint8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1,
                                         const qb_requant_args *rq, float *out, int ldo);
void qb_qgemm_s8s8_packed_f32_avx512vnni(int M, const int8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1,
                                         const qb_requant_args *rq, float *out, int ldo);
void qb_qgemm_u8s8_packed_f32_amx(int M, const uint8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1,
                                  const qb_requant_args *rq, float *out, int ldo);
void qb_qgemm_s8s8_packed_f32_amx(int M, const int8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1,
                                  const qb_requant_args *rq, float *out, int ldo);
void qb_qgemm_u8s8_packed_f32_amx_emu(int M, const uint8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1,
                                      const qb_requant_args *rq, float *out, int ldo);
void qb_qgemm_s8s8_packed_f32_amx_emu(int M, const int8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1,
                                      const qb_requant_args *rq, float *out, int ldo);
void qb_qgemm_u8s8_packed_f32_avx512vnni_emu(int M, const uint8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1,
                                             const qb_requant_args *rq, float *out, int ldo);
void qb_qgemm_s8s8_packed_f32_avx512vnni_emu(int M, const int8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1,
                                             const qb_requant_args *rq, float *out, int ldo);
/// The start every fused kernel shares: clips [n0, n1) to [0, N) and returns 1 when nothing is left for the kernel
/// — an empty range, or K = 0 (every sum 0: `out` is the reference requantization of zeros) — else 0.
int qb_fused_trivial(int M, const qb_packed_s8 *B, int *n0, int *n1, const qb_requant_args *rq, float *out, int ldo);
/// Any family: its packed GEMM into a temporary int32 buffer, then `requant` (the composition `_ref` defines).
void qb_qgemm_packed_f32_composed(int M, const uint8_t *A, int lda, int a_signed, const qb_packed_s8 *B, int n0,
                                  int n1, const qb_requant_args *rq, float *out, int ldo,
                                  qb_gemm_u8s8_packed_fn u8s8, qb_gemm_s8s8_packed_fn s8s8,
                                  void (*requant)(int, int, const int32_t *, int, const float *, const int32_t *, int,
                                                  const float *, const int32_t *, int, const float *, float *, int));

void qb_quantize_u8_avx2(const float *x, int n, float inv_scale, int32_t zero_point, int32_t qmin, int32_t qmax, uint8_t *q);
void qb_quantize_s8_avx2(const float *x, int n, float inv_scale, int32_t zero_point, int32_t qmin, int32_t qmax, int8_t *q);
void qb_minmax_f32_avx2(const float *x, size_t n, float *min_out, float *max_out);
void qb_quantize_u8_avx512(const float *x, int n, float inv_scale, int32_t zero_point, int32_t qmin, int32_t qmax, uint8_t *q);
void qb_quantize_s8_avx512(const float *x, int n, float inv_scale, int32_t zero_point, int32_t qmin, int32_t qmax, int8_t *q);
void qb_minmax_f32_avx512(const float *x, size_t n, float *min_out, float *max_out);
void qb_quantize_u8_avx512_emu(const float *x, int n, float inv_scale, int32_t zero_point, int32_t qmin, int32_t qmax, uint8_t *q);
void qb_quantize_s8_avx512_emu(const float *x, int n, float inv_scale, int32_t zero_point, int32_t qmin, int32_t qmax, int8_t *q);
void qb_minmax_f32_avx512_emu(const float *x, size_t n, float *min_out, float *max_out);
/// The end every min/max version shares: the `lanes` vector partials `lmn`/`lmx` folded in lane order, then the
/// scalar tail x[from..<n); all-NaN input (mn > mx) gives NaN, NaN; −0 results become +0. The reference is
/// lanes = 0, from = 0.
void qb_minmax_finish(const float *lmn, const float *lmx, int lanes, const float *x, size_t from, size_t n,
                      float *min_out, float *max_out);
void qb_requant_f32_avx2(int M, int N, const int32_t *C, int ldc,
                         const float *a_scale, const int32_t *a_zp, int a_per_row,
                         const float *w_scale, const int32_t *w_row_sum, int w_per_channel,
                         const float *bias, float *out, int ldo);
void qb_f32_to_f16_avx2(const float *x, size_t n, uint16_t *h);
void qb_f16_to_f32_avx2(const uint16_t *h, size_t n, float *x);

// ---- bfloat16 ---------------------------------------------------------------------------------------------------
// One packed layout shape for every bf16 kernel: [P][KS][16][2] uint16, P = ceil(N/16) panels of 16 columns, KS
// k-pair rows per panel (`kpstride`: KP = ceil(K/2) for the reference and AVX512-BF16 packs, KP rounded up to a
// multiple of 16 — whole 16-row B tiles — for the AMX packs), zero past N and K. Which half of each 32-bit pair
// holds the even k is the kernel's (`even_half`):
//   ref, avx512bf16(_emu): [p][kp][j][1] = bf16(W[16p + j][2kp]), [0] = bf16(W[16p + j][2kp + 1]) (k in the upper
//                          half: vdpbf16ps adds the upper product first);
//   amx(_emu):             [p][kp][j][0] = bf16(W[16p + j][2kp]), [1] = the k + 1 (the TDPBF16PS "B" tile layout
//                          as it stands: panel p, k pairs 16b..16b+15 are one 16 × 64-byte tile, stride 64).
enum qb_bf16_kernel_id { QB_BF16_REF = 0, QB_BF16_AVX512 = 1, QB_BF16_AVX512_EMU = 2, QB_BF16_AMX = 3, QB_BF16_AMX_EMU = 4 };
struct qb_packed_bf16 {
    int n, k, kpairs, panels;
    int kpstride;      // k-pair rows per panel in `data` (≥ kpairs)
    int even_half;     // index (0 or 1) of the even k within each pair of uint16
    int kernel;        // enum qb_bf16_kernel_id: which kernel runs this pack
    size_t bytes;      // size of `data`
    uint16_t *data;    // 64-byte aligned
};
qb_packed_bf16 *qb_pack_bf16_kernel(const float *W, int N, int K, int ldw, int kernel);
/// "ref", "avx512bf16", "avx512bf16_emu", "amx", "amx_emu" for an enum qb_bf16_kernel_id ("ref" for any other).
const char *qb_bf16_kernel_id_name(int kernel);
uint16_t qb_bf16_round(float x);
typedef void (*qb_gemm_bf16_fn)(int M, const float *A, int lda, const qb_packed_bf16 *W, int n0, int n1,
                                const float *bias, float *out, int ldo);
void qb_gemm_bf16_packed_avx512bf16(int M, const float *A, int lda, const qb_packed_bf16 *W, int n0, int n1,
                                    const float *bias, float *out, int ldo);
void qb_gemm_bf16_packed_avx512bf16_emu(int M, const float *A, int lda, const qb_packed_bf16 *W, int n0, int n1,
                                        const float *bias, float *out, int ldo);
void qb_gemm_bf16_packed_amx(int M, const float *A, int lda, const qb_packed_bf16 *W, int n0, int n1,
                             const float *bias, float *out, int ldo);
void qb_gemm_bf16_packed_amx_emu(int M, const float *A, int lda, const qb_packed_bf16 *W, int n0, int n1,
                                 const float *bias, float *out, int ldo);

// ---- Fused FP32 attention (qb_attention.h) -------------------------------------------------------------------
#include "qb_attention.h"
#define QB_ATTN_LP(L) (((L) + 15) & ~15) // row stride of Kᵀ and of the score tile: keys rounded up to 16
#define QB_ATTN_MR_MAX 8                 // query rows of the widest version's register tile
typedef void (*qb_attention_fn)(const qb_attention_args *a, qb_softmax_row_fn softmax, float *scratch);
void qb_attention_f32_avx2(const qb_attention_args *a, qb_softmax_row_fn softmax, float *scratch);
void qb_attention_f32_avx512(const qb_attention_args *a, qb_softmax_row_fn softmax, float *scratch);
void qb_attention_f32_avx512_emu(const qb_attention_args *a, qb_softmax_row_fn softmax, float *scratch);
/// Kᵀ [d][QB_ATTN_LP(L)] (keys along rows, zero past L) at the first 64-byte boundary of scratch; returns it. The
/// score tile of the vector versions follows it: [QB_ATTN_MR_MAX][QB_ATTN_LP(L)].
float *qb_attention_transpose_k(const qb_attention_args *a, float *scratch);
/// The same Kᵀ (the same bytes), 8 × 8 blocks transposed in AVX2 registers; the vector versions' transposition.
float *qb_attention_transpose_k_avx2(const qb_attention_args *a, float *scratch);
/// The parts both share: the 64-byte aligned start of scratch; Kᵀ columns j0..<L and the zero columns past L.
float *qb_attention_kt(float *scratch);
void qb_attention_transpose_k_tail(const qb_attention_args *a, float *kt, int j0);

// ---- Deterministic FP32 GEMM (qb_sgemm.h) ----------------------------------------------------------------------
// B pack: `panels` = ceil(N/16) panels of [K][16] floats (element (p, k, j) = op(B)[k, 16p + j], 0 past N),
// panel p at data + p·K·16.
#include "qb_sgemm.h"
struct qb_packed_f32 {
    int k, n, panels;
    size_t bytes;
    float *data;
};
#define QB_SGEMM_MR 6  // rows of a micro-tile
#define QB_SGEMM_NR 16 // columns of a panel
#define QB_SGEMM_TILE_LD 32
#ifndef QB_SGEMM_A_BYTES
#define QB_SGEMM_A_BYTES (4u << 20) // A rows per row block: this many bytes of [rows, K] (an L3 share)
#endif
/// Micro-kernel: for i < 6 and j < 16·w (w = 1 or 2 panels; the AVX2 kernel takes w = 1 only),
/// tile[i·32 + j] = the FMA chain over k = 0..<K, in k order from 0, of A[i·ars + k·acs] · B[(j/16)·bps + k·brs + j%16].
typedef void (*qb_sgemm_micro_fn)(int K, const float *A, ptrdiff_t ars, ptrdiff_t acs, const float *B,
                                  ptrdiff_t brs, ptrdiff_t bps, int w, float *tile);
void qb_sgemm_micro_ref(int K, const float *A, ptrdiff_t ars, ptrdiff_t acs, const float *B, ptrdiff_t brs,
                        ptrdiff_t bps, int w, float *tile);
void qb_sgemm_micro_avx2(int K, const float *A, ptrdiff_t ars, ptrdiff_t acs, const float *B, ptrdiff_t brs,
                         ptrdiff_t bps, int w, float *tile);
void qb_sgemm_micro_avx512(int K, const float *A, ptrdiff_t ars, ptrdiff_t acs, const float *B, ptrdiff_t brs,
                           ptrdiff_t bps, int w, float *tile);
void qb_sgemm_micro_avx512_emu(int K, const float *A, ptrdiff_t ars, ptrdiff_t acs, const float *B, ptrdiff_t brs,
                               ptrdiff_t bps, int w, float *tile);
/// op(B) [K, N] as the driver reads it: `full` 16-column panels, element (k, 16p + j) at data[p·ps + k·rs + j],
/// then, if N is not a multiple of 16 and the panels are not a pack, one zero-padded [K][16] panel `tail`.
typedef struct {
    const float *data;
    ptrdiff_t rs, ps;
    int k, n, full;
    const float *tail;
} qb_sgemm_bview;
/// The view of a pack (every panel in `data`, no tail).
qb_sgemm_bview qb_sgemm_view_packed(const qb_packed_f32 *p);
/// The blocked driver every family shares: C = alpha · op(A) · B + beta · C (qb_sgemm.h) over 6 × 16·pw tiles
/// (pw = the widest w the micro-kernel takes) with A read in place (row stride lda; a ragged last row panel
/// copied), then the epilogue of qb_sgemm.h. Aborts if scratch cannot be allocated.
void qb_sgemm_drive(qb_sgemm_micro_fn micro, int pw, int trans_a, int M, float alpha, const float *A, int lda,
                    const qb_sgemm_bview *B, float beta, float *C, int ldc);
/// qb_sgemm with `micro`: B packed if transposed, else read in place (only a ragged last panel copied).
/// Returns 0, or -1 if scratch could not be allocated (C untouched).
int qb_sgemm_micro_run(qb_sgemm_micro_fn micro, int pw, int trans_a, int trans_b, int M, int N, int K, float alpha,
                       const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc);

#endif
