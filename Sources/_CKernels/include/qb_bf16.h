// bfloat16 linear layers (the `bf16` scheme): weights and activations rounded to bfloat16, products accumulated in
// FP32, bias added in FP32. Contract shared by the C kernels and the Quantization module.
//
// Numerics, defined by the scalar reference and matched bit for bit by every kernel:
//   bf16(x)     FP32 → bfloat16, round to nearest even; FP32 subnormals are read as ±0 and a result in bfloat16's
//               subnormal range becomes ±0 (the DAZ/FTZ of the dot-product instructions); NaN stays NaN (quiet).
//   out[m, n] = chain over k = 0, 1, …, K'−1 of  acc ← ftz(fmaf(bf16(A[m, k]), W16[n, k], acc)),  acc₀ = +0,
//               then + bias[n] as a separate FP32 add (skipped without bias), K' = K rounded up to even with
//               zero padding.
// That is the order AVX512-BF16's vdpbf16ps computes when each k pair is stored with k in the upper half (it adds
// the upper product first, each step one rounding with DAZ/FTZ, as Intel's pseudo-code says; checked on AMD Zen 5
// against the reference by KernelsTests). One FMA chain per output in a fixed k order, so the result does not
// depend on blocking or threads.
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
/// "avx512bf16", "avx512bf16_emu" (the same kernel on emulated intrinsics) or "ref": the kernel that runs this pack.
const char *qb_packed_bf16_kernel_name(const qb_packed_bf16 *p);

/// out[m, n] for m in 0..<M, n in n0..<n1 (out indexed with absolute n), A [M, K] FP32 (lda), bias [N] or NULL.
/// Callers parallelise by splitting M (pointer offsets) or [n0, n1).
void qb_gemm_bf16_packed(int M, const float *A, int lda, const qb_packed_bf16 *W, int n0, int n1, const float *bias,
                         float *out, int ldo);
/// The reference on the same pack (any kernel's pack), for parity tests.
void qb_gemm_bf16_packed_ref(int M, const float *A, int lda, const qb_packed_bf16 *W, int n0, int n1,
                             const float *bias, float *out, int ldo);

#ifdef __cplusplus
}
#endif
#endif
