// Vectorised FP32 math for the encoder's non-GEMM ops: exact-erf GELU and masked softmax rows.
//
// `_ref` versions use libm (erff, expf) and define correct. The AVX2 versions use the same approximations as
// PyTorch's ATen Vectorized<float> on AVX2 (erf: Abramowitz–Stegun 7.1.26, |error| ≤ 1.5e-7; exp: Cephes-style
// range reduction + degree-5 polynomial, ≤ 2 ulp), so they agree with PyTorch's CPU kernels at least as well
// as libm does. Parity tests bound the difference to the reference; they are not bit-exact (float math paths).
#ifndef QB_VMATH_H
#define QB_VMATH_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// In place: x = x · ½ · (1 + erf(x / √2)).
void qb_gelu_erf_f32_ref(float *x, size_t n);
void qb_gelu_erf_f32_avx2(float *x, size_t n);
void qb_gelu_erf_f32(float *x, size_t n);

/// In place over one row of n attention scores: p_j = exp(scale·x_j − m) / Σ over kept j; p_j = 0 where
/// keep[j] == 0 (m = max over kept j of scale·x_j). At least one position must be kept.
void qb_softmax_masked_f32_ref(float *x, size_t n, float scale, const float *keep);
void qb_softmax_masked_f32_avx2(float *x, size_t n, float scale, const float *keep);
void qb_softmax_masked_f32(float *x, size_t n, float scale, const float *keep);

/// Name of the vector-math family in use: "avx2" or "ref".
const char *qb_vmath_kernel_name(void);

#ifdef __cplusplus
}
#endif
#endif
