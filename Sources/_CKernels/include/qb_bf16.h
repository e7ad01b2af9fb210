// bfloat16 linear layers (the `bf16` scheme): weights and activations rounded to bfloat16, products accumulated in
// FP32, bias added in FP32. Contract shared by the C kernels and the Quantization module.
//
// Numerics, defined by the scalar reference qb_gemm_bf16_packed_ref and matched bit for bit by the kernels the
// scheme runs by default (AVX512-BF16, its emulation):
//   bf16(x)     FP32 → bfloat16, round to nearest even; FP32 subnormals are read as ±0 and a result in bfloat16's
//               subnormal range becomes ±0 (the DAZ/FTZ of the dot-product instructions); NaN stays NaN (quiet).
//   out[m, n] = chain over k = 0, 1, …, K'−1 of  acc ← ftz(fmaf(bf16(A[m, k]), W16[n, k], acc)),  acc₀ = +0,
//               then + bias[n] as a separate FP32 add (skipped without bias), K' = K rounded up to even with
//               zero padding.
// That is the order AVX512-BF16's vdpbf16ps computes when each k pair is stored with k in the upper half (it adds
// the upper product first, each step one rounding with DAZ/FTZ, as Intel's pseudo-code says; checked on AMD Zen 5
// against the reference by KernelsTests). One FMA chain per output in a fixed k order, so the result does not
// depend on blocking or threads.
//
// AMX-BF16 (qb_gemm_bf16_amx.c) cannot compute that chain: TDPBF16PS (Intel SDM) sums the even and the odd k of
// each 16-pair tile block in two chains and adds them to the accumulator once. Its numerics are their own scalar
// model, qb_gemm_bf16_packed_amx_ref: per output, per block b of k = 32b … 32b + 31 (zero past K),
//     e = chain over even k of ftz(fmaf(bf16(A[m, k]), W16[n, k], ·)) from +0,  o = the same over odd k,
//     acc ← ftz(acc + ftz(e + o)),  acc₀ = +0;  then + bias[n].
// It differs from qb_gemm_bf16_packed_ref in the last bits of most outputs (and where products fall below FP32's
// normal range), so the AMX kernel runs only when asked for (QBENCH_KERNEL=amx, or the amx_emu family).
#ifndef QB_BF16_H
#define QB_BF16_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// bf16(x) for n values (see above).
void qb_f32_to_bf16(const float *x, size_t n, uint16_t *h);
/// bfloat16 → FP32 (exact).
void qb_bf16_to_f32(const uint16_t *h, size_t n, float *x);

/// W [N, K] (FP32, ldw) rounded to bfloat16 once and packed for the bf16 kernel this machine runs. NULL on
/// allocation failure. Free with qb_packed_bf16_free.
typedef struct qb_packed_bf16 qb_packed_bf16;
qb_packed_bf16 *qb_pack_bf16(const float *W, int N, int K, int ldw);
void qb_packed_bf16_free(qb_packed_bf16 *p);
/// Bytes held by the pack (2 per padded weight + header).
size_t qb_packed_bf16_bytes(const qb_packed_bf16 *p);
/// "avx512bf16", "avx512bf16_emu" (the same kernel on emulated intrinsics), "amx", "amx_emu" (the AMX-BF16 kernel,
/// natively or on qb_amx_emu.h) or "ref": the kernel that runs this pack.
const char *qb_packed_bf16_kernel_name(const qb_packed_bf16 *p);
/// The kernel qb_pack_bf16 picks now (qb_dispatch.c): "amx_emu" under the forced amx_emu family, "avx512bf16_emu"
/// under avx512vnni_emu, "ref" under ref; otherwise "amx" when QBENCH_KERNEL=amx chose the amx family on a CPU with
/// AMX-BF16, else "avx512bf16" on a CPU with AVX512-BF16, else "ref".
const char *qb_bf16_kernel_name(void);
/// Tests: W packed for the named kernel (the names above), or NULL if the name is unknown, this CPU/OS cannot run
/// it, or allocation fails.
qb_packed_bf16 *qb_pack_bf16_for_kernel(const float *W, int N, int K, int ldw, const char *kernel);

/// out[m, n] for m in 0..<M, n in n0..<n1 (out indexed with absolute n), A [M, K] FP32 (lda), bias [N] or NULL.
/// Callers parallelise by splitting M (pointer offsets) or [n0, n1).
void qb_gemm_bf16_packed(int M, const float *A, int lda, const qb_packed_bf16 *W, int n0, int n1, const float *bias,
                         float *out, int ldo);
/// The reference on the same pack (any kernel's pack), for parity tests.
void qb_gemm_bf16_packed_ref(int M, const float *A, int lda, const qb_packed_bf16 *W, int n0, int n1,
                             const float *bias, float *out, int ldo);
/// The AMX-BF16 kernel's numerics (see above) on the same pack (any kernel's pack), scalar, for parity tests.
void qb_gemm_bf16_packed_amx_ref(int M, const float *A, int lda, const qb_packed_bf16 *W, int n0, int n1,
                                 const float *bias, float *out, int ldo);
/// Test hook: one emulated TDPBF16PS (qb_amx_emu.h) with C = tile 0 [rows][colsb/4] FP32, A = tile 1 [rows][kpairs]
/// bf16 pairs (uint16 [rows][2·kpairs], the lower half first), B = tile 2 [kpairs][colsb/4] pairs; C is loaded,
/// accumulated into and stored back. Returns 0 (nothing done) for rows ∉ 1…16, colsb ∉ {4, 8, …, 64}, kpairs ∉ 1…16.
int qb_amx_emu_tile_dpbf16ps(int rows, int colsb, int kpairs, const uint16_t *a, const uint16_t *b, float *c);

#ifdef __cplusplus
}
#endif
#endif
