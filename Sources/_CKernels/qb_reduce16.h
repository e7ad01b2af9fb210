// Private to _CKernels: the fixed 16-lane summation tree of the deterministic vector math (qb_vmath.h, `_det`).
//
// Σ x[0..<n] is defined as: lane j (0 ≤ j < 16) adds x[j], x[j + 16], x[j + 32], … in order, starting from +0;
// then lanes fold in halves, s[j] = s[j] + s[j + w] for w = 8, 4, 2, 1 (j < w); the result is s[0]. A 16-wide
// vector (one zmm, two ymm, four ymm of double) holds the lanes as they are, so every ISA and the scalar loop
// perform the same additions in the same order; elements past n count as +0 (adding +0 leaves a lane that
// started at +0 unchanged). Include after `#pragma STDC FP_CONTRACT OFF`.
#ifndef QB_REDUCE16_H
#define QB_REDUCE16_H
#include <stddef.h>

static inline float qb_fold16f(float s[16]) {
    for (int w = 8; w >= 1; w /= 2)
        for (int j = 0; j < w; j++) s[j] = s[j] + s[j + w];
    return s[0];
}

static inline double qb_fold16d(double s[16]) {
    for (int w = 8; w >= 1; w /= 2)
        for (int j = 0; j < w; j++) s[j] = s[j] + s[j + w];
    return s[0];
}

/// Σ x[0..<n] by the tree above, scalar.
static inline float qb_sum16f_ref(const float *x, size_t n) {
    float s[16] = {0};
    for (size_t i = 0; i < n; i++) s[i % 16] = s[i % 16] + x[i];
    return qb_fold16f(s);
}
#endif
