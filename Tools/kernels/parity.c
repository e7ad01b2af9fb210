// Hand-run C parity check of every packed GEMM family this build can execute against the scalar reference.
// Used by vnni_emulated.sh to execute the AVX512-VNNI kernel through SIMDe on CPUs without AVX-512; the XCTest
// suite (Tests/KernelsTests) is the real test on real hardware.
#include "qb_qgemm.h"
#include "../../Sources/_CKernels/qb_kernels_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t rng = 12345;
static uint32_t next(void) { rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5; return rng; }

int main(int argc, char **argv) {
    int family = argc > 1 ? atoi(argv[1]) : QB_FAMILY_AVX2;
#ifdef QB_PARITY_VNNI_ONLY // linked without the AVX2 kernel (vnni_emulated.sh)
    family = QB_FAMILY_AVX512VNNI;
    qb_gemm_u8s8_packed_fn u8 = qb_qgemm_u8s8_packed_avx512vnni;
    qb_gemm_s8s8_packed_fn s8 = qb_qgemm_s8s8_packed_avx512vnni;
#else
    qb_gemm_u8s8_packed_fn u8 = family == QB_FAMILY_AVX512VNNI ? qb_qgemm_u8s8_packed_avx512vnni : qb_qgemm_u8s8_packed_avx2;
    qb_gemm_s8s8_packed_fn s8 = family == QB_FAMILY_AVX512VNNI ? qb_qgemm_s8s8_packed_avx512vnni : qb_qgemm_s8s8_packed_avx2;
#endif
    int dims[] = {1, 3, 17, 64, 127, 130, 257};
    int nd = sizeof dims / sizeof dims[0], fails = 0, cases = 0;
    // modes: 0 u8 full, 1 u8 7-bit, 2 s8 ±127, 3 s8 full, 4 extremes u8 255 × B −128, 5 extremes s8 −128 × −128
    for (int mode = 0; mode < 6; mode++)
    for (int im = 0; im < nd; im++) for (int in = 0; in < nd; in++) for (int ik = 0; ik < nd + 2; ik++) {
        int M = dims[im], N = dims[in], K = ik < nd ? dims[ik] : (ik == nd ? 0 : 1000 + mode);
        if (mode >= 4) K = ik < nd ? dims[ik] * 16 : 4096;
        uint8_t *A = malloc((size_t)M * K + 1); int8_t *B = malloc((size_t)N * K + 1);
        int32_t *C0 = malloc((size_t)M * N * 4), *C1 = malloc((size_t)M * N * 4);
        for (size_t i = 0; i < (size_t)M * K; i++) {
            uint32_t r = next();
            A[i] = mode == 0 ? r & 255 : mode == 1 ? r & 127 : mode == 2 ? (uint8_t)(int8_t)(r % 255 - 127)
                 : mode == 3 ? r & 255 : mode == 4 ? 255 : 0x80;
        }
        for (size_t i = 0; i < (size_t)N * K; i++) B[i] = mode >= 4 ? -128 : (int8_t)(next() & 255);
        qb_packed_s8 *P = qb_pack_s8_family(B, N, K, K, family);
        int n0 = N > 5 ? 3 : 0, n1 = N > 9 ? N - 2 : N;  // a sub-range too
        for (int sub = 0; sub < 2; sub++) {
            int a = sub ? n0 : 0, b = sub ? n1 : N;
            memset(C1, 0x5A, (size_t)M * N * 4);
            if (mode == 2 || mode == 3 || mode == 5) {
                qb_qgemm_s8s8_ref(M, N, K, (int8_t *)A, K, B, K, C0, N);
                s8(M, (int8_t *)A, K, P, a, b, C1, N);
            } else {
                qb_qgemm_u8s8_ref(M, N, K, A, K, B, K, C0, N);
                u8(M, A, K, P, a, b, C1, N);
            }
            for (int m = 0; m < M; m++) for (int n = 0; n < N; n++) {
                int32_t want = (n >= a && n < b) ? C0[m * N + n] : 0x5A5A5A5A;
                if (C1[m * N + n] != want) {
                    if (fails < 10) printf("FAIL mode %d M %d N %d K %d [%d,%d) at (%d,%d): %d vs %d\n", mode, M, N, K, a, b, m, n, C1[m * N + n], want);
                    fails++; goto next_case;
                }
            }
        next_case:
            cases++;
        }
        qb_packed_free(P); free(A); free(B); free(C0); free(C1);
    }
    printf("%d cases, %d failures (family %d)\n", cases, fails, family);
    return fails != 0;
}
