// Deterministic FP32 GEMM (`numerics: reproducible`): the same bits on every x86-64 CPU, every ISA and every
// split of the work, because each output element is one FMA chain in a fixed k order.
//
// Layouts (row-major, as cblas_sgemm with CblasRowMajor):
//   op(A) [M, K]: A stored [M, K] (trans_a = 0) or [K, M] (trans_a = 1), row stride lda
//   op(B) [K, N]: B stored [K, N] (trans_b = 0) or [N, K] (trans_b = 1, PyTorch nn.Linear weights), row stride ldb
//   C     [M, N], row stride ldc
//
// Definition (the scalar reference `qb_sgemm_ref` is this, literally):
//   acc = 0;  for k = 0, 1, …, K−1:  acc = fmaf(op(A)[m, k], op(B)[k, n], acc)      (one rounding per step)
//   t = (alpha == 1) ? acc : alpha · acc
//   C[m, n] = (beta == 0) ? t : (beta == 1) ? C[m, n] + t : beta · C[m, n] + t     (no FMA in the epilogue)
// with C not read when beta == 0. Fast kernels vectorise over n (one accumulator lane per output element, the
// k loop sequential inside it), so they are bit-identical with the reference for every input, NaN and inf
// included (parity tests: KernelsTests/SgemmParityTests). The kernel family (qb_dispatch.c) chooses the micro-
// kernel: "ref" and "amx_emu" scalar fmaf, "avx2" 6×16 AVX2 tiles, "avx512vnni" and "amx" 6×32 AVX-512F tiles,
// "avx512vnni_emu" the same AVX-512F source on the portable intrinsics of qb_avx512_emu.h.
#ifndef QB_SGEMM_H
#define QB_SGEMM_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The definition above, as three plain loops (slow; tests compare every family against it).
void qb_sgemm_ref(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda,
                  const float *B, int ldb, float beta, float *C, int ldc);

/// op(B) [K, N] packed once (weights) into the layout every family's micro-kernel reads: ceil(N/16) panels of
/// [K][16] floats, columns past N zero. The same pack runs on every family. NULL on allocation failure.
typedef struct qb_packed_f32 qb_packed_f32;
qb_packed_f32 *qb_sgemm_pack_b(int trans_b, int K, int N, const float *B, int ldb);
void qb_packed_f32_free(qb_packed_f32 *p);
/// Bytes held by the pack.
size_t qb_packed_f32_bytes(const qb_packed_f32 *p);

/// C = alpha · op(A) · B + beta · C as defined above, B a pack of [K, N]; the active family's micro-kernel.
/// Callers parallelise by splitting M (A and C pointer offsets): every split gives the same bits.
void qb_sgemm_packed(int trans_a, int M, float alpha, const float *A, int lda, const qb_packed_f32 *B, float beta,
                     float *C, int ldc);

/// The definition above through the active family: a transposed B is packed for the call, a B [K, N] is read in
/// place (only a ragged last 16-column panel copied); A is read in place.
/// Returns 0 on success, -1 if the pack could not be allocated (C untouched).
int qb_sgemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
             int ldb, float beta, float *C, int ldc);

/// Test hook: qb_sgemm_packed with the micro-kernel of the named family ("ref", "avx2", "avx512vnni", "amx",
/// "amx_emu", "avx512vnni_emu") whatever is active. Returns 0 if the family is unknown or this CPU cannot run it.
int qb_sgemm_packed_family(const char *family, int trans_a, int M, float alpha, const float *A, int lda,
                           const qb_packed_f32 *B, float beta, float *C, int ldc);

/// Name of the FP32 micro-kernel of the active family: "scalar", "avx2-6x16", "avx512-6x32" or (family
/// "avx512vnni_emu") "avx512_emu-6x32".
const char *qb_sgemm_kernel_name(void);

#ifdef __cplusplus
}
#endif
#endif
