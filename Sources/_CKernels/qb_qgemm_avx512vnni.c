// AVX512-VNNI packed int8 GEMM. vpdpbusd multiplies 4 adjacent unsigned bytes of one operand by 4 signed bytes of
// the other, sums the four int32 products and adds them to the int32 accumulator, with no intermediate
// saturation (that is vpdpbusds) — so u8·s8 is exact for every input, as in the reference.
//
// s8·s8 (Q8BERT's symmetric activations): A is shifted into u8 by a + 128 (xor 0x80), and
//   Σ_k (a+128)·b − 128·Σ_k b = Σ_k a·b   exactly in wrapping int32; Σ_k b is the pack's row sum.
//
// Blocking (one thread; callers split M or [n0, n1) across threads): for each QB_VMC rows × QB_KCQ k-quads of A,
// that block of A is copied into a stack buffer (4 bytes per int32 slot, so one vpbroadcastd feeds a row), then
// the B micro-panels (3 × 16 columns, contiguous k-quads) are swept with a register tile of 8 rows × 48 columns
// (24 zmm accumulators + 3 B + 1 A of 32 registers). The accumulators live in a tile local to the micro-kernel:
// a tile that escapes into the caller inside the k loop is spilled to the stack on every iteration (3x slower).
//
// qb_qgemm_*_packed_f32_avx512vnni apply the requantization epilogue to the accumulators as they are stored (the
// same operations, in the same order, as qb_requant_f32_ref / _avx2: int32 zero-point correction, cvtdq2ps, one
// multiply by a_scale·w_scale, a separate bias add), so no int32 [M, N] buffer is written and read back. When K
// spans several blocks, the partial sums of one M block wait in a small buffer until the last block.
//
// The same source compiles twice: natively (per-function target attributes) and as the "avx512vnni_emu" family
// (qb_qgemm_avx512vnni_emu.c defines QB_VNNI_EMULATE): qb_avx512_emu.h implements the intrinsics used here in
// portable C, so this kernel runs — and is tested bit-exact against `_ref` — on CPUs without AVX-512 (AMD Zen 3).
#include "qb_kernels_internal.h"
#include <stdlib.h>
#if QB_X86
#if defined(QB_VNNI_EMULATE)
#include "qb_avx512_emu.h"
#define QB_VNNI_TARGET
#define QB_VNNI_FN(name) name##_avx512vnni_emu
#else
#include <immintrin.h>
#define QB_VNNI_TARGET QB_TARGET_AVX512VNNI
#define QB_VNNI_FN(name) name##_avx512vnni
#endif

#define QB_VMR 8
#define QB_VNV 3
#define QB_VMC 64
#ifndef QB_KCQ
#define QB_KCQ 192
#endif
#define QB_VINLINE static inline __attribute__((always_inline))

static inline int qb_vmin(int a, int b) { return a < b ? a : b; }
static inline int qb_vmax(int a, int b) { return a > b ? a : b; }

// Rows [m0, m0+mc) of A, k in [4·kq0, 4·(kq0+kqc)) ∩ [0, K) → bytes (xor 0x80 when signed), zero-padded;
// row r at abuf + r·QB_KCQ (one int32 = one k-quad).
static void qb_vnni_convert_a(const uint8_t *A, int lda, int a_signed, int K, int m0, int mc, int kq0, int kqc,
                              int32_t *abuf) {
    const uint8_t flip = a_signed ? 0x80 : 0x00;
    for (int r = 0; r < mc; r++) {
        const uint8_t *src = A + (size_t)(m0 + r) * lda;
        uint8_t *dst = (uint8_t *)(abuf + (size_t)r * QB_KCQ);
        int k = 4 * kq0, kend = qb_vmin(K, 4 * (kq0 + kqc)), j = 0;
        for (; k < kend; k++, j++) dst[j] = src[k] ^ flip;
        for (; j < 4 * kqc; j++) dst[j] = 0;
    }
}

QB_VINLINE QB_VNNI_TARGET void qb_vnni_ukernel(const int mr, const int nv, int kqc, const int32_t *a,
                                              const int8_t *b, size_t panel_stride, __m512i acc[QB_VMR][QB_VNV]) {
    __m512i t[QB_VMR][QB_VNV];
    for (int r = 0; r < QB_VMR; r++)
        for (int v = 0; v < QB_VNV; v++) t[r][v] = _mm512_setzero_si512();
    const int8_t *b0 = b, *b1 = b + panel_stride, *b2 = b + 2 * panel_stride;
    for (int kq = 0; kq < kqc; kq++) {
        __m512i bv[QB_VNV];
        bv[0] = _mm512_load_si512((const void *)(b0 + (size_t)kq * 64));
        if (nv > 1) bv[1] = _mm512_load_si512((const void *)(b1 + (size_t)kq * 64));
        if (nv > 2) bv[2] = _mm512_load_si512((const void *)(b2 + (size_t)kq * 64));
        for (int r = 0; r < mr; r++) {
            __m512i av = _mm512_set1_epi32(a[(size_t)r * QB_KCQ + kq]); // 4 unsigned activation bytes
            for (int v = 0; v < nv; v++) t[r][v] = _mm512_dpbusd_epi32(t[r][v], av, bv[v]);
        }
    }
    for (int r = 0; r < mr; r++)
        for (int v = 0; v < nv; v++) acc[r][v] = t[r][v];
}

// Where the driver puts each finished (or partial) 16-column vector of int32 sums: the int32 C of
// qb_qgemm_*_packed, or — for qb_qgemm_*_packed_f32 — the requantization epilogue straight into float `out`.
// Fused with K split into blocks, partial sums wait in `part` (row r of the current M block, column n − pbase;
// whole panels, 64-byte aligned) until the last block.
typedef struct qb_vnni_sink {
    int32_t *C;
    int ldc;
    const qb_requant_args *rq; // NULL: integer output
    const int32_t *row_sums;
    float *out;
    int ldo;
    int32_t *part;
    int ldp, pbase;
} qb_vnni_sink;


// The float epilogue's per-column operands for the 16 columns at nb (lanes `k`) and the activation parameters of
// row m: zp·Σ_k b (when the zero point is not 0), the multiplier a_scale·w_scale and the bias.
typedef struct qb_vnni_epi {
    int has_zp, has_bias;
    __m512i zp_rs;
    __m512 mult, bias;
} qb_vnni_epi;

QB_VINLINE QB_VNNI_TARGET qb_vnni_epi qb_vnni_epilogue(const qb_vnni_sink *s, int m, int nb, int full, __mmask16 k) {
    const qb_requant_args *rq = s->rq;
    const int mi = rq->a_per_row ? m : 0;
    const float as = rq->a_scale[mi];
    const int32_t zp = rq->a_zp ? rq->a_zp[mi] : 0;
    qb_vnni_epi e;
    e.has_zp = zp != 0;
    e.has_bias = rq->bias != NULL;
    e.zp_rs = _mm512_setzero_si512();
    if (zp) {
        const __m512i rs = full ? _mm512_loadu_si512((const void *)(s->row_sums + nb))
                                : _mm512_maskz_loadu_epi32(k, s->row_sums + nb);
        e.zp_rs = _mm512_mullo_epi32(_mm512_set1_epi32(zp), rs);
    }
    if (rq->w_per_channel)
        e.mult = _mm512_mul_ps(_mm512_set1_ps(as), full ? _mm512_loadu_ps(rq->w_scale + nb)
                                                         : _mm512_maskz_loadu_ps(k, rq->w_scale + nb));
    else
        e.mult = _mm512_set1_ps(as * rq->w_scale[0]);
    e.bias = _mm512_set1_ps(0.0f);
    if (rq->bias) e.bias = full ? _mm512_loadu_ps(rq->bias + nb) : _mm512_maskz_loadu_ps(k, rq->bias + nb);
    return e;
}

// out[m, nb + j] for the lanes of `k`: the operations of qb_requant_f32_ref, in its order — int32 correction,
// int32 → float, one multiply, then a separate bias add (skipped without bias, so −0 stays −0).
QB_VINLINE QB_VNNI_TARGET void qb_vnni_requant16(const qb_vnni_sink *s, const qb_vnni_epi *e, __m512i x, int m,
                                                int nb, int full, __mmask16 k) {
    if (e->has_zp) x = _mm512_sub_epi32(x, e->zp_rs);
    __m512 y = _mm512_mul_ps(_mm512_cvtepi32_ps(x), e->mult);
    if (e->has_bias) y = _mm512_add_ps(y, e->bias);
    float *o = s->out + (size_t)m * s->ldo + nb;
    if (full) _mm512_storeu_ps(o, y);
    else _mm512_mask_storeu_ps(o, k, y);
}

// The tile's columns [n0, n1) ∩ its panels → the sink. first/last: K block position. On the first block a shifted
// (signed) A is corrected by 128 · Σ_k b.
QB_VINLINE QB_VNNI_TARGET void qb_vnni_emit(const qb_vnni_sink *s, const int mr, const int nv,
                                           __m512i acc[QB_VMR][QB_VNV], int m, int r0, int p, int n0, int n1,
                                           int first, int last, int a_signed, int N) {
    for (int v = 0; v < nv; v++) {
        const int nb = (p + v) * QB_Q4_PANEL;
        const int lo = qb_vmax(n0, nb), hi = qb_vmin(n1, nb + QB_Q4_PANEL);
        if (lo >= hi) continue;
        const int full = lo == nb && hi == nb + QB_Q4_PANEL;
        __m512i corr = _mm512_setzero_si512();
        if (a_signed && first) {
            if (nb + QB_Q4_PANEL <= N) {
                corr = _mm512_loadu_si512((const void *)(s->row_sums + nb));
            } else {
                _Alignas(64) int32_t t[QB_Q4_PANEL] = {0};
                for (int n = nb; n < N; n++) t[n - nb] = s->row_sums[n];
                corr = _mm512_loadu_si512((const void *)t);
            }
            corr = _mm512_slli_epi32(corr, 7); // 128 · Σ_k b
        }
        const __mmask16 k = (__mmask16)qb_lane_mask16(nb, lo, hi);
        // Per-tensor activation parameters: the epilogue operands are the same for every row of the tile.
        const int shared = s->rq && last && !s->rq->a_per_row;
        qb_vnni_epi e;
        if (shared) e = qb_vnni_epilogue(s, m, nb, full, k);
        if (s->rq && !s->rq->a_per_row) {
            // Fused, per-tensor activations (the dynamic schemes' case): straight-line loops over the rows. Wrapping
            // int32 sums are associative, so acc − corr (+ partial) − zp·Σb as acc − (corr + zp·Σb) (+ partial) is
            // the same bits.
            if (!last) {
                for (int r = 0; r < mr; r++) {
                    int32_t *pp = s->part + (size_t)(r0 + r) * s->ldp + (nb - s->pbase);
                    __m512i x = _mm512_sub_epi32(acc[r][v], corr);
                    if (!first) x = _mm512_add_epi32(x, _mm512_load_si512((const void *)pp));
                    _mm512_store_si512((void *)pp, x);
                }
                continue;
            }
            const __m512i sub = _mm512_add_epi32(corr, e.zp_rs);
            float *o = s->out + (size_t)m * s->ldo + nb;
            const int32_t *pp = first ? NULL : s->part + (size_t)r0 * s->ldp + (nb - s->pbase);
            for (int r = 0; r < mr; r++) {
                __m512i x = _mm512_sub_epi32(acc[r][v], sub);
                if (pp) x = _mm512_add_epi32(x, _mm512_load_si512((const void *)(pp + (size_t)r * s->ldp)));
                __m512 y = _mm512_mul_ps(_mm512_cvtepi32_ps(x), e.mult);
                if (e.has_bias) y = _mm512_add_ps(y, e.bias); // skipped without bias, so −0 stays −0
                if (full) _mm512_storeu_ps(o + (size_t)r * s->ldo, y);
                else _mm512_mask_storeu_ps(o + (size_t)r * s->ldo, k, y);
            }
            continue;
        }
        for (int r = 0; r < mr; r++) {
            __m512i x = _mm512_sub_epi32(acc[r][v], corr);
            if (!s->rq) {
                int32_t *c = s->C + (size_t)(m + r) * s->ldc + nb;
                if (full) {
                    if (!first) x = _mm512_add_epi32(x, _mm512_loadu_si512((const void *)c));
                    _mm512_storeu_si512((void *)c, x);
                } else {
                    _Alignas(64) int32_t t[QB_Q4_PANEL];
                    _mm512_storeu_si512((void *)t, x);
                    for (int n = lo; n < hi; n++)
                        c[n - nb] = first ? t[n - nb] : (int32_t)((uint32_t)c[n - nb] + (uint32_t)t[n - nb]);
                }
                continue;
            }
            if (!(first && last)) {
                int32_t *pp = s->part + (size_t)(r0 + r) * s->ldp + (nb - s->pbase);
                if (!first) x = _mm512_add_epi32(x, _mm512_load_si512((const void *)pp));
                if (!last) {
                    _mm512_store_si512((void *)pp, x);
                    continue;
                }
            }
            if (!shared) e = qb_vnni_epilogue(s, m + r, nb, full, k);
            qb_vnni_requant16(s, &e, x, m + r, nb, full, k);
        }
    }
}

#define QB_VNNI_CASE(MR_, NV_)                                                                            \
    case (MR_) * 4 + (NV_): {                                                                             \
        __m512i acc[QB_VMR][QB_VNV];                                                                      \
        qb_vnni_ukernel(MR_, NV_, kqc, abuf + (size_t)r * QB_KCQ, bp, panel_stride, acc);                 \
        qb_vnni_emit(sink, MR_, NV_, acc, m0 + r, r, p, n0, n1, first, last, a_signed, B->n);             \
        break;                                                                                            \
    }

QB_VNNI_TARGET static void qb_vnni_driver(int M, const uint8_t *A, int lda, int a_signed, const qb_packed_s8 *B,
                                          int n0, int n1, const qb_vnni_sink *sink) {
    const int K = B->k, KQ = B->kgroups;
    const int p0 = n0 / QB_Q4_PANEL, p1 = (n1 + QB_Q4_PANEL - 1) / QB_Q4_PANEL;
    const size_t panel_stride = (size_t)KQ * 4 * QB_Q4_PANEL; // bytes from one panel to the next
    const int8_t *data = (const int8_t *)B->data;
    _Alignas(64) int32_t abuf[QB_VMC * QB_KCQ];
    for (int m0 = 0; m0 < M; m0 += QB_VMC) {
        const int mc = qb_vmin(QB_VMC, M - m0);
        for (int kq0 = 0; kq0 < KQ; kq0 += QB_KCQ) {
            const int kqc = qb_vmin(QB_KCQ, KQ - kq0), first = kq0 == 0, last = kq0 + kqc >= KQ;
            qb_vnni_convert_a(A, lda, a_signed, K, m0, mc, kq0, kqc, abuf);
            for (int p = p0; p < p1; p += QB_VNV) {
                const int nv = qb_vmin(QB_VNV, p1 - p);
                const int8_t *bp = data + (size_t)p * panel_stride + (size_t)kq0 * 4 * QB_Q4_PANEL;
                for (int r = 0; r < mc;) {
                    int mr = qb_vmin(QB_VMR, mc - r);
                    // Rows handled per tile: 8, else 4, 2 or 1 (keeps the number of instantiated tiles small).
                    int tile = mr >= 8 ? 8 : mr >= 4 ? 4 : mr >= 2 ? 2 : 1;
                    switch (tile * 4 + nv) {
                        QB_VNNI_CASE(8, 3) QB_VNNI_CASE(8, 2) QB_VNNI_CASE(8, 1)
                        QB_VNNI_CASE(4, 3) QB_VNNI_CASE(4, 2) QB_VNNI_CASE(4, 1)
                        QB_VNNI_CASE(2, 3) QB_VNNI_CASE(2, 2) QB_VNNI_CASE(2, 1)
                        QB_VNNI_CASE(1, 3) QB_VNNI_CASE(1, 2) QB_VNNI_CASE(1, 1)
                    }
                    r += tile;
                }
            }
        }
    }
}

static void qb_vnni_packed_i32(int M, const uint8_t *A, int lda, int a_signed, const qb_packed_s8 *B, int n0,
                               int n1, int32_t *C, int ldc) {
    if (M <= 0 || n1 <= n0) return;
    if (B->k == 0) {
        for (int m = 0; m < M; m++)
            for (int n = n0; n < n1; n++) C[(size_t)m * ldc + n] = 0;
        return;
    }
    const qb_vnni_sink sink = {.C = C, .ldc = ldc, .row_sums = B->row_sums};
    qb_vnni_driver(M, A, lda, a_signed, B, n0, n1, &sink);
}

void QB_VNNI_FN(qb_qgemm_u8s8_packed)(int M, const uint8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1,
                                      int32_t *C, int ldc) {
    qb_vnni_packed_i32(M, A, lda, 0, B, n0, n1, C, ldc);
}

void QB_VNNI_FN(qb_qgemm_s8s8_packed)(int M, const int8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1,
                                      int32_t *C, int ldc) {
    qb_vnni_packed_i32(M, (const uint8_t *)A, lda, 1, B, n0, n1, C, ldc);
}

// Fused epilogue (empty ranges and K = 0: qb_fused_trivial).
static void qb_vnni_packed_f32(int M, const uint8_t *A, int lda, int a_signed, const qb_packed_s8 *B, int n0, int n1,
                               const qb_requant_args *rq, float *out, int ldo) {
    if (qb_fused_trivial(M, B, &n0, &n1, rq, out, ldo)) return;
    qb_vnni_sink sink = {.rq = rq, .row_sums = B->row_sums, .out = out, .ldo = ldo};
    if (B->kgroups > QB_KCQ) // K split into blocks: partial sums of one M block, whole panels n0..n1
        sink.part = qb_partial_sums_scratch(QB_VMC, n0, n1, &sink.ldp, &sink.pbase);
    qb_vnni_driver(M, A, lda, a_signed, B, n0, n1, &sink);
}

void QB_VNNI_FN(qb_qgemm_u8s8_packed_f32)(int M, const uint8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1,
                                          const qb_requant_args *rq, float *out, int ldo) {
    qb_vnni_packed_f32(M, A, lda, 0, B, n0, n1, rq, out, ldo);
}

void QB_VNNI_FN(qb_qgemm_s8s8_packed_f32)(int M, const int8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1,
                                          const qb_requant_args *rq, float *out, int ldo) {
    qb_vnni_packed_f32(M, (const uint8_t *)A, lda, 1, B, n0, n1, rq, out, ldo);
}
#endif
