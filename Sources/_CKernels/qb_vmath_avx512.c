// Fast-numerics GELU and masked softmax on AVX-512F (families "avx512vnni" and "amx", qb_dispatch.c), bit-identical
// with the AVX2 kernels of qb_vmath.c for every input: the same operations lane for lane (qb_exp512 / qb_erf512
// are qb_exp256 / qb_erf256 on 16 lanes), and every order-dependent step in the AVX2 kernel's order.
//
//   GELU: element-wise, so 16 lanes at a time give each element the AVX2 lane's bits; what is left after the last
//         full 16 goes to the AVX2 kernel itself (its 8-lane body, then its libm tail: the same elements as when the
//         AVX2 kernel runs the whole row, because the 16-lane part ends on a multiple of 8).
//   Softmax: the maximum is order-free; e_j = exp(s·x_j − m) is element-wise; the sum runs in the AVX2 kernel's
//         8 accumulator lanes, 8-element chunks added in order (each 16-lane vector adds its low, then its high
//         half), then the same horizontal sum and the same libm tail; the normalisation is element-wise.
// No FP_CONTRACT pragma, as in qb_vmath.c: the scalar tail's `expf(x[j] * scale - m)` is the same expression under
// the same (default) contraction, so the compiler fuses it into the same FMA in both files.
//
// The same source compiles twice: natively and as the "avx512vnni_emu" family's kernels (qb_vmath_avx512_emu.c
// defines QB_VMATH_EMULATE; qb_avx512_emu.h has portable versions of every intrinsic used here, the 128- and
// 256-bit ones included; names suffixed `_avx512_emu`). The emulated functions still carry the AVX2 + FMA target:
// GELU's tail is the native AVX2 kernel, and the scalar tails must contract to the same FMA as natively — so the
// emulation runs on any CPU of the avx2 family (AVX2 + FMA + F16C), and that is where it is tested.
#include "qb_vmath.h"
#include <math.h>

#if defined(QB_VMATH_EMULATE)
#define QB_VM512_FN(name) name##_avx512_emu
#else
#define QB_VM512_FN(name) name##_avx512
#endif

#if defined(__x86_64__)
#if defined(QB_VMATH_EMULATE)
#include "qb_avx512_emu.h"
#pragma STDC FP_CONTRACT DEFAULT // the header turned contraction off for its own bodies; the code below as natively
#endif
#include "qb_vmath_simd.h"
#define QB_AVX512 QB_VMATH_AVX512

QB_AVX512 void QB_VM512_FN(qb_gelu_erf_f32)(float *x, size_t n) {
    const __m512 half = _mm512_set1_ps(0.5f), one = _mm512_set1_ps(1.0f), c = _mm512_set1_ps(0.70710678118654752f);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i);
        __m512 y = _mm512_mul_ps(_mm512_mul_ps(v, half), _mm512_add_ps(one, qb_erf512(_mm512_mul_ps(v, c))));
        _mm512_storeu_ps(x + i, y);
    }
    if (i < n) qb_gelu_erf_f32_avx2(x + i, n - i);
}

QB_AVX512 static inline float qb_hmax256_512(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}

// The AVX2 kernel's horizontal sum, operation for operation.
QB_AVX512 static inline float qb_hsum256_512(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

QB_AVX512 void QB_VM512_FN(qb_softmax_masked_f32)(float *x, size_t n, float scale, const float *keep) {
    const __m512 vs = _mm512_set1_ps(scale), ninf = _mm512_set1_ps(-INFINITY), zero = _mm512_setzero_ps();
    const size_t n8 = n / 8 * 8; // the AVX2 kernel's vector part; [n8, n) is its libm tail
    __m512 vm = ninf;
    size_t i = 0;
    for (; i + 16 <= n8; i += 16) {
        const __mmask16 k = _mm512_cmp_ps_mask(_mm512_loadu_ps(keep + i), zero, _CMP_NEQ_OQ);
        vm = _mm512_max_ps(vm, _mm512_mask_blend_ps(k, ninf, _mm512_mul_ps(_mm512_loadu_ps(x + i), vs)));
    }
    if (i < n8) { // one chunk of 8 left
        const __mmask16 k = _mm512_cmp_ps_mask(_mm512_maskz_loadu_ps(0xFF, keep + i), zero, _CMP_NEQ_OQ) & 0xFF;
        vm = _mm512_max_ps(vm, _mm512_mask_blend_ps(k, ninf, _mm512_mul_ps(_mm512_maskz_loadu_ps(0xFF, x + i), vs)));
    }
    const __m256 vm8 = _mm256_max_ps(_mm512_castps512_ps256(vm),
                                     _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(vm), 1)));
    float m = qb_hmax256_512(vm8);
    for (size_t j = n8; j < n; j++)
        if (keep[j] != 0.0f && x[j] * scale > m) m = x[j] * scale;
    const __m512 mm = _mm512_set1_ps(m);
    __m256 vsum = _mm256_setzero_ps();
    for (i = 0; i + 16 <= n8; i += 16) {
        const __mmask16 k = _mm512_cmp_ps_mask(_mm512_loadu_ps(keep + i), zero, _CMP_NEQ_OQ);
        const __m512 e = _mm512_maskz_mov_ps(k, qb_exp512(_mm512_sub_ps(_mm512_mul_ps(_mm512_loadu_ps(x + i), vs), mm)));
        _mm512_storeu_ps(x + i, e);
        vsum = _mm256_add_ps(vsum, _mm512_castps512_ps256(e));
        vsum = _mm256_add_ps(vsum, _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(e), 1)));
    }
    if (i < n8) {
        const __mmask16 k = _mm512_cmp_ps_mask(_mm512_maskz_loadu_ps(0xFF, keep + i), zero, _CMP_NEQ_OQ) & 0xFF;
        const __m512 v = _mm512_maskz_loadu_ps(0xFF, x + i);
        const __m512 e = _mm512_maskz_mov_ps(k, qb_exp512(_mm512_sub_ps(_mm512_mul_ps(v, vs), mm)));
        _mm512_mask_storeu_ps(x + i, 0xFF, e);
        vsum = _mm256_add_ps(vsum, _mm512_castps512_ps256(e));
        i += 8;
    }
    float sum = qb_hsum256_512(vsum);
    for (size_t j = n8; j < n; j++) {
        if (keep[j] != 0.0f) { float e = expf(x[j] * scale - m); x[j] = e; sum += e; }
        else x[j] = 0.0f;
    }
    const __m512 inv = _mm512_set1_ps(1.0f / sum);
    for (i = 0; i + 16 <= n8; i += 16) _mm512_storeu_ps(x + i, _mm512_mul_ps(_mm512_loadu_ps(x + i), inv));
    if (i < n8) _mm512_mask_storeu_ps(x + i, 0xFF, _mm512_mul_ps(_mm512_maskz_loadu_ps(0xFF, x + i), inv));
    for (size_t j = n8; j < n; j++) x[j] *= 1.0f / sum;
}
#else
void QB_VM512_FN(qb_gelu_erf_f32)(float *x, size_t n) { qb_gelu_erf_f32_ref(x, n); }
void QB_VM512_FN(qb_softmax_masked_f32)(float *x, size_t n, float scale, const float *keep) {
    qb_softmax_masked_f32_ref(x, n, scale, keep);
}
#endif
