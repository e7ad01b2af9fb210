// The one place that chooses kernels (STYLE.md point 6). A kernel family is a row of function pointers: the int8
// GEMMs and every other kernel with an ISA variant (activation quantize, min/max, requantize, fp16 conversion, and
// the vector math of qb_vmath.h: GELU, masked softmax, LayerNorm). The active family is picked once from
// qb_cpu_detect() (pthread_once, so concurrent first calls are safe) and can be overridden by
// qb_qgemm_force_kernel for tests, which then switches every kernel of the row at once. Packed GEMMs run the
// family that made the pack.
//
// Families: "amx" (AMX-TILE + AMX-INT8 GEMMs, with the OS permission for tile data granted; the rest as
//           "avx512vnni", whose ISA every AMX CPU has),
//           "avx512vnni" (AVX512F/BW/VL/DQ + VNNI; activation quantize, min/max, GELU and softmax on AVX-512 —
//           bit-identical with the AVX2 versions —, the other non-GEMM kernels on AVX2/FMA/F16C),
//           "avx2" (AVX2 + FMA + F16C), "ref" (portable C, the scalar references), and
//           "amx_emu" (the AMX GEMM source on the portable intrinsics of qb_amx_emu.h, the rest ref; runs anywhere)
//           and "avx512vnni_emu" (the "avx512vnni" row with each of its AVX-512 kernel files — VNNI GEMM,
//           quantize and min/max, GELU and softmax, the FP32 micro-kernel, the fused attention — compiled against
//           qb_avx512_emu.h instead, the AVX2 kernels native; so it needs the avx2 family's CPU and gives the
//           avx512vnni family's bits there): never chosen by default, only forced (tests, or QBENCH_KERNEL=amx_emu
//           to run a whole model through the AMX kernel's logic).
// Deterministic FP32 (qb_sgemm.h, the `_det` vector math): "ref" and "amx_emu" scalar, "avx2" AVX2, "avx512vnni"
// and "amx" an AVX-512F GEMM micro-kernel with the AVX2 vector math, "avx512vnni_emu" the same micro-kernel
// emulated; all bit-identical by construction and test. The fused FP32 attention (qb_attention.h, both numerics
// modes) follows the same columns: "ref" and "amx_emu" scalar, "avx2" AVX2, "avx512vnni" and "amx" AVX-512F,
// "avx512vnni_emu" that AVX-512F kernel emulated, each with the family's softmax.
// Default: the first supported of amx, avx512vnni, avx2, ref. The environment variable QBENCH_KERNEL, read once
// here, forces a family by name; an unknown or unsupported name keeps the default (qb_qgemm_env_status says so).
#include "qb_kernels_internal.h"
#include "qb_cpu.h"
#include "qb_vmath.h"
#include "qb_sgemm.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef struct qb_family {
    const char *name;
    qb_gemm_u8s8_packed_fn u8s8_packed;
    qb_gemm_s8s8_packed_fn s8s8_packed;
    qb_gemm_u8s8_packed_f32_fn u8s8_packed_f32;
    qb_gemm_s8s8_packed_f32_fn s8s8_packed_f32;
    void (*quantize_u8)(const float *, int, float, int32_t, int32_t, int32_t, uint8_t *);
    void (*quantize_s8)(const float *, int, float, int32_t, int32_t, int32_t, int8_t *);
    void (*minmax)(const float *, size_t, float *, float *);
    void (*requant)(int, int, const int32_t *, int, const float *, const int32_t *, int, const float *,
                    const int32_t *, int, const float *, float *, int);
    void (*to_f16)(const float *, size_t, uint16_t *);
    void (*from_f16)(const uint16_t *, size_t, float *);
    const char *vmath_name; // suffix of the vector-math kernels below (qb_vmath_kernel_name)
    void (*gelu_erf)(float *, size_t);
    void (*softmax_masked)(float *, size_t, float, const float *);
    void (*add_layernorm)(float *, const float *, size_t, size_t, const float *, const float *, float);
    // Deterministic FP32 (`numerics: reproducible`): GEMM micro-kernel (qb_sgemm.h) and the `_det` vector math.
    const char *sgemm_name;
    qb_sgemm_micro_fn sgemm_micro;
    int sgemm_pw; // 16-column panels per micro-tile
    void (*gelu_erf_det)(float *, size_t);
    void (*gelu_tanh_det)(float *, size_t);
    void (*tanh_det)(float *, size_t);
    void (*softmax_masked_det)(float *, size_t, float, const float *);
    void (*add_layernorm_det)(float *, const float *, size_t, size_t, const float *, const float *, float);
    // Fused FP32 attention (qb_attention.h), either numerics mode: its matmuls are the deterministic FMA chains.
    const char *attention_name;
    qb_attention_fn attention;
} qb_family;

#define QB_DET_REF "scalar", qb_sgemm_micro_ref, 1, qb_gelu_erf_f32_det_ref, qb_gelu_tanh_f32_det_ref, \
    qb_tanh_f32_det_ref, qb_softmax_masked_f32_det_ref, qb_add_layernorm_f32_det_ref, "scalar", qb_attention_f32_ref
#define QB_DET_AVX2 "avx2-6x16", qb_sgemm_micro_avx2, 1, qb_gelu_erf_f32_det_avx2, qb_gelu_tanh_f32_det_avx2, \
    qb_tanh_f32_det_avx2, qb_softmax_masked_f32_det_avx2, qb_add_layernorm_f32_det_avx2, "avx2-6x16", \
    qb_attention_f32_avx2
#define QB_DET_AVX512 "avx512-6x32", qb_sgemm_micro_avx512, 2, qb_gelu_erf_f32_det_avx2, qb_gelu_tanh_f32_det_avx2, \
    qb_tanh_f32_det_avx2, qb_softmax_masked_f32_det_avx2, qb_add_layernorm_f32_det_avx2, "avx512-8x32", \
    qb_attention_f32_avx512
#define QB_DET_AVX512_EMU "avx512_emu-6x32", qb_sgemm_micro_avx512_emu, 2, qb_gelu_erf_f32_det_avx2, \
    qb_gelu_tanh_f32_det_avx2, qb_tanh_f32_det_avx2, qb_softmax_masked_f32_det_avx2, qb_add_layernorm_f32_det_avx2, \
    "avx512_emu-8x32", qb_attention_f32_avx512_emu

#if QB_X86
// Without compiler support for AMX the "amx" row points at the emulated kernels and is never supported.
#if QB_HAVE_AMX
#define QB_AMX_U8S8 qb_qgemm_u8s8_packed_amx
#define QB_AMX_S8S8 qb_qgemm_s8s8_packed_amx
#define QB_AMX_U8S8_F32 qb_qgemm_u8s8_packed_f32_amx
#define QB_AMX_S8S8_F32 qb_qgemm_s8s8_packed_f32_amx
#else
#define QB_AMX_U8S8 qb_qgemm_u8s8_packed_amx_emu
#define QB_AMX_S8S8 qb_qgemm_s8s8_packed_amx_emu
#define QB_AMX_U8S8_F32 qb_qgemm_u8s8_packed_f32_amx_emu
#define QB_AMX_S8S8_F32 qb_qgemm_s8s8_packed_f32_amx_emu
#endif
#endif

// Indexed by enum qb_family_id.
static const qb_family qb_families[] = {
    {"ref", qb_qgemm_u8s8_packed_ref, qb_qgemm_s8s8_packed_ref, qb_qgemm_u8s8_packed_f32_ref,
     qb_qgemm_s8s8_packed_f32_ref, qb_quantize_u8_ref, qb_quantize_s8_ref,
     qb_minmax_f32_ref, qb_requant_f32_ref, qb_f32_to_f16_ref, qb_f16_to_f32_ref,
     "ref", qb_gelu_erf_f32_ref, qb_softmax_masked_f32_ref, qb_add_layernorm_f32_ref, QB_DET_REF},
#if QB_X86
    {"avx2", qb_qgemm_u8s8_packed_avx2, qb_qgemm_s8s8_packed_avx2, qb_qgemm_u8s8_packed_f32_avx2,
     qb_qgemm_s8s8_packed_f32_avx2, qb_quantize_u8_avx2,
     qb_quantize_s8_avx2, qb_minmax_f32_avx2, qb_requant_f32_avx2, qb_f32_to_f16_avx2, qb_f16_to_f32_avx2,
     "avx2", qb_gelu_erf_f32_avx2, qb_softmax_masked_f32_avx2, qb_add_layernorm_f32_avx2, QB_DET_AVX2},
    {"avx512vnni", qb_qgemm_u8s8_packed_avx512vnni, qb_qgemm_s8s8_packed_avx512vnni,
     qb_qgemm_u8s8_packed_f32_avx512vnni, qb_qgemm_s8s8_packed_f32_avx512vnni,
     qb_quantize_u8_avx512, qb_quantize_s8_avx512, qb_minmax_f32_avx512, qb_requant_f32_avx2, qb_f32_to_f16_avx2,
     qb_f16_to_f32_avx2,
     "avx512", qb_gelu_erf_f32_avx512, qb_softmax_masked_f32_avx512, qb_add_layernorm_f32_avx2, QB_DET_AVX512},
    {"amx", QB_AMX_U8S8, QB_AMX_S8S8, QB_AMX_U8S8_F32, QB_AMX_S8S8_F32,
     qb_quantize_u8_avx512, qb_quantize_s8_avx512, qb_minmax_f32_avx512, qb_requant_f32_avx2, qb_f32_to_f16_avx2,
     qb_f16_to_f32_avx2,
     "avx512", qb_gelu_erf_f32_avx512, qb_softmax_masked_f32_avx512, qb_add_layernorm_f32_avx2, QB_DET_AVX512},
    {"amx_emu", qb_qgemm_u8s8_packed_amx_emu, qb_qgemm_s8s8_packed_amx_emu, qb_qgemm_u8s8_packed_f32_amx_emu,
     qb_qgemm_s8s8_packed_f32_amx_emu, qb_quantize_u8_ref, qb_quantize_s8_ref,
     qb_minmax_f32_ref, qb_requant_f32_ref, qb_f32_to_f16_ref, qb_f16_to_f32_ref,
     "ref", qb_gelu_erf_f32_ref, qb_softmax_masked_f32_ref, qb_add_layernorm_f32_ref, QB_DET_REF},
    {"avx512vnni_emu", qb_qgemm_u8s8_packed_avx512vnni_emu, qb_qgemm_s8s8_packed_avx512vnni_emu,
     qb_qgemm_u8s8_packed_f32_avx512vnni_emu, qb_qgemm_s8s8_packed_f32_avx512vnni_emu,
     qb_quantize_u8_avx512_emu, qb_quantize_s8_avx512_emu, qb_minmax_f32_avx512_emu, qb_requant_f32_avx2,
     qb_f32_to_f16_avx2, qb_f16_to_f32_avx2,
     "avx512_emu", qb_gelu_erf_f32_avx512_emu, qb_softmax_masked_f32_avx512_emu, qb_add_layernorm_f32_avx2,
     QB_DET_AVX512_EMU},
#endif
};
#define QB_NFAMILIES ((int)(sizeof(qb_families) / sizeof(qb_families[0])))

static int qb_family_supported(int i, const qb_cpu_features *f) {
    if (i == QB_FAMILY_REF) return 1;
    int avx2 = f->avx2 && f->fma && f->f16c;
    if (i == QB_FAMILY_AVX2) return avx2;
    const int avx512 = avx2 && f->avx512f && f->avx512bw && f->avx512vl && f->avx512dq;
    if (i == QB_FAMILY_AVX512VNNI) return avx512 && f->avx512_vnni;
    // The OS permission is asked for only here, and only on a CPU with AMX (qb_cpu_amx_permission). The family's
    // other kernels are the AVX-512 ones (every AMX CPU has AVX-512).
    if (i == QB_FAMILY_AMX) return QB_HAVE_AMX && avx512 && f->amx_tile && f->amx_int8 && qb_cpu_amx_permission() == 1;
    if (i == QB_FAMILY_AMX_EMU) return 1;
    if (i == QB_FAMILY_AVX512VNNI_EMU) return avx2; // its AVX2 kernels run natively
    return 0;
}

static _Atomic(const qb_family *) qb_active;
static pthread_once_t qb_once = PTHREAD_ONCE_INIT;
static qb_cpu_features qb_features;

static int qb_env_status; // QBENCH_KERNEL: 0 unset, 1 applied, -1 unknown name, -2 unsupported here
static int qb_env_family = -1; // the family QBENCH_KERNEL applied, or -1

static int qb_family_index(const char *name) {
    for (int i = 0; i < QB_NFAMILIES; i++)
        if (strcmp(name, qb_families[i].name) == 0) return i;
    return -1;
}

static void qb_dispatch_init(void) {
    qb_cpu_detect(&qb_features);
    static const int preference[] = {QB_FAMILY_AMX, QB_FAMILY_AVX512VNNI, QB_FAMILY_AVX2, QB_FAMILY_REF};
    const qb_family *best = &qb_families[QB_FAMILY_REF];
    for (size_t j = 0; j < sizeof(preference) / sizeof(preference[0]); j++)
        if (preference[j] < QB_NFAMILIES && qb_family_supported(preference[j], &qb_features)) {
            best = &qb_families[preference[j]];
            break;
        }
    const char *env = getenv("QBENCH_KERNEL");
    if (env && *env) {
        int i = qb_family_index(env);
        if (i < 0) qb_env_status = -1;
        else if (!qb_family_supported(i, &qb_features)) qb_env_status = -2;
        else { best = &qb_families[i]; qb_env_status = 1; qb_env_family = i; }
    }
    atomic_store(&qb_active, best);
}

static inline const qb_family *qb_family_active(void) {
    pthread_once(&qb_once, qb_dispatch_init);
    return atomic_load_explicit(&qb_active, memory_order_acquire);
}

static inline const qb_family *qb_family_for(const qb_packed_s8 *p) {
    return (p->family >= 0 && p->family < QB_NFAMILIES) ? &qb_families[p->family] : &qb_families[QB_FAMILY_REF];
}

const char *qb_qgemm_kernel_name(void) { return qb_family_active()->name; }

int qb_qgemm_force_kernel(const char *name) {
    qb_family_active();
    int i = qb_family_index(name);
    if (i < 0 || !qb_family_supported(i, &qb_features)) return 0;
    atomic_store(&qb_active, &qb_families[i]);
    return 1;
}

int qb_qgemm_env_status(void) {
    qb_family_active();
    return qb_env_status;
}

qb_packed_s8 *qb_pack_s8(const int8_t *B, int N, int K, int ldb) {
    return qb_pack_s8_family(B, N, K, ldb, (int)(qb_family_active() - qb_families));
}

// [n0, n1) is clipped to [0, N): a range past the matrix writes nothing rather than out of bounds.
void qb_qgemm_u8s8_packed(int M, const uint8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1, int32_t *C, int ldc) {
    if (n0 < 0) n0 = 0;
    if (n1 > B->n) n1 = B->n;
    qb_family_for(B)->u8s8_packed(M, A, lda, B, n0, n1, C, ldc);
}

void qb_qgemm_s8s8_packed(int M, const int8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1, int32_t *C, int ldc) {
    if (n0 < 0) n0 = 0;
    if (n1 > B->n) n1 = B->n;
    qb_family_for(B)->s8s8_packed(M, A, lda, B, n0, n1, C, ldc);
}


void qb_qgemm_u8s8_packed_f32(int M, const uint8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1,
                              const qb_requant_args *rq, float *out, int ldo) {
    qb_family_for(B)->u8s8_packed_f32(M, A, lda, B, n0, n1, rq, out, ldo);
}

void qb_qgemm_s8s8_packed_f32(int M, const int8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1,
                              const qb_requant_args *rq, float *out, int ldo) {
    qb_family_for(B)->s8s8_packed_f32(M, A, lda, B, n0, n1, rq, out, ldo);
}

void qb_quantize_u8(const float *x, int n, float inv_scale, int32_t zero_point, int32_t qmin, int32_t qmax, uint8_t *q) {
    qb_family_active()->quantize_u8(x, n, inv_scale, zero_point, qmin, qmax, q);
}

void qb_quantize_s8(const float *x, int n, float inv_scale, int32_t zero_point, int32_t qmin, int32_t qmax, int8_t *q) {
    qb_family_active()->quantize_s8(x, n, inv_scale, zero_point, qmin, qmax, q);
}

void qb_minmax_f32(const float *x, size_t n, float *min_out, float *max_out) {
    qb_family_active()->minmax(x, n, min_out, max_out);
}

void qb_requant_f32(int M, int N, const int32_t *C, int ldc,
                    const float *a_scale, const int32_t *a_zp, int a_per_row,
                    const float *w_scale, const int32_t *w_row_sum, int w_per_channel,
                    const float *bias, float *out, int ldo) {
    qb_family_active()->requant(M, N, C, ldc, a_scale, a_zp, a_per_row, w_scale, w_row_sum, w_per_channel, bias, out, ldo);
}

void qb_f32_to_f16(const float *x, size_t n, uint16_t *h) { qb_family_active()->to_f16(x, n, h); }
void qb_f16_to_f32(const uint16_t *h, size_t n, float *x) { qb_family_active()->from_f16(h, n, x); }

void qb_gelu_erf_f32(float *x, size_t n) { qb_family_active()->gelu_erf(x, n); }

void qb_softmax_masked_f32(float *x, size_t n, float scale, const float *keep) {
    qb_family_active()->softmax_masked(x, n, scale, keep);
}

void qb_add_layernorm_f32(float *x, const float *residual, size_t rows, size_t width, const float *gamma,
                          const float *beta, float eps) {
    qb_family_active()->add_layernorm(x, residual, rows, width, gamma, beta, eps);
}

const char *qb_vmath_kernel_name(void) { return qb_family_active()->vmath_name; }

// ---- bfloat16 GEMM: the kernel is chosen when weights are packed, from the active family and the CPU --------------
// "ref" family → reference; "avx512vnni_emu" → the AVX512-BF16 kernel on emulated intrinsics; "amx_emu" → the
// AMX-BF16 kernel on emulated intrinsics; the "amx" family chosen by QBENCH_KERNEL=amx on a CPU with AMX-BF16 → the
// native AMX-BF16 kernel (the family implies AMX-TILE and the XTILEDATA permission); any other family on a CPU with
// AVX512-BF16 → the native AVX512-BF16 kernel; else the reference. The AMX kernel is not the default on AMX CPUs
// because its numerics are TDPBF16PS's, not the scheme reference's (qb_bf16.h). The pack remembers its kernel.
static int qb_bf16_can_run(int kernel) {
    switch (kernel) {
    case QB_BF16_REF: return 1;
#if QB_X86
    case QB_BF16_AVX512_EMU: case QB_BF16_AMX_EMU: return 1;
    case QB_BF16_AVX512: return qb_features.avx512f && qb_features.avx512_bf16;
    case QB_BF16_AMX:
        return QB_HAVE_AMX && qb_features.amx_tile && qb_features.amx_bf16 && qb_cpu_amx_permission() == 1;
#endif
    default: return 0;
    }
}

static int qb_bf16_kernel_for_active(void) {
    const qb_family *f = qb_family_active();
    const int i = (int)(f - qb_families);
    if (i == QB_FAMILY_REF) return QB_BF16_REF;
    if (i == QB_FAMILY_AMX_EMU) return QB_BF16_AMX_EMU;
    if (i == QB_FAMILY_AVX512VNNI_EMU) return QB_BF16_AVX512_EMU;
    if (i == QB_FAMILY_AMX && qb_env_family == QB_FAMILY_AMX && qb_bf16_can_run(QB_BF16_AMX)) return QB_BF16_AMX;
    return qb_bf16_can_run(QB_BF16_AVX512) ? QB_BF16_AVX512 : QB_BF16_REF;
}

const char *qb_bf16_kernel_name(void) { return qb_bf16_kernel_id_name(qb_bf16_kernel_for_active()); }

qb_packed_bf16 *qb_pack_bf16(const float *W, int N, int K, int ldw) {
    return qb_pack_bf16_kernel(W, N, K, ldw, qb_bf16_kernel_for_active());
}

qb_packed_bf16 *qb_pack_bf16_for_kernel(const float *W, int N, int K, int ldw, const char *kernel) {
    qb_family_active(); // CPU features
    for (int id = QB_BF16_REF; id <= QB_BF16_AMX_EMU; id++)
        if (strcmp(kernel, qb_bf16_kernel_id_name(id)) == 0)
            return qb_bf16_can_run(id) ? qb_pack_bf16_kernel(W, N, K, ldw, id) : NULL;
    return NULL;
}

void qb_gemm_bf16_packed(int M, const float *A, int lda, const qb_packed_bf16 *W, int n0, int n1, const float *bias,
                         float *out, int ldo) {
    switch (W->kernel) {
#if QB_X86
    case QB_BF16_AVX512: qb_gemm_bf16_packed_avx512bf16(M, A, lda, W, n0, n1, bias, out, ldo); return;
    case QB_BF16_AVX512_EMU: qb_gemm_bf16_packed_avx512bf16_emu(M, A, lda, W, n0, n1, bias, out, ldo); return;
    case QB_BF16_AMX_EMU: qb_gemm_bf16_packed_amx_emu(M, A, lda, W, n0, n1, bias, out, ldo); return;
#if QB_HAVE_AMX
    case QB_BF16_AMX: qb_gemm_bf16_packed_amx(M, A, lda, W, n0, n1, bias, out, ldo); return;
#endif
#endif
    default: qb_gemm_bf16_packed_ref(M, A, lda, W, n0, n1, bias, out, ldo); return;
    }
}

void qb_gelu_erf_f32_det(float *x, size_t n) { qb_family_active()->gelu_erf_det(x, n); }
void qb_gelu_tanh_f32_det(float *x, size_t n) { qb_family_active()->gelu_tanh_det(x, n); }
void qb_tanh_f32_det(float *x, size_t n) { qb_family_active()->tanh_det(x, n); }

void qb_softmax_masked_f32_det(float *x, size_t n, float scale, const float *keep) {
    qb_family_active()->softmax_masked_det(x, n, scale, keep);
}

void qb_add_layernorm_f32_det(float *x, const float *residual, size_t rows, size_t width, const float *gamma,
                              const float *beta, float eps) {
    qb_family_active()->add_layernorm_det(x, residual, rows, width, gamma, beta, eps);
}

const char *qb_sgemm_kernel_name(void) { return qb_family_active()->sgemm_name; }

void qb_sgemm_packed(int trans_a, int M, float alpha, const float *A, int lda, const qb_packed_f32 *B, float beta,
                     float *C, int ldc) {
    const qb_family *f = qb_family_active();
    const qb_sgemm_bview v = qb_sgemm_view_packed(B);
    qb_sgemm_drive(f->sgemm_micro, f->sgemm_pw, trans_a, M, alpha, A, lda, &v, beta, C, ldc);
}

int qb_sgemm_packed_family(const char *family, int trans_a, int M, float alpha, const float *A, int lda,
                           const qb_packed_f32 *B, float beta, float *C, int ldc) {
    qb_family_active();
    const int i = qb_family_index(family);
    if (i < 0 || !qb_family_supported(i, &qb_features)) return 0;
    const qb_sgemm_bview v = qb_sgemm_view_packed(B);
    qb_sgemm_drive(qb_families[i].sgemm_micro, qb_families[i].sgemm_pw, trans_a, M, alpha, A, lda, &v, beta, C, ldc);
    return 1;
}

int qb_sgemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
             int ldb, float beta, float *C, int ldc) {
    const qb_family *f = qb_family_active();
    return qb_sgemm_micro_run(f->sgemm_micro, f->sgemm_pw, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C,
                              ldc);
}

// ---- Fused FP32 attention (qb_attention.h): the family's version with its deterministic or fast softmax -----------
void qb_attention_f32(const qb_attention_args *a, int det, float *scratch) {
    const qb_family *f = qb_family_active();
    f->attention(a, det ? f->softmax_masked_det : f->softmax_masked, scratch);
}

const char *qb_attention_kernel_name(void) { return qb_family_active()->attention_name; }

int qb_attention_f32_version(const char *version, const qb_attention_args *a, int det, float *scratch) {
    const qb_family *f = qb_family_active();
    qb_attention_fn fn = strcmp(version, "ref") == 0 ? qb_attention_f32_ref : NULL;
#if QB_X86
    if (strcmp(version, "avx2") == 0 && qb_family_supported(QB_FAMILY_AVX2, &qb_features)) fn = qb_attention_f32_avx2;
    if (strcmp(version, "avx512") == 0 && qb_features.avx512f && qb_family_supported(QB_FAMILY_AVX2, &qb_features))
        fn = qb_attention_f32_avx512;
    if (strcmp(version, "avx512_emu") == 0) fn = qb_attention_f32_avx512_emu;
#endif
    if (!fn) return 0;
    fn(a, det ? f->softmax_masked_det : f->softmax_masked, scratch);
    return 1;
}
