// Hand-run benchmark (not a test): single-thread GOPS of the packed u8s8 GEMM vs OpenBLAS sgemm, same shapes.
//   Tools/kernels/bench.sh            (builds _CKernels' C files directly with clang -O3, like SwiftPM does)
//   Tools/kernels/bench.sh avx2 15   (kernel family, repetitions; best time is reported)
// GOPS counts 2·M·N·K operations (multiply + add), like GFLOPS for sgemm. "7-bit A" = activations 0..127
// (PyTorch reduce_range → vpmaddubsw path), "8-bit A" = 0..255 and s8s8 = −127..127 (exact int16 path).
#include "qb_qgemm.h"
#include "qb_cpu.h"
#include "qb_bf16.h"
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

static double best_of(int reps, void (*fn)(void *), void *ctx) {
    double best = 1e30;
    for (int r = 0; r < reps; r++) { double t = now(); fn(ctx); t = now() - t; if (t < best) best = t; }
    return best;
}

typedef struct { int M, N, K; uint8_t *A, *A7; qb_packed_s8 *P; int32_t *C; float *Af, *Bf, *Cf; int8_t *As; qb_requant_args rq; } ctx_t;
static void run_u8s8(void *p) { ctx_t *c = p; qb_qgemm_u8s8_packed(c->M, c->A, c->K, c->P, 0, c->N, c->C, c->N); }
static void run_u8s8_7(void *p) { ctx_t *c = p; qb_qgemm_u8s8_packed(c->M, c->A7, c->K, c->P, 0, c->N, c->C, c->N); }
static void run_u8s8_7_f32(void *p) { ctx_t *c = p; qb_qgemm_u8s8_packed_f32(c->M, c->A7, c->K, c->P, 0, c->N, &c->rq, c->Cf, c->N); }
static void run_s8s8(void *p) { ctx_t *c = p; qb_qgemm_s8s8_packed(c->M, c->As, c->K, c->P, 0, c->N, c->C, c->N); }
static qb_packed_bf16 *bf16_pack;
static void run_bf16(void *p) { ctx_t *c = p; qb_gemm_bf16_packed(c->M, c->Af, c->K, bf16_pack, 0, c->N, NULL, c->Cf, c->N); }
static void run_sgemm(void *p) {
    ctx_t *c = p;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, c->M, c->N, c->K, 1.0f, c->Af, c->K, c->Bf, c->K, 0.0f, c->Cf, c->N);
}

#if defined(__x86_64__)
// The peak this report assumes for the VNNI family: a loop of independent vpdpbusd on 24 zmm accumulators (no
// memory operands), 64 multiply-adds = 128 OPS per instruction, best of 5 — what the silicon gives one core.
__attribute__((target("avx512f,avx512bw,avx512vnni"))) static double vnni_peak_gops(void) {
    __m512i acc[24];
    for (int i = 0; i < 24; i++) acc[i] = _mm512_set1_epi32(i);
    __m512i a = _mm512_set1_epi32(0x01020304), b = _mm512_set1_epi32(0x01010101);
    const long iters = 4000000;
    double best = 1e30;
    for (int rep = 0; rep < 5; rep++) {
        double t = now();
        for (long it = 0; it < iters; it++) {
            for (int i = 0; i < 24; i++) acc[i] = _mm512_dpbusd_epi32(acc[i], a, b);
            __asm__ volatile("" : "+v"(a));
        }
        t = now() - t;
        if (t < best) best = t;
    }
    __m512i s = acc[0];
    for (int i = 1; i < 24; i++) s = _mm512_add_epi32(s, acc[i]);
    volatile int sink = _mm512_reduce_add_epi32(s);
    (void)sink;
    return (double)iters * 24 * 128 / best * 1e-9;
}
#endif

// The AMX-INT8 peak: TDPBSSD into 4 independent accumulator tiles (16 × 16 int32) from full 16 × 64-byte A/B tiles,
// 16·16·64 = 16384 multiply-adds = 32768 OPS per instruction, best of 5. Needs the OS permission (asked by
// qb_cpu_amx_permission) and a CPU with AMX; it is not measured elsewhere.
typedef struct { uint8_t palette, start; uint8_t reserved[14]; uint16_t colsb[16]; uint8_t rows[16]; } amx_cfg;
__attribute__((target("amx-tile,amx-int8"))) static double amx_peak_gops(void) {
    _Alignas(64) amx_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.palette = 1;
    for (int i = 0; i < 8; i++) { cfg.rows[i] = 16; cfg.colsb[i] = 64; }
    _Alignas(64) static int8_t buf[16 * 64];
    for (int i = 0; i < 16 * 64; i++) buf[i] = (int8_t)(i % 7 - 3);
    _tile_loadconfig(&cfg);
    _tile_loadd(4, buf, 64); _tile_loadd(5, buf, 64); _tile_loadd(6, buf, 64); _tile_loadd(7, buf, 64);
    _tile_zero(0); _tile_zero(1); _tile_zero(2); _tile_zero(3);
    const long iters = 2000000;
    double best = 1e30;
    for (int rep = 0; rep < 5; rep++) {
        double t = now();
        for (long it = 0; it < iters; it++) {
            _tile_dpbssd(0, 4, 6); _tile_dpbssd(1, 4, 7); _tile_dpbssd(2, 5, 6); _tile_dpbssd(3, 5, 7);
        }
        t = now() - t;
        if (t < best) best = t;
    }
    _Alignas(64) int32_t out[16 * 16];
    _tile_stored(0, out, 64);
    _tile_release();
    volatile int32_t sink = out[0];
    (void)sink;
    return (double)iters * 4 * 32768 / best * 1e-9;
}

int main(int argc, char **argv) {
    openblas_set_num_threads(1);
    const char *kern = argc > 1 ? argv[1] : NULL;
    const int reps = argc > 2 ? atoi(argv[2]) : 9;
    if (kern && strcmp(kern, "default") && !qb_qgemm_force_kernel(kern)) { fprintf(stderr, "kernel %s unsupported\n", kern); return 1; }
    char brand[64]; qb_cpu_brand(brand, sizeof brand);
    printf("cpu: %s, kernel: %s\n", brand, qb_qgemm_kernel_name());
    double peak = 0;
#if defined(__x86_64__)
    qb_cpu_features f;
    qb_cpu_detect(&f);
    if (strcmp(qb_qgemm_kernel_name(), "amx") == 0 && f.amx_int8 && qb_cpu_amx_permission() == 1) {
        peak = amx_peak_gops();
        printf("assumed peak: %.1f GOPS (1 core, TDPBSSD into 4 independent tiles); %% of peak below is of this\n", peak);
    } else if (f.avx512f && f.avx512bw && f.avx512_vnni) {
        peak = vnni_peak_gops();
        printf("assumed peak: %.1f GOPS (1 core, independent vpdpbusd zmm loop); %% of peak below is of this\n", peak);
    }
#endif
    int shapes[][3] = {{1024, 768, 768}, {1024, 3072, 768}, {1024, 768, 3072}, {128, 768, 768}};
    for (int s = 0; s < 4; s++) {
        ctx_t c = {shapes[s][0], shapes[s][1], shapes[s][2]};
        size_t MK = (size_t)c.M * c.K, NK = (size_t)c.N * c.K, MN = (size_t)c.M * c.N;
        c.A = malloc(MK); c.A7 = malloc(MK); c.As = malloc(MK); int8_t *B = malloc(NK); c.C = malloc(MN * 4);
        c.Af = malloc(MK * 4); c.Bf = malloc(NK * 4); c.Cf = malloc(MN * 4);
        srand(1);
        for (size_t i = 0; i < MK; i++) { c.A[i] = rand() & 255; c.A7[i] = c.A[i] & 127; c.As[i] = (int8_t)(rand() % 255 - 127); c.Af[i] = c.A[i]; }
        for (size_t i = 0; i < NK; i++) { B[i] = (int8_t)(rand() & 255); c.Bf[i] = B[i]; }
        c.P = qb_pack_s8(B, c.N, c.K, c.K);
        float a_scale = 0.01f, *w_scale = malloc(c.N * 4), *bias = malloc(c.N * 4);
        int32_t a_zp = 64;
        for (int n = 0; n < c.N; n++) { w_scale[n] = 1e-3f; bias[n] = 0.1f; }
        c.rq = (qb_requant_args){&a_scale, &a_zp, 0, w_scale, 1, bias};
        double ops = 2.0 * c.M * c.N * c.K;
        run_u8s8(&c); run_sgemm(&c);
        double t7 = best_of(reps, run_u8s8_7, &c), tu = best_of(reps, run_u8s8, &c), ts8 = best_of(reps, run_s8s8, &c);
        double tf = best_of(reps, run_sgemm, &c), t7f = best_of(reps, run_u8s8_7_f32, &c);
        bf16_pack = qb_pack_bf16(c.Bf, c.N, c.K, c.K);
        run_bf16(&c);
        double tb = best_of(reps, run_bf16, &c);
        printf("M=%4d N=%4d K=%4d  u8s8 7-bit A %6.1f GOPS (%.2fx sgemm)  + fused requant %6.1f  u8s8 8-bit A %6.1f (%.2fx)  s8s8 %6.1f (%.2fx)  sgemm %6.1f GFLOPS",
               c.M, c.N, c.K, ops / t7 * 1e-9, tf / t7, ops / t7f * 1e-9, ops / tu * 1e-9, tf / tu, ops / ts8 * 1e-9, tf / ts8, ops / tf * 1e-9);
        printf("  bf16 (%s) %6.1f GFLOPS (%.2fx sgemm)", qb_packed_bf16_kernel_name(bf16_pack), ops / tb * 1e-9, tf / tb);
        qb_packed_bf16_free(bf16_pack);
        if (peak > 0) printf("  [u8s8 %.0f%%, fused %.0f%% of peak]", 100 * ops / tu * 1e-9 / peak, 100 * ops / t7f * 1e-9 / peak);
        printf("\n");
        qb_packed_free(c.P); free(c.A); free(c.A7); free(c.As); free(B); free(c.C); free(c.Af); free(c.Bf); free(c.Cf);
        free(w_scale); free(bias);
    }
    return 0;
}
