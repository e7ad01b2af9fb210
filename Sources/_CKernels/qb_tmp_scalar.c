// TEMPORARY scalar stand-ins for every function of qb_qgemm.h, so the Quantization module can link and be tested
// before the real kernels (qb_*_ref + AVX2/AVX512-VNNI + qb_dispatch.c) land. Drop this file at merge.
// Plain C, no intrinsics; follows the header's semantics literally. Not tuned for speed.
#include "qb_qgemm.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#pragma STDC FP_CONTRACT OFF

// ---- Unpacked GEMMs -------------------------------------------------------------------------------------------
void qb_qgemm_u8s8_ref(int M, int N, int K, const uint8_t *A, int lda, const int8_t *B, int ldb, int32_t *C, int ldc) {
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            int32_t acc = 0;
            for (int k = 0; k < K; k++) acc += (int32_t)A[(size_t)m * lda + k] * (int32_t)B[(size_t)n * ldb + k];
            C[(size_t)m * ldc + n] = acc;
        }
}

void qb_qgemm_s8s8_ref(int M, int N, int K, const int8_t *A, int lda, const int8_t *B, int ldb, int32_t *C, int ldc) {
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            int32_t acc = 0;
            for (int k = 0; k < K; k++) acc += (int32_t)A[(size_t)m * lda + k] * (int32_t)B[(size_t)n * ldb + k];
            C[(size_t)m * ldc + n] = acc;
        }
}

// ---- Packed weights: here simply a dense copy of B plus its row sums -------------------------------------------
struct qb_packed_s8 {
    int n, k;
    int8_t *b;        // [n, k], ld = k
    int32_t *row_sum; // [n]
};

qb_packed_s8 *qb_pack_s8(const int8_t *B, int N, int K, int ldb) {
    qb_packed_s8 *p = calloc(1, sizeof(*p));
    if (!p) return NULL;
    p->n = N;
    p->k = K;
    p->b = malloc((size_t)N * (size_t)K + 1);
    p->row_sum = malloc(sizeof(int32_t) * (size_t)N + 1);
    if (!p->b || !p->row_sum) { qb_packed_free(p); return NULL; }
    for (int n = 0; n < N; n++) {
        int32_t s = 0;
        for (int k = 0; k < K; k++) {
            int8_t v = B[(size_t)n * ldb + k];
            p->b[(size_t)n * K + k] = v;
            s += v;
        }
        p->row_sum[n] = s;
    }
    return p;
}

void qb_packed_free(qb_packed_s8 *p) {
    if (!p) return;
    free(p->b);
    free(p->row_sum);
    free(p);
}

int qb_packed_n(const qb_packed_s8 *p) { return p->n; }
int qb_packed_k(const qb_packed_s8 *p) { return p->k; }
const int32_t *qb_packed_row_sums(const qb_packed_s8 *p) { return p->row_sum; }

void qb_qgemm_u8s8_packed(int M, const uint8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1, int32_t *C, int ldc) {
    int K = B->k;
    for (int m = 0; m < M; m++)
        for (int n = n0; n < n1; n++) {
            int32_t acc = 0;
            const int8_t *b = B->b + (size_t)n * K;
            const uint8_t *a = A + (size_t)m * lda;
            for (int k = 0; k < K; k++) acc += (int32_t)a[k] * (int32_t)b[k];
            C[(size_t)m * ldc + n] = acc;
        }
}

void qb_qgemm_s8s8_packed(int M, const int8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1, int32_t *C, int ldc) {
    int K = B->k;
    for (int m = 0; m < M; m++)
        for (int n = n0; n < n1; n++) {
            int32_t acc = 0;
            const int8_t *b = B->b + (size_t)n * K;
            const int8_t *a = A + (size_t)m * lda;
            for (int k = 0; k < K; k++) acc += (int32_t)a[k] * (int32_t)b[k];
            C[(size_t)m * ldc + n] = acc;
        }
}

// ---- Activation quantization --------------------------------------------------------------------------------
static int32_t qb_tmp_quantize_one(float x, float inv_scale, int32_t zero_point, int32_t qmin, int32_t qmax) {
    float t = x * inv_scale;
    float r = nearbyintf(t);            // default rounding mode: ties to even
    double v = (double)zero_point + (double)r;
    if (v < qmin) v = qmin;
    if (v > qmax) v = qmax;
    return (int32_t)v;
}

void qb_quantize_u8_ref(const float *x, int n, float inv_scale, int32_t zero_point, int32_t qmin, int32_t qmax, uint8_t *q) {
    for (int i = 0; i < n; i++) q[i] = (uint8_t)qb_tmp_quantize_one(x[i], inv_scale, zero_point, qmin, qmax);
}
void qb_quantize_s8_ref(const float *x, int n, float inv_scale, int32_t zero_point, int32_t qmin, int32_t qmax, int8_t *q) {
    for (int i = 0; i < n; i++) q[i] = (int8_t)qb_tmp_quantize_one(x[i], inv_scale, zero_point, qmin, qmax);
}
void qb_quantize_u8(const float *x, int n, float inv_scale, int32_t zero_point, int32_t qmin, int32_t qmax, uint8_t *q) {
    qb_quantize_u8_ref(x, n, inv_scale, zero_point, qmin, qmax, q);
}
void qb_quantize_s8(const float *x, int n, float inv_scale, int32_t zero_point, int32_t qmin, int32_t qmax, int8_t *q) {
    qb_quantize_s8_ref(x, n, inv_scale, zero_point, qmin, qmax, q);
}

void qb_minmax_f32_ref(const float *x, size_t n, float *min_out, float *max_out) {
    float lo = x[0], hi = x[0];
    for (size_t i = 1; i < n; i++) {
        if (x[i] < lo) lo = x[i];
        if (x[i] > hi) hi = x[i];
    }
    *min_out = lo;
    *max_out = hi;
}
void qb_minmax_f32(const float *x, size_t n, float *min_out, float *max_out) { qb_minmax_f32_ref(x, n, min_out, max_out); }

// ---- Requantization epilogue --------------------------------------------------------------------------------
void qb_requant_f32_ref(int M, int N, const int32_t *C, int ldc,
                        const float *a_scale, const int32_t *a_zp, int a_per_row,
                        const float *w_scale, const int32_t *w_row_sum, int w_per_channel,
                        const float *bias, float *out, int ldo) {
    for (int m = 0; m < M; m++) {
        int ma = a_per_row ? m : 0;
        for (int n = 0; n < N; n++) {
            int nw = w_per_channel ? n : 0;
            int32_t corrected = C[(size_t)m * ldc + n] - a_zp[ma] * w_row_sum[n];
            float s = a_scale[ma] * w_scale[nw];
            float v = (float)corrected * s;
            if (bias) v = v + bias[n];
            out[(size_t)m * ldo + n] = v;
        }
    }
}
void qb_requant_f32(int M, int N, const int32_t *C, int ldc,
                    const float *a_scale, const int32_t *a_zp, int a_per_row,
                    const float *w_scale, const int32_t *w_row_sum, int w_per_channel,
                    const float *bias, float *out, int ldo) {
    qb_requant_f32_ref(M, N, C, ldc, a_scale, a_zp, a_per_row, w_scale, w_row_sum, w_per_channel, bias, out, ldo);
}

// ---- binary16 -----------------------------------------------------------------------------------------------
static uint16_t qb_tmp_f32_to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t ax = x & 0x7FFFFFFFu;
    if (ax > 0x7F800000u) return (uint16_t)(sign | 0x7E00u);   // NaN
    if (ax == 0x7F800000u) return (uint16_t)(sign | 0x7C00u);  // ±inf stays inf
    // Saturate finite values beyond the largest half (65504) — PyTorch clamps fp16 dynamic weights likewise.
    if (ax >= 0x477FF000u) return (uint16_t)(sign | 0x7BFFu);  // >= 65520 would round to inf; 65504..65520 -> 65504
    uint32_t exp = ax >> 23;
    uint32_t mant = ax & 0x7FFFFFu;
    if (exp >= 113) {                                          // normal half (unbiased >= -14)
        uint32_t hexp = exp - 112;
        uint32_t m = mant >> 13;
        uint32_t rest = mant & 0x1FFFu;
        uint32_t h = (hexp << 10) | m;
        if (rest > 0x1000u || (rest == 0x1000u && (m & 1u))) h += 1;  // carry into exponent is correct
        if (h >= 0x7C00u) h = 0x7BFFu;
        return (uint16_t)(sign | h);
    }
    if (exp < 102) return sign;                                // below half of smallest subnormal (2^-25)
    // Subnormal half: value = mant24 * 2^(exp-150), unit 2^-24.
    uint32_t mant24 = mant | 0x800000u;
    uint32_t shift = 126 - exp;                                // 14..24
    uint32_t h = mant24 >> shift;
    uint32_t rest = mant24 & ((1u << shift) - 1u);
    uint32_t half = 1u << (shift - 1);
    if (rest > half || (rest == half && (h & 1u))) h += 1;
    return (uint16_t)(sign | h);
}

static float qb_tmp_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1Fu;
    uint32_t mant = h & 0x3FFu;
    uint32_t x;
    if (exp == 0) {
        if (mant == 0) x = sign;
        else {
            float v = ldexpf((float)mant, -24);
            memcpy(&x, &v, 4);
            x |= sign;
        }
    } else if (exp == 31) {
        x = sign | 0x7F800000u | (mant << 13);
    } else {
        x = sign | ((exp + 112) << 23) | (mant << 13);
    }
    float f;
    memcpy(&f, &x, 4);
    return f;
}

void qb_f32_to_f16_ref(const float *x, size_t n, uint16_t *h) { for (size_t i = 0; i < n; i++) h[i] = qb_tmp_f32_to_f16(x[i]); }
void qb_f32_to_f16(const float *x, size_t n, uint16_t *h) { qb_f32_to_f16_ref(x, n, h); }
void qb_f16_to_f32_ref(const uint16_t *h, size_t n, float *x) { for (size_t i = 0; i < n; i++) x[i] = qb_tmp_f16_to_f32(h[i]); }
void qb_f16_to_f32(const uint16_t *h, size_t n, float *x) { qb_f16_to_f32_ref(h, n, x); }

// ---- Introspection ------------------------------------------------------------------------------------------
const char *qb_qgemm_kernel_name(void) { return "ref"; }
int qb_qgemm_force_kernel(const char *name) { return name && strcmp(name, "ref") == 0; }
