// Integer GEMM kernels for quantized linear layers: contract shared by the C kernels and the Quantization module.
//
// Layouts (all row-major):
//   A: activations, [M, K], uint8 (u8s8) or int8 (s8s8), leading dimension lda
//   B: weights,     [N, K], int8 — PyTorch nn.Linear layout (row n = output channel n), leading dimension ldb
//   C: int32 accumulators, [M, N], leading dimension ldc:   C[m, n] = Σ_k A[m, k] · B[n, k]
//
// Every kernel has a scalar reference (`_ref`) that defines correct; fast paths (`_avx2`, `_avx512vnni`, `_amx`) must be
// bit-exact with it for every input (no int16 saturation allowed, whatever the value range). Exactly one place
// (qb_dispatch.c) chooses the implementation from qb_cpu_detect(); the public un-suffixed names go through it.
#ifndef QB_QGEMM_H
#define QB_QGEMM_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// ---- Unpacked GEMMs (reference + per-ISA) -----------------------------------------------------------------
void qb_qgemm_u8s8_ref(int M, int N, int K, const uint8_t *A, int lda, const int8_t *B, int ldb, int32_t *C, int ldc);
void qb_qgemm_s8s8_ref(int M, int N, int K, const int8_t *A, int lda, const int8_t *B, int ldb, int32_t *C, int ldc);

// ---- Packed weights: pack once at quantization time, reuse for every call ------------------------------------
/// Opaque packed copy of B [N, K] in the layout the selected fast kernel wants, plus Σ_k B[n, k] per row.
typedef struct qb_packed_s8 qb_packed_s8;
/// Packs B [N, K] (int8, ldb). Returns NULL on allocation failure. Free with qb_packed_free.
qb_packed_s8 *qb_pack_s8(const int8_t *B, int N, int K, int ldb);
void qb_packed_free(qb_packed_s8 *p);
int qb_packed_n(const qb_packed_s8 *p);
int qb_packed_k(const qb_packed_s8 *p);
/// Σ_k B[n, k] for n in 0..<N (length N), used for the activation zero-point correction.
const int32_t *qb_packed_row_sums(const qb_packed_s8 *p);
/// Bytes held by the pack (packed data + row sums + header). The AVX2 layout stores int16 (2 bytes per weight) so
/// that its kernel is exact for full-range u8 activations; the VNNI and ref layouts store int8.
size_t qb_packed_bytes(const qb_packed_s8 *p);
/// Kernel family the pack was made for ("amx", "avx512vnni", "avx2", "ref", "amx_emu" or "avx512vnni_emu"): the
/// family active when
/// it was packed.
/// qb_qgemm_*_packed always run that family's kernel on it, whatever qb_qgemm_force_kernel said since.
const char *qb_packed_kernel_name(const qb_packed_s8 *p);

/// C[m, n] = Σ_k A[m, k] · B[n, k] for m in 0..<M, n in n0..<n1 (C is indexed with absolute n).
/// Callers parallelise by splitting M (pointer offsets) or [n0, n1). Dispatches to the best kernel.
void qb_qgemm_u8s8_packed(int M, const uint8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1, int32_t *C, int ldc);
void qb_qgemm_s8s8_packed(int M, const int8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1, int32_t *C, int ldc);

// ---- Packed GEMM with the requantization epilogue fused ----------------------------------------------------------
/// Float epilogue parameters, as qb_requant_f32 takes them; the weight row sums come from the pack.
///   a_scale, a_zp: indexed by the row of A (0..<M) when a_per_row, else entry 0; a_zp may be NULL (all 0).
///   w_scale: [N] when w_per_channel, else 1 entry.   bias: [N] or NULL.
typedef struct qb_requant_args {
    const float *a_scale;
    const int32_t *a_zp;
    int a_per_row;
    const float *w_scale;
    int w_per_channel;
    const float *bias;
} qb_requant_args;

/// out[m, n] = requant(Σ_k A[m, k] · B[n, k]) for m in 0..<M, n in n0..<n1 (out indexed with absolute n):
/// exactly qb_qgemm_*_packed into an int32 buffer followed by qb_requant_f32 with the pack's row sums, without
/// the int32 buffer. `_ref` composes those two reference steps (B packed by the ref family); the AVX2 and AVX512-VNNI families apply
/// the epilogue in the GEMM's store (bit-exact with `_ref`). Callers parallelise as for qb_qgemm_*_packed.
void qb_qgemm_u8s8_packed_f32_ref(int M, const uint8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1,
                                  const qb_requant_args *rq, float *out, int ldo);
void qb_qgemm_s8s8_packed_f32_ref(int M, const int8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1,
                                  const qb_requant_args *rq, float *out, int ldo);
void qb_qgemm_u8s8_packed_f32(int M, const uint8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1,
                              const qb_requant_args *rq, float *out, int ldo);
void qb_qgemm_s8s8_packed_f32(int M, const int8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1,
                              const qb_requant_args *rq, float *out, int ldo);

// ---- Grouped-column GEMM: per-embedding-group (PEG) activations -----------------------------------------------
/// The input's K columns in G groups [col[g], col[g+1]) (col has G + 1 entries, col[0] = 0, col[G] = K), group g
/// quantized with a_scale[g] / a_zp[g] (a_zp may be NULL: all 0); B [N, K] int8 symmetric, w_scale [N] when
/// w_per_channel else 1 entry; bias [N] or NULL:
///   C_g[m, n] = Σ_{k ∈ g} A[m, k] · B[n, k]          R_g[n] = Σ_{k ∈ g} B[n, k]         (int32, wrapping)
///   v_g[m, n] = (float)(C_g[m, n] − a_zp[g] · R_g[n]) · (a_scale[g] · w_scale[n'])
///   out[m, n] = ((v_0 + v_1) + …) + v_{G−1}  (+ bias[n])                                  FP32, left to right, no FMA
/// A is u8 (a_signed 0) or s8 (a_signed 1) with row stride lda. `_ref`: scalar loops over unpacked B.
void qb_qgemm_grouped_f32_ref(int M, int N, const uint8_t *A, int lda, int a_signed, const int8_t *B, int ldb, int G,
                              const int *col, const float *a_scale, const int32_t *a_zp, const float *w_scale,
                              int w_per_channel, const float *bias, float *out, int ldo);
/// The same with packs[g] = qb_pack_s8 of B's columns [col[g], col[g+1]) (all N rows), over output columns
/// [n0, n1) (out indexed with absolute n): one fused qb_qgemm_*_packed_f32 per group on the pack's family, partial
/// results added in group order, then the bias. Bit-exact with `_ref` for every family. Callers parallelise by
/// splitting M (pointer offsets).
void qb_qgemm_grouped_packed_f32(int M, const uint8_t *A, int lda, int a_signed, int G, const int *col,
                                 const qb_packed_s8 *const *packs, const float *a_scale, const int32_t *a_zp,
                                 const float *w_scale, int w_per_channel, const float *bias, int n0, int n1,
                                 float *out, int ldo);

// ---- Activation quantization (per row or per tensor) --------------------------------------------------------
/// q[i] = clamp(zero_point + nearbyint(x[i] * inv_scale), qmin, qmax), ties to even — fbgemm's Quantize, which
/// multiplies by the reciprocal scale. `_ref` + dispatched versions, bit-exact.
/// Requires qmin ≤ qmax within the output type's range. x·inv_scale is clamped in float to [qmin − zp, qmax − zp]
/// before rounding (so huge values never overflow int32); NaN → qmax, +inf → qmax, −inf → qmin.
void qb_quantize_u8_ref(const float *x, int n, float inv_scale, int32_t zero_point, int32_t qmin, int32_t qmax, uint8_t *q);
void qb_quantize_s8_ref(const float *x, int n, float inv_scale, int32_t zero_point, int32_t qmin, int32_t qmax, int8_t *q);
void qb_quantize_u8(const float *x, int n, float inv_scale, int32_t zero_point, int32_t qmin, int32_t qmax, uint8_t *q);
void qb_quantize_s8(const float *x, int n, float inv_scale, int32_t zero_point, int32_t qmin, int32_t qmax, int8_t *q);
/// Writes min and max of x[0..<n] (n ≥ 1). `_ref` + dispatched. NaN elements are ignored (all NaN → NaN, NaN);
/// a zero result is +0.
void qb_minmax_f32_ref(const float *x, size_t n, float *min_out, float *max_out);
void qb_minmax_f32(const float *x, size_t n, float *min_out, float *max_out);

// ---- Requantization epilogue --------------------------------------------------------------------------------
/// out[m, n] = (float)(C[m, n] − a_zp[m'] · w_row_sum[n]) · (a_scale[m'] · w_scale[n']) + bias[n]
///   m' = m when a_per_row else 0;  n' = n when w_per_channel else 0;  bias may be NULL.
/// Weights are symmetric (zero point 0), so no Σ_k A[m, k] term is needed. `_ref` + dispatched.
/// Float order as fbgemm's requantizeForFloatAvx2: multiplier a_scale·w_scale first, then one multiply, then a
/// separate add of the bias (no FMA). a_zp may be NULL (all zero points 0; w_row_sum is then not read).
void qb_requant_f32_ref(int M, int N, const int32_t *C, int ldc,
                        const float *a_scale, const int32_t *a_zp, int a_per_row,
                        const float *w_scale, const int32_t *w_row_sum, int w_per_channel,
                        const float *bias, float *out, int ldo);
void qb_requant_f32(int M, int N, const int32_t *C, int ldc,
                    const float *a_scale, const int32_t *a_zp, int a_per_row,
                    const float *w_scale, const int32_t *w_row_sum, int w_per_channel,
                    const float *bias, float *out, int ldo);

// ---- binary16 -----------------------------------------------------------------------------------------------
/// FP32 → binary16, round to nearest even, saturating finite values to ±65504 (PyTorch's fp16 dynamic weights).
/// ±inf also saturate to ±65504 (PyTorch clamps before converting); NaN stays NaN (quiet, sign and top payload
/// bits kept, as vcvtps2ph).
void qb_f32_to_f16_ref(const float *x, size_t n, uint16_t *h);
void qb_f32_to_f16(const float *x, size_t n, uint16_t *h);
/// binary16 → FP32 (exact; NaN payload kept, quiet bit set, as vcvtph2ps).
void qb_f16_to_f32_ref(const uint16_t *h, size_t n, float *x);
void qb_f16_to_f32(const uint16_t *h, size_t n, float *x);

// ---- Introspection ------------------------------------------------------------------------------------------
/// Name of the kernel family in use: "amx", "avx512vnni", "avx2" or "ref" (the first this CPU supports, "amx" only
/// with the OS permission granted), unless QBENCH_KERNEL or qb_qgemm_force_kernel chose another ("amx_emu", "avx512vnni_emu" too).
const char *qb_qgemm_kernel_name(void);
/// Test hook: force a kernel family ("ref", "avx2", "avx512vnni", "amx", "amx_emu", "avx512vnni_emu"); returns 0 if
/// unknown or unsupported on this CPU ("amx_emu", the AMX kernel on emulated intrinsics, runs everywhere;
/// "avx512vnni_emu", every AVX-512 kernel of the avx512vnni family on emulated intrinsics, wherever "avx2" runs). The family covers
/// every dispatched kernel: the GEMMs and helpers here and the vector math of qb_vmath.h.
int qb_qgemm_force_kernel(const char *name);
/// What the dispatcher did with the environment variable QBENCH_KERNEL (read once, at the first kernel call):
/// 0 not set, 1 applied, -1 not a family name, -2 a family this CPU (or OS) does not support; default kept then.
int qb_qgemm_env_status(void);
/// Test hook of the AMX emulation (qb_amx_emu.h): one TDPBUSD (a_signed = 0) or TDPBSSD (1) on tiles C
/// [rows][colsb/4] int32 (in/out), A [rows][4·kquads] bytes, B [kquads][colsb] int8, all densely packed.
/// Returns 0 (and does nothing) unless 1 ≤ rows ≤ 16, 4 ≤ colsb ≤ 64 with colsb % 4 = 0, 1 ≤ kquads ≤ 16.
int qb_amx_emu_tile_dp(int a_signed, int rows, int colsb, int kquads, const uint8_t *a, const int8_t *b, int32_t *c);
/// Test hook of the AVX-512 emulation (qb_avx512_emu.h): intrinsic `op` on a, b, c (16 lanes, 64 bytes each, read
/// as floats or int32 as the op needs), result in out (64 bytes, zero where the op writes less). `_emu` runs the
/// emulation (any CPU); the native one needs AVX512F/BW/VL/DQ (the caller checks qb_cpu_detect). Returns 0 for an
/// unknown op. Ops: cvtps_epi32(a), cvttps_epi32(a), packs/packus_epi32(a, b), packs/packus_epi16(a, b),
/// permutexvar_epi32(a, b), min/max_ps(a, b), fmadd/fnmadd_ps(a, b, c), roundscale_ps(a, floor), div_ps(a, b),
/// mask_storeu_epi8(out, mask = low 16 bits of b[0], cvtepi32_epi8(a)), mask_blend_ps / maskz_mov_ps, the 128/256-bit
/// reduction steps of qb_vmath_avx512.c, and cmp_ps_mask(a, b, p) as QB_PROBE_CMP_PS_MASK + p (p < 32; the mask in
/// out's first uint32).
enum {
    QB_PROBE_CVTPS_EPI32 = 0, QB_PROBE_CVTTPS_EPI32, QB_PROBE_PACKS_EPI32, QB_PROBE_PACKUS_EPI32, QB_PROBE_PACKS_EPI16,
    QB_PROBE_PACKUS_EPI16, QB_PROBE_PERMUTEXVAR_EPI32, QB_PROBE_MIN_PS, QB_PROBE_MAX_PS, QB_PROBE_FMADD_PS,
    QB_PROBE_FNMADD_PS, QB_PROBE_FLOOR_PS, QB_PROBE_CVTEPI32_EPI8_MASKSTORE, QB_PROBE_DIV_PS, QB_PROBE_BLEND_MOV_PS,
    QB_PROBE_SSE_AVX_REDUCE, QB_PROBE_COUNT, QB_PROBE_CMP_PS_MASK = 100
};
int qb_avx512_probe(int op, const void *a, const void *b, const void *c, void *out);
int qb_avx512_probe_emu(int op, const void *a, const void *b, const void *c, void *out);

#ifdef __cplusplus
}
#endif
#endif
