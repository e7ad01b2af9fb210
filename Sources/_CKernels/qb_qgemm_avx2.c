// AVX2 packed int8 GEMM, bit-exact with the reference for every input. Two inner kernels on the same packed
// weights (int8, [N/16][K/4][16][4], see qb_pack.c), chosen per call by scanning A:
//
//  * 7-bit path — u8 activations whose maximum is ≤ 127 (PyTorch's reduce_range): vpmaddubsw (u8 × s8, pairs
//    summed to int16: |sum| ≤ 2·127·128 = 32512 < 32767, so it cannot saturate), vpmaddwd with ones (int16 pairs →
//    int32), vpaddd. 3 vector ops per 32 multiply-adds. Tile: 4 rows × 16 columns.
//  * exact path — everything else (u8 up to 255, s8 activations): bytes are sign-extended to int16 (vpmovsxbw for
//    weights, on the fly; activations once per block) and multiplied with vpmaddwd (int16 × int16, pairs into
//    int32; no saturation possible), accumulated with vpaddd. Each 32-byte weight row of 8 columns × 4 k becomes two
//    int16 vectors (columns 0–3 and 4–7 with their 4 k each); a broadcast of 4 activations in int16 multiplies
//    both, and the two int32 lanes per column are folded with vphaddd at the end. Tile: 6 rows × 8 columns.
// Both wrap in int32 like the reference. (vpmaddubsw on full-range u8 would saturate: 2·255·128 > 32767.)
//
// qb_qgemm_*_packed_f32_avx2 run the same drivers with the requantization epilogue applied to the accumulators
// as they are stored (qb_avx2_emit8), so no int32 [M, N] buffer is written and read back.
//
// Blocking, one thread (callers split M or [n0, n1) across threads): for each QB_MC rows × QB_KCQ k-quads of A,
// copy/convert that block of A into a stack buffer (u8 for the 7-bit path, int16 for the exact path), then sweep
// the 16-column panels; the first K block stores into C, later ones add.
#include "qb_kernels_internal.h"
#if QB_X86
#include <immintrin.h>
#include <stdlib.h>

#ifndef QB_MC
#define QB_MC 48   // multiple of 4 and 6
#endif
#ifndef QB_KCQ
#define QB_KCQ 192 // k-quads per K block (768 k): B micro-panel 12 KB, A block 36 KB (u8) / 72 KB (int16)
#endif
#define QB_INLINE static inline __attribute__((always_inline))

static inline int qb_min(int a, int b) { return a < b ? a : b; }
static inline int qb_max(int a, int b) { return a > b ? a : b; }

// Largest activation byte of A[0..<M, 0..<K] (unsigned). Decides whether the 7-bit path is exact.
QB_TARGET_AVX2 static int qb_avx2_max_u8(const uint8_t *A, int lda, int M, int K) {
    __m256i mx = _mm256_setzero_si256();
    int tail = 0;
    for (int m = 0; m < M; m++) {
        const uint8_t *a = A + (size_t)m * lda;
        int k = 0;
        for (; k + 32 <= K; k += 32) mx = _mm256_max_epu8(mx, _mm256_loadu_si256((const __m256i *)(a + k)));
        for (; k < K; k++) tail = a[k] > tail ? a[k] : tail;
    }
    // Any byte > 127 has its top bit set.
    return (_mm256_movemask_epi8(mx) != 0 || tail > 127) ? 255 : 127;
}

// ---- 7-bit path ------------------------------------------------------------------------------------------------
// A block → u8, row r at abuf + r·QB_KCQ int32 slots (4 bytes = one k-quad), zero padded past K.
static void qb_avx2_copy_a_u8(const uint8_t *A, int lda, int K, int m0, int mc, int kq0, int kqc, int32_t *abuf) {
    for (int r = 0; r < mc; r++) {
        const uint8_t *src = A + (size_t)(m0 + r) * lda;
        uint8_t *dst = (uint8_t *)(abuf + (size_t)r * QB_KCQ);
        int k0 = 4 * kq0, n = qb_min(K, 4 * (kq0 + kqc)) - k0, j = 0;
        for (; j < n; j++) dst[j] = src[k0 + j];
        for (; j < 4 * kqc; j++) dst[j] = 0;
    }
}

// acc[r][h] = columns 8h..8h+7 of the panel, rows r < mr.
QB_INLINE QB_TARGET_AVX2 void qb_avx2_ukernel_7bit(const int mr, int kqc, const int32_t *a, const int8_t *b,
                                                  __m256i acc[4][2]) {
    const __m256i ones = _mm256_set1_epi16(1);
    for (int r = 0; r < 4; r++) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
    for (int kq = 0; kq < kqc; kq++) {
        const __m256i b0 = _mm256_load_si256((const __m256i *)(b + (size_t)kq * 64));
        const __m256i b1 = _mm256_load_si256((const __m256i *)(b + (size_t)kq * 64 + 32));
        for (int r = 0; r < mr; r++) {
            const __m256i av = _mm256_set1_epi32(a[(size_t)r * QB_KCQ + kq]);
            acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(_mm256_maddubs_epi16(av, b0), ones));
            acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(_mm256_maddubs_epi16(av, b1), ones));
        }
    }
}

// ---- exact path ------------------------------------------------------------------------------------------------
// A block → int16, row r at abuf + r·4·QB_KCQ int16 (one k-quad = 8 bytes), zero padded past K.
QB_TARGET_AVX2 static void qb_avx2_convert_a_i16(const uint8_t *A, int lda, int a_signed, int K, int m0, int mc,
                                                int kq0, int kqc, int16_t *abuf) {
    for (int r = 0; r < mc; r++) {
        const uint8_t *src = A + (size_t)(m0 + r) * lda + 4 * kq0;
        int16_t *dst = abuf + (size_t)r * 4 * QB_KCQ;
        int n = qb_min(K, 4 * (kq0 + kqc)) - 4 * kq0, j = 0;
        if (a_signed) {
            for (; j + 16 <= n; j += 16)
                _mm256_storeu_si256((__m256i *)(dst + j), _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(src + j))));
            for (; j < n; j++) dst[j] = (int8_t)src[j];
        } else {
            for (; j + 16 <= n; j += 16)
                _mm256_storeu_si256((__m256i *)(dst + j), _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(src + j))));
            for (; j < n; j++) dst[j] = src[j];
        }
        for (; j < 4 * kqc; j++) dst[j] = 0;
    }
}

// b points at the 8-column half-panel (32 bytes per k-quad, 64-byte stride). Returns the 8 column sums per row.
QB_INLINE QB_TARGET_AVX2 void qb_avx2_ukernel_exact(const int mr, int kqc, const int16_t *a, const int8_t *b,
                                                   __m256i out[6]) {
    __m256i lo[6], hi[6];
    for (int r = 0; r < 6; r++) lo[r] = hi[r] = _mm256_setzero_si256();
    for (int kq = 0; kq < kqc; kq++) {
        // [c0 k0..k3 | c1 | c2 | c3] and [c4 | c5 | c6 | c7], int16.
        const __m256i bl = _mm256_cvtepi8_epi16(_mm_load_si128((const __m128i *)(b + (size_t)kq * 64)));
        const __m256i bh = _mm256_cvtepi8_epi16(_mm_load_si128((const __m128i *)(b + (size_t)kq * 64 + 16)));
        for (int r = 0; r < mr; r++) {
            int64_t q;
            __builtin_memcpy(&q, a + (size_t)r * 4 * QB_KCQ + 4 * (size_t)kq, 8);
            const __m256i av = _mm256_set1_epi64x(q); // a0 a1 a2 a3 repeated
            lo[r] = _mm256_add_epi32(lo[r], _mm256_madd_epi16(av, bl));
            hi[r] = _mm256_add_epi32(hi[r], _mm256_madd_epi16(av, bh));
        }
    }
    for (int r = 0; r < mr; r++) {
        // hadd → [c0 c1 c4 c5 | c2 c3 c6 c7]; reorder 64-bit pairs to c0..c7.
        out[r] = _mm256_permute4x64_epi64(_mm256_hadd_epi32(lo[r], hi[r]), 0xD8);
    }
}

// ---- shared store ----------------------------------------------------------------------------------------------
// Writes (or adds) one row × 8 columns starting at absolute column nb, keeping only [n0, n1).
QB_INLINE QB_TARGET_AVX2 void qb_avx2_store8(__m256i x, int32_t *Crow, int nb, int n0, int n1, int accumulate) {
    const int lo = qb_max(n0, nb), hi = qb_min(n1, nb + 8);
    int32_t *c = Crow + nb;
    if (lo == nb && hi == nb + 8) {
        if (accumulate) x = _mm256_add_epi32(x, _mm256_loadu_si256((const __m256i *)c));
        _mm256_storeu_si256((__m256i *)c, x);
    } else if (lo < hi) {
        int32_t t[8];
        _mm256_storeu_si256((__m256i *)t, x);
        for (int n = lo; n < hi; n++)
            c[n - nb] = accumulate ? (int32_t)((uint32_t)c[n - nb] + (uint32_t)t[n - nb]) : t[n - nb];
    }
}

// Where the drivers put each finished (or partial) 8-column vector of int32 sums: either the int32 C of
// qb_qgemm_*_packed, or — for qb_qgemm_*_packed_f32 — the requantization epilogue straight into float `out`.
// With the epilogue and K split into several blocks, partial sums wait in `part` (row r of the current M block,
// column n − pbase; whole panels, so every 8-column vector fits) until the last block.
typedef struct qb_avx2_sink {
    int32_t *C;
    int ldc;
    const qb_requant_args *rq; // NULL: integer output
    const int32_t *row_sums;
    float *out;
    int ldo;
    int32_t *part;
    int ldp, pbase;
} qb_avx2_sink;

// The float epilogue on one row × 8 columns: the same operations, in the same order, as qb_requant_f32_avx2
// (int32 zero-point correction, cvtdq2ps, multiply by a_scale·w_scale, separate bias add), columns [lo, hi) only.
QB_INLINE QB_TARGET_AVX2 void qb_avx2_requant8(const qb_avx2_sink *s, __m256i x, int m, int nb, int lo, int hi) {
    const qb_requant_args *rq = s->rq;
    const int mi = rq->a_per_row ? m : 0;
    const float as = rq->a_scale[mi];
    const int32_t zp = rq->a_zp ? rq->a_zp[mi] : 0;
    const int full = lo == nb && hi == nb + 8;
    const __m256i lane = _mm256_add_epi32(_mm256_set1_epi32(nb), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    const __m256i mask = full ? _mm256_set1_epi32(-1)
                              : _mm256_and_si256(_mm256_cmpgt_epi32(lane, _mm256_set1_epi32(lo - 1)),
                                                 _mm256_cmpgt_epi32(_mm256_set1_epi32(hi), lane));
    if (zp) {
        const __m256i rs = full ? _mm256_loadu_si256((const __m256i *)(s->row_sums + nb))
                                : _mm256_maskload_epi32(s->row_sums + nb, mask);
        x = _mm256_sub_epi32(x, _mm256_mullo_epi32(_mm256_set1_epi32(zp), rs));
    }
    __m256 mult;
    if (rq->w_per_channel)
        mult = _mm256_mul_ps(_mm256_set1_ps(as), full ? _mm256_loadu_ps(rq->w_scale + nb)
                                                       : _mm256_maskload_ps(rq->w_scale + nb, mask));
    else
        mult = _mm256_set1_ps(as * rq->w_scale[0]);
    __m256 y = _mm256_mul_ps(_mm256_cvtepi32_ps(x), mult);
    if (rq->bias) y = _mm256_add_ps(y, full ? _mm256_loadu_ps(rq->bias + nb) : _mm256_maskload_ps(rq->bias + nb, mask));
    float *o = s->out + (size_t)m * s->ldo + nb;
    if (full) _mm256_storeu_ps(o, y);
    else _mm256_maskstore_ps(o, mask, y);
}

// Row m of A (r within the current M block), columns nb..nb+7 kept to [n0, n1); first/last: K block position.
QB_INLINE QB_TARGET_AVX2 void qb_avx2_emit8(const qb_avx2_sink *s, __m256i x, int m, int r, int nb, int n0, int n1,
                                            int first, int last) {
    if (!s->rq) {
        qb_avx2_store8(x, s->C + (size_t)m * s->ldc, nb, n0, n1, !first);
        return;
    }
    const int lo = qb_max(n0, nb), hi = qb_min(n1, nb + 8);
    if (lo >= hi) return;
    if (!(first && last)) {
        int32_t *p = s->part + (size_t)r * s->ldp + (nb - s->pbase);
        if (!first) x = _mm256_add_epi32(x, _mm256_load_si256((const __m256i *)p));
        if (!last) {
            _mm256_store_si256((__m256i *)p, x);
            return;
        }
    }
    qb_avx2_requant8(s, x, m, nb, lo, hi);
}

#define QB_7BIT_CASE(MR_)                                                                       \
    case MR_: {                                                                                 \
        __m256i acc[4][2];                                                                      \
        qb_avx2_ukernel_7bit(MR_, kqc, abuf + (size_t)r * QB_KCQ, bp, acc);                     \
        for (int i = 0; i < MR_; i++) {                                                         \
            qb_avx2_emit8(sink, acc[i][0], m0 + r + i, r + i, 16 * p, n0, n1, first, last);     \
            qb_avx2_emit8(sink, acc[i][1], m0 + r + i, r + i, 16 * p + 8, n0, n1, first, last); \
        }                                                                                       \
        break;                                                                                  \
    }

#define QB_EXACT_CASE(MR_)                                                                      \
    case MR_: {                                                                                 \
        __m256i acc[6];                                                                         \
        qb_avx2_ukernel_exact(MR_, kqc, a16 + (size_t)r * 4 * QB_KCQ, bp, acc);                 \
        for (int i = 0; i < MR_; i++)                                                           \
            qb_avx2_emit8(sink, acc[i], m0 + r + i, r + i, 8 * s, n0, n1, first, last);         \
        break;                                                                                  \
    }

// Separate non-inlined drivers so only one A buffer (36 KB or 72 KB) is on the stack at a time.
__attribute__((noinline)) QB_TARGET_AVX2 static void qb_avx2_driver_7bit(int M, const uint8_t *A, int lda,
                                                                       const qb_packed_s8 *B, int n0, int n1,
                                                                       const qb_avx2_sink *sink) {
    const int K = B->k, KQ = B->kgroups;
    const int8_t *data = (const int8_t *)B->data;
    const size_t panel_bytes = (size_t)KQ * 4 * QB_Q4_PANEL;
    _Alignas(64) int32_t abuf[QB_MC * QB_KCQ];
    const int p0 = n0 / QB_Q4_PANEL, p1 = (n1 + QB_Q4_PANEL - 1) / QB_Q4_PANEL;
    for (int m0 = 0; m0 < M; m0 += QB_MC) {
        const int mc = qb_min(QB_MC, M - m0);
        for (int kq0 = 0; kq0 < KQ; kq0 += QB_KCQ) {
            const int kqc = qb_min(QB_KCQ, KQ - kq0), first = kq0 == 0, last = kq0 + kqc >= KQ;
            qb_avx2_copy_a_u8(A, lda, K, m0, mc, kq0, kqc, abuf);
            for (int p = p0; p < p1; p++) {
                const int8_t *bp = data + (size_t)p * panel_bytes + (size_t)kq0 * 64;
                for (int r = 0; r < mc; r += 4) {
                    switch (qb_min(4, mc - r)) { QB_7BIT_CASE(4) QB_7BIT_CASE(3) QB_7BIT_CASE(2) QB_7BIT_CASE(1) }
                }
            }
        }
    }
}

__attribute__((noinline)) QB_TARGET_AVX2 static void qb_avx2_driver_exact(int M, const uint8_t *A, int lda,
                                                                        int a_signed, const qb_packed_s8 *B,
                                                                        int n0, int n1, const qb_avx2_sink *sink) {
    const int K = B->k, KQ = B->kgroups;
    const int8_t *data = (const int8_t *)B->data;
    const size_t panel_bytes = (size_t)KQ * 4 * QB_Q4_PANEL;
    _Alignas(64) int16_t a16[QB_MC * 4 * QB_KCQ];
    const int s0 = n0 / 8, s1 = (n1 + 7) / 8; // 8-column half panels
    for (int m0 = 0; m0 < M; m0 += QB_MC) {
        const int mc = qb_min(QB_MC, M - m0);
        for (int kq0 = 0; kq0 < KQ; kq0 += QB_KCQ) {
            const int kqc = qb_min(QB_KCQ, KQ - kq0), first = kq0 == 0, last = kq0 + kqc >= KQ;
            qb_avx2_convert_a_i16(A, lda, a_signed, K, m0, mc, kq0, kqc, a16);
            for (int s = s0; s < s1; s++) {
                const int8_t *bp = data + (size_t)(s / 2) * panel_bytes + (size_t)kq0 * 64 + (s % 2) * 32;
                for (int r = 0; r < mc; r += 6) {
                    switch (qb_min(6, mc - r)) {
                        QB_EXACT_CASE(6) QB_EXACT_CASE(5) QB_EXACT_CASE(4)
                        QB_EXACT_CASE(3) QB_EXACT_CASE(2) QB_EXACT_CASE(1)
                    }
                }
            }
        }
    }
}

QB_TARGET_AVX2 static void qb_qgemm_packed_avx2(int M, const uint8_t *A, int lda, int a_signed, const qb_packed_s8 *B,
                                               int n0, int n1, const qb_avx2_sink *sink) {
    if (a_signed || qb_avx2_max_u8(A, lda, M, B->k) > 127)
        qb_avx2_driver_exact(M, A, lda, a_signed, B, n0, n1, sink);
    else
        qb_avx2_driver_7bit(M, A, lda, B, n0, n1, sink);
}

QB_TARGET_AVX2 static void qb_qgemm_packed_i32_avx2(int M, const uint8_t *A, int lda, int a_signed,
                                                   const qb_packed_s8 *B, int n0, int n1, int32_t *C, int ldc) {
    if (M <= 0 || n1 <= n0) return;
    if (B->k == 0) {
        for (int m = 0; m < M; m++)
            for (int n = n0; n < n1; n++) C[(size_t)m * ldc + n] = 0;
        return;
    }
    const qb_avx2_sink sink = {.C = C, .ldc = ldc};
    qb_qgemm_packed_avx2(M, A, lda, a_signed, B, n0, n1, &sink);
}

void qb_qgemm_u8s8_packed_avx2(int M, const uint8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1, int32_t *C, int ldc) {
    qb_qgemm_packed_i32_avx2(M, A, lda, 0, B, n0, n1, C, ldc);
}

void qb_qgemm_s8s8_packed_avx2(int M, const int8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1, int32_t *C, int ldc) {
    qb_qgemm_packed_i32_avx2(M, (const uint8_t *)A, lda, 1, B, n0, n1, C, ldc);
}

// Fused epilogue (empty ranges and K = 0: qb_fused_trivial).
static void qb_qgemm_packed_f32_avx2(int M, const uint8_t *A, int lda, int a_signed, const qb_packed_s8 *B, int n0,
                                     int n1, const qb_requant_args *rq, float *out, int ldo) {
    if (qb_fused_trivial(M, B, &n0, &n1, rq, out, ldo)) return;
    qb_avx2_sink sink = {.rq = rq, .row_sums = B->row_sums, .out = out, .ldo = ldo};
    if (B->kgroups > QB_KCQ) // K split into blocks: partial sums of one M block, whole panels n0..n1
        sink.part = qb_partial_sums_scratch(QB_MC, n0, n1, &sink.ldp, &sink.pbase);
    qb_qgemm_packed_avx2(M, A, lda, a_signed, B, n0, n1, &sink);
}

void qb_qgemm_u8s8_packed_f32_avx2(int M, const uint8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1,
                                   const qb_requant_args *rq, float *out, int ldo) {
    qb_qgemm_packed_f32_avx2(M, A, lda, 0, B, n0, n1, rq, out, ldo);
}

void qb_qgemm_s8s8_packed_f32_avx2(int M, const int8_t *A, int lda, const qb_packed_s8 *B, int n0, int n1,
                                   const qb_requant_args *rq, float *out, int ldo) {
    qb_qgemm_packed_f32_avx2(M, (const uint8_t *)A, lda, 1, B, n0, n1, rq, out, ldo);
}
#endif
