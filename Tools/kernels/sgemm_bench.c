// Hand-run benchmark (not a test): single-thread GFLOPS of the deterministic FP32 GEMM (qb_sgemm.h, `numerics:
// reproducible`) against OpenBLAS's cblas_sgemm (`numerics: fast`) on the same operands, side by side, with the
// ratio ours / OpenBLAS, for every FP32 micro-kernel this CPU runs.
//   Tools/kernels/sgemm_bench.sh                 BERT-base shapes, best of 9
//   Tools/kernels/sgemm_bench.sh 15              best of 15
//   Tools/kernels/sgemm_bench.sh 1 tiny          one small shape, one repetition: checks the tool runs
// Shapes as the engine calls them: linear layers y = x·Wᵀ (B = W [N, K], transB; ours on W packed once, as
// DenseLinear), attention QKᵀ (128×128×64, transB: B packed per call, as Gemm.sgemm does) and P·V (128×64×128:
// B read in place).
// Each result is also checked bit for bit against the scalar reference on the small shapes.
// OpenBLAS runs the core OPENBLAS_CORETYPE selects (printed); compare AVX-512 kernels with a SkylakeX core and
// AVX2 kernels with a Haswell/Zen core.
#include "qb_sgemm.h"
#include "qb_qgemm.h"
#include "qb_cpu.h"
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

char *openblas_get_corename(void);
void openblas_set_num_threads(int);

// CPU time of this thread: both GEMMs run on it (OpenBLAS at 1 thread), and time other processes take from the
// core is not counted, so the ratio holds on a shared machine (their cache traffic still counts).
static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

typedef struct { int M, N, K, transB, packOnce; const char *what; } shape_t;

int main(int argc, char **argv) {
    openblas_set_num_threads(1);
    const int reps = argc > 1 ? atoi(argv[1]) : 9;
    const int tiny = argc > 2 && strcmp(argv[2], "tiny") == 0;
    char brand[64];
    qb_cpu_brand(brand, sizeof brand);
    printf("cpu: %s; OpenBLAS core: %s; 1 thread; best of %d\n", brand, openblas_get_corename(), reps);
    const shape_t bert[] = {
        {1024, 768, 768, 1, 1, "linear (attention proj.)"}, {1024, 3072, 768, 1, 1, "linear (FFN up)"},
        {1024, 768, 3072, 1, 1, "linear (FFN down)"}, {128, 128, 64, 1, 0, "attention Q·Kᵀ"},
        {128, 64, 128, 0, 0, "attention P·V"},
    };
    const shape_t small[] = {{37, 45, 29, 1, 1, "tiny linear"}, {20, 24, 16, 0, 0, "tiny attention"}};
    const shape_t *shapes = tiny ? small : bert;
    const int nshapes = tiny ? 2 : 5;
    const char *families[] = {"avx512vnni", "avx2", "ref"};
    for (int s = 0; s < nshapes; s++) {
        const shape_t sh = shapes[s];
        const int M = sh.M, N = sh.N, K = sh.K, ldb = sh.transB ? K : N;
        float *A = malloc(sizeof(float) * M * K), *B = malloc(sizeof(float) * N * K);
        float *C = malloc(sizeof(float) * M * N), *R = malloc(sizeof(float) * M * N);
        srand(1);
        for (int i = 0; i < M * K; i++) A[i] = (float)((double)rand() / RAND_MAX - 0.5);
        for (int i = 0; i < N * K; i++) B[i] = (float)((double)rand() / RAND_MAX - 0.5);
        const double flop = 2.0 * M * N * K;
        double tb = 1e30;
        for (int r = 0; r < reps + 1; r++) {
            double t = now();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, sh.transB ? CblasTrans : CblasNoTrans, M, N, K, 1.0f, A, K, B, ldb,
                        0.0f, C, N);
            t = now() - t;
            if (r > 0 && t < tb) tb = t; // r = 0 warms up
        }
        printf("%-26s M=%4d N=%4d K=%4d  OpenBLAS %6.1f GFLOPS\n", sh.what, M, N, K, flop / tb * 1e-9);
        const int check = (double)M * N * K <= 2e7;
        if (check) qb_sgemm_ref(0, sh.transB, M, N, K, 1.0f, A, K, B, ldb, 0.0f, R, N);
        for (int f = 0; f < 3; f++) {
            if (!qb_qgemm_force_kernel(families[f])) continue;
            if (f == 2 && !tiny) continue; // the scalar reference is for correctness, not speed
            qb_packed_f32 *p = sh.packOnce ? qb_sgemm_pack_b(sh.transB, K, N, B, ldb) : NULL;
            double t0 = 1e30;
            for (int r = 0; r < reps + 1; r++) {
                double t = now();
                if (p) qb_sgemm_packed(0, M, 1.0f, A, K, p, 0.0f, C, N);
                else qb_sgemm(0, sh.transB, M, N, K, 1.0f, A, K, B, ldb, 0.0f, C, N);
                t = now() - t;
                if (r > 0 && t < t0) t0 = t;
            }
            const char *parity = !check ? "" : memcmp(C, R, sizeof(float) * M * N) == 0 ? "  bit-exact vs ref" : "  DIFFERS FROM REF";
            printf("    qb_sgemm %-12s %6.1f GFLOPS  ratio %.3f of OpenBLAS%s%s\n", qb_sgemm_kernel_name(),
                   flop / t0 * 1e-9, tb / t0, p ? " (B packed once)" : sh.transB ? " (B packed per call)" : " (B read in place)", parity);
            qb_packed_f32_free(p);
        }
        free(A); free(B); free(C); free(R);
    }
    return 0;
}
