// Vectorised FP32 math for the encoder's non-GEMM ops: exact-erf GELU, masked softmax rows, LayerNorm. The
// un-suffixed entry points run the active kernel family's version (qb_dispatch.c, qb_qgemm_force_kernel).
//
// `_ref` versions use libm (erff, expf) and define correct. The AVX2 versions use the same approximations as
// PyTorch's ATen Vectorized<float> on AVX2 (erf: Abramowitz–Stegun 7.1.26, |error| ≤ 1.5e-7; exp: Cephes-style
// range reduction + degree-5 polynomial, ≤ 2 ulp), so they agree with PyTorch's CPU kernels at least as well
// as libm does. Parity tests bound the difference to the reference; they are not bit-exact (float math paths).
// The AVX-512 versions of GELU and softmax repeat the AVX2 versions' operations on 16 lanes (same bits).
#ifndef QB_VMATH_H
#define QB_VMATH_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// In place: x = x · ½ · (1 + erf(x / √2)).
void qb_gelu_erf_f32_ref(float *x, size_t n);
void qb_gelu_erf_f32_avx2(float *x, size_t n);
/// AVX-512F: bit-identical with `_avx2` for every input (qb_vmath_avx512.c). `_avx512_emu`: the same source on the
/// portable intrinsics of qb_avx512_emu.h (needs AVX2 + FMA only; the "avx512vnni_emu" family), the same bits.
void qb_gelu_erf_f32_avx512(float *x, size_t n);
void qb_gelu_erf_f32_avx512_emu(float *x, size_t n);
void qb_gelu_erf_f32(float *x, size_t n);

/// In place over one row of n attention scores: p_j = exp(scale·x_j − m) / Σ over kept j; p_j = 0 where
/// keep[j] == 0 (m = max over kept j of scale·x_j). At least one position must be kept.
void qb_softmax_masked_f32_ref(float *x, size_t n, float scale, const float *keep);
void qb_softmax_masked_f32_avx2(float *x, size_t n, float scale, const float *keep);
/// AVX-512F: bit-identical with `_avx2` for every input without NaN (the same sums in the same order);
/// `_avx512_emu` as for GELU.
void qb_softmax_masked_f32_avx512(float *x, size_t n, float scale, const float *keep);
void qb_softmax_masked_f32_avx512_emu(float *x, size_t n, float scale, const float *keep);
void qb_softmax_masked_f32(float *x, size_t n, float scale, const float *keep);

/// In place over x [rows, width] (row stride width): x = LayerNorm(x + residual) with `residual` [rows, width] or
/// NULL, PyTorch nn.LayerNorm semantics (biased variance):
///   t = x + residual (float);  mean = Σ t / width,  var = Σ (t − mean)² / width   (both accumulated in double)
///   inv = (float)(1 / sqrt(var + eps)),  m = (float)mean,  y = ((t − m) · inv) · gamma + beta   (float, no FMA)
/// `_ref` sums sequentially; `_avx2` sums in 4 double lanes (the double sums may differ in their last bits, which
/// moves y only if that flips the float rounding of mean or inv) and does the float steps in the same order.
void qb_add_layernorm_f32_ref(float *x, const float *residual, size_t rows, size_t width, const float *gamma,
                              const float *beta, float eps);
void qb_add_layernorm_f32_avx2(float *x, const float *residual, size_t rows, size_t width, const float *gamma,
                               const float *beta, float eps);
void qb_add_layernorm_f32(float *x, const float *residual, size_t rows, size_t width, const float *gamma,
                          const float *beta, float eps);

// ---- Deterministic versions (`numerics: reproducible`) ------------------------------------------------------
// Same contracts as above, but every version computes the same bits on every machine: exp, erf and tanh are one
// fixed sequence of FP32 operations (qb_vmath_simd.h: Cephes-style exp, Abramowitz–Stegun 7.1.26 erf, tanh =
// (1 − e^{−2|x|}) / (1 + e^{−2|x|}) with the sign restored), evaluated lane for lane in AVX2 and scalar, and every
// sum runs in a fixed 16-lane tree (lane j adds elements j, j+16, j+32, … in order; lanes fold s[j] += s[j+w],
// w = 8, 4, 2, 1), whatever the vector width. Max is order-free. `_det_avx2` is bit-exact with `_det_ref` (parity
// tests; a NaN input gives a NaN whose sign and payload are not specified); the dispatched `_det` names run the
// active family's version (AVX2 for avx2, avx512vnni and amx).
//
/// x = x · ½ · (1 + erf(x / √2)), computed as (x · 0.5) · (1 + erf(x · 0.70710678)).
void qb_gelu_erf_f32_det_ref(float *x, size_t n);
void qb_gelu_erf_f32_det_avx2(float *x, size_t n);
void qb_gelu_erf_f32_det(float *x, size_t n);
/// x = (x · 0.5) · (1 + tanh(√(2/π) · (x + ((0.044715 · x) · x) · x)))   (`gelu_new`, `gelu_pytorch_tanh`).
void qb_gelu_tanh_f32_det_ref(float *x, size_t n);
void qb_gelu_tanh_f32_det_avx2(float *x, size_t n);
void qb_gelu_tanh_f32_det(float *x, size_t n);
/// x = tanh(x) (the pooler).
void qb_tanh_f32_det_ref(float *x, size_t n);
void qb_tanh_f32_det_avx2(float *x, size_t n);
void qb_tanh_f32_det(float *x, size_t n);
/// Masked softmax as qb_softmax_masked_f32: m = max over kept j of x_j · scale; e_j = exp(x_j · scale − m) on kept
/// j, 0 elsewhere; p_j = e_j · (1 / Σ_tree16 e).
void qb_softmax_masked_f32_det_ref(float *x, size_t n, float scale, const float *keep);
void qb_softmax_masked_f32_det_avx2(float *x, size_t n, float scale, const float *keep);
void qb_softmax_masked_f32_det(float *x, size_t n, float scale, const float *keep);
/// LayerNorm as qb_add_layernorm_f32 (double mean and variance, float normalisation, no FMA), both double sums
/// by the 16-lane tree.
void qb_add_layernorm_f32_det_ref(float *x, const float *residual, size_t rows, size_t width, const float *gamma,
                                  const float *beta, float eps);
void qb_add_layernorm_f32_det_avx2(float *x, const float *residual, size_t rows, size_t width, const float *gamma,
                                   const float *beta, float eps);
void qb_add_layernorm_f32_det(float *x, const float *residual, size_t rows, size_t width, const float *gamma,
                              const float *beta, float eps);

/// Suffix of the fast vector-math kernels the active kernel family runs: "avx512" (families "avx512vnni" and "amx":
/// GELU and softmax on AVX-512, bit-identical with the AVX2 kernels, LayerNorm on AVX2), "avx512_emu" (family
/// "avx512vnni_emu": the same on emulated intrinsics, LayerNorm on AVX2), "avx2" (family "avx2") or "ref". The un-suffixed functions above go through the one dispatch table of qb_dispatch.c, so
/// qb_qgemm_force_kernel("ref") makes them run their `_ref` versions, like every other kernel.
const char *qb_vmath_kernel_name(void);

#ifdef __cplusplus
}
#endif
#endif
