// Private to _CKernels: the epilogue of the deterministic FP32 GEMM (qb_sgemm.h), shared by the reference and the
// blocked driver so both apply alpha and beta with the same operations. Include after `#pragma STDC FP_CONTRACT
// OFF` (beta · C + t must stay a multiply and an add).
#ifndef QB_SGEMM_EPILOGUE_H
#define QB_SGEMM_EPILOGUE_H

/// *c = (alpha == 1 ? acc : alpha · acc) when beta == 0 (c not read), + *c when beta == 1, + beta · *c otherwise.
static inline void qb_sgemm_store(float acc, float alpha, float beta, float *c) {
    const float t = alpha == 1.0f ? acc : alpha * acc;
    if (beta == 0.0f) *c = t;
    else if (beta == 1.0f) *c = *c + t;
    else *c = beta * *c + t;
}
#endif
