// C parity sweep of the deterministic FP32 GEMM (qb_sgemm.h): a micro-kernel through the shared blocked driver
// against qb_sgemm_ref, bit for bit, over ragged shapes (rows past the 144-row block, K past the 256 k block),
// both transposes and alpha/beta variants, on a pack of B and on B as given (qb_sgemm_micro_run). Used by
// sgemm_emulated.sh to run the AVX-512 micro-kernel through SIMDe on a CPU without AVX-512; `./a.out avx2` checks
// the AVX2 one natively. (The Swift tests, KernelsTests/SgemmParityTests, cover every family on real hardware.)
#include "qb_kernels_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned s = 1;
static float rnd(void) { s = s * 1103515245u + 12345u; return (float)((s >> 8) & 0xffff) / 32768.0f - 1.0f; }

int main(int argc, char **argv) {
    const int avx2 = argc > 1 && strcmp(argv[1], "avx2") == 0;
    const qb_sgemm_micro_fn micro = avx2 ? qb_sgemm_micro_avx2 : qb_sgemm_micro_avx512;
    const int pw = avx2 ? 1 : 2;
    const int shapes[][3] = {{1, 1, 1}, {7, 17, 33}, {13, 40, 5}, {6, 32, 64}, {25, 47, 300}, {128, 136, 64}, {3, 5, 0},
                             {70, 100, 700}, {151, 40, 520}};
    const float ab[][2] = {{1, 0}, {1, 1}, {0.5f, 2}, {-1.25f, 0}};
    int bad = 0, cases = 0;
    for (int si = 0; si < 9; si++)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++) {
                const int M = shapes[si][0], N = shapes[si][1], K = shapes[si][2];
                const float alpha = ab[(si + ta + 2 * tb) % 4][0], beta = ab[(si + ta + 2 * tb) % 4][1];
                const int lda = ta ? M : K, ldb = tb ? K : N;
                float *A = malloc(sizeof(float) * (M * K + 1)), *B = malloc(sizeof(float) * (K * N + 1));
                float *want = malloc(sizeof(float) * M * N), *got = malloc(sizeof(float) * M * N);
                float *init = malloc(sizeof(float) * M * N);
                for (int i = 0; i < M * K; i++) A[i] = rnd();
                for (int i = 0; i < K * N; i++) B[i] = rnd();
                for (int i = 0; i < M * N; i++) want[i] = init[i] = rnd();
                qb_sgemm_ref(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, want, N);
                qb_packed_f32 *p = qb_sgemm_pack_b(tb, K, N, B, ldb);
                const qb_sgemm_bview v = qb_sgemm_view_packed(p);
                for (int inplace = 0; inplace < 2; inplace++) {
                    for (int i = 0; i < M * N; i++) got[i] = init[i];
                    if (inplace) qb_sgemm_micro_run(micro, pw, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, got, N);
                    else qb_sgemm_drive(micro, pw, ta, M, alpha, A, lda, &v, beta, got, N);
                    cases++;
                    if (memcmp(want, got, sizeof(float) * M * N) != 0) {
                        bad++;
                        printf("MISMATCH M=%d N=%d K=%d transA=%d transB=%d alpha=%g beta=%g %s\n", M, N, K, ta, tb,
                               alpha, beta, inplace ? "qb_sgemm_micro_run" : "pack");
                    }
                }
                qb_packed_f32_free(p);
                free(A); free(B); free(want); free(got); free(init);
            }
    printf("%s micro-kernel: %d of %d cases bit-identical with qb_sgemm_ref\n", avx2 ? "avx2" : "avx512", cases - bad, cases);
    return bad != 0;
}
