// Test hook (qb_qgemm.h): one of the intrinsics qb_avx512_emu.h emulates, on caller-given 16-lane operands, either
// natively (qb_avx512_probe: needs AVX512F/BW/VL/DQ, the caller checks) or emulated (qb_avx512_probe_emu.c: this
// file compiled against qb_avx512_emu.h), so AVX512EmulationTests can compare the emulation with the silicon
// operation by operation, including what no kernel's inputs reach (saturating packs, every compare predicate).
#include "qb_kernels_internal.h"
#include <string.h>
#if QB_X86
#if defined(QB_PROBE_EMULATE)
#include "qb_avx512_emu.h"
#define QB_PROBE_TARGET
#define QB_PROBE_FN qb_avx512_probe_emu
#else
#include <immintrin.h>
#define QB_PROBE_TARGET QB_TARGET_AVX512VNNI
#define QB_PROBE_FN qb_avx512_probe
#endif

static inline uint16_t qb_probe_mask(const void *p) { uint32_t u; memcpy(&u, p, 4); return (uint16_t)u; }

QB_PROBE_TARGET int QB_PROBE_FN(int op, const void *pa, const void *pb, const void *pc, void *out) {
    const __m512 a = _mm512_loadu_ps(pa), b = _mm512_loadu_ps(pb), c = _mm512_loadu_ps(pc);
    const __m512i ai = _mm512_loadu_si512(pa), bi = _mm512_loadu_si512(pb);
    memset(out, 0, 64);
    switch (op) {
    case QB_PROBE_CVTPS_EPI32: _mm512_storeu_si512(out, _mm512_cvtps_epi32(a)); return 1;
    case QB_PROBE_CVTTPS_EPI32: _mm512_storeu_si512(out, _mm512_cvttps_epi32(a)); return 1;
    case QB_PROBE_PACKS_EPI32: _mm512_storeu_si512(out, _mm512_packs_epi32(ai, bi)); return 1;
    case QB_PROBE_PACKUS_EPI32: _mm512_storeu_si512(out, _mm512_packus_epi32(ai, bi)); return 1;
    case QB_PROBE_PACKS_EPI16: _mm512_storeu_si512(out, _mm512_packs_epi16(ai, bi)); return 1;
    case QB_PROBE_PACKUS_EPI16: _mm512_storeu_si512(out, _mm512_packus_epi16(ai, bi)); return 1;
    case QB_PROBE_PERMUTEXVAR_EPI32: _mm512_storeu_si512(out, _mm512_permutexvar_epi32(ai, bi)); return 1;
    case QB_PROBE_MIN_PS: _mm512_storeu_ps(out, _mm512_min_ps(a, b)); return 1;
    case QB_PROBE_MAX_PS: _mm512_storeu_ps(out, _mm512_max_ps(a, b)); return 1;
    case QB_PROBE_FMADD_PS: _mm512_storeu_ps(out, _mm512_fmadd_ps(a, b, c)); return 1;
    case QB_PROBE_FNMADD_PS: _mm512_storeu_ps(out, _mm512_fnmadd_ps(a, b, c)); return 1;
    case QB_PROBE_FLOOR_PS:
        _mm512_storeu_ps(out, _mm512_roundscale_ps(a, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC));
        return 1;
    case QB_PROBE_CVTEPI32_EPI8_MASKSTORE: // bytes of `out` whose bit in b's first int32 is clear stay 0
        _mm_mask_storeu_epi8(out, qb_probe_mask(pb), _mm512_cvtepi32_epi8(ai));
        return 1;
    case QB_PROBE_DIV_PS: _mm512_storeu_ps(out, _mm512_div_ps(a, b)); return 1;
    case QB_PROBE_BLEND_MOV_PS: { // floats 0–7: mask_blend(a's first int32, b, c); 8–15: maskz_mov(same mask, b)
        const __mmask16 k = qb_probe_mask(pa);
        _mm512_storeu_ps(out, _mm512_mask_blend_ps(k, b, c));
        float t[16];
        _mm512_storeu_ps(t, _mm512_maskz_mov_ps(k, b));
        memcpy((float *)out + 8, t + 8, 32);
        return 1;
    }
    case QB_PROBE_SSE_AVX_REDUCE: { // the 128/256-bit steps of qb_vmath_avx512.c's horizontal max and sum
        const __m256 x8 = _mm512_castps512_ps256(a);
        const __m256 y8 = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(b), 1));
        const __m256 m8 = _mm256_max_ps(x8, y8), s8 = _mm256_add_ps(_mm256_setzero_ps(), _mm256_add_ps(x8, y8));
        const __m128 x = _mm256_castps256_ps128(m8), y = _mm256_extractf128_ps(s8, 1);
        const __m128 r[4] = {_mm_movehl_ps(x, y), _mm_shuffle_ps(x, y, 0x1B), _mm_max_ss(_mm_max_ps(x, y), y),
                             _mm_add_ss(_mm_add_ps(x, y), _mm_shuffle_ps(y, y, 1))};
        float f[16];
        for (int j = 0; j < 4; j++) memcpy(f + 4 * j, &r[j], 16);
        f[15] = _mm_cvtss_f32(r[3]);
        memcpy(out, f, 64);
        return 1;
    }
    default:
        if (op >= QB_PROBE_CMP_PS_MASK && op < QB_PROBE_CMP_PS_MASK + 32) { // the predicate is an immediate
            __mmask16 k = 0;
            switch (op - QB_PROBE_CMP_PS_MASK) {
#define QB_PROBE_CMP(p) case p: k = _mm512_cmp_ps_mask(a, b, p); break;
            QB_PROBE_CMP(0) QB_PROBE_CMP(1) QB_PROBE_CMP(2) QB_PROBE_CMP(3) QB_PROBE_CMP(4) QB_PROBE_CMP(5)
            QB_PROBE_CMP(6) QB_PROBE_CMP(7) QB_PROBE_CMP(8) QB_PROBE_CMP(9) QB_PROBE_CMP(10) QB_PROBE_CMP(11)
            QB_PROBE_CMP(12) QB_PROBE_CMP(13) QB_PROBE_CMP(14) QB_PROBE_CMP(15) QB_PROBE_CMP(16) QB_PROBE_CMP(17)
            QB_PROBE_CMP(18) QB_PROBE_CMP(19) QB_PROBE_CMP(20) QB_PROBE_CMP(21) QB_PROBE_CMP(22) QB_PROBE_CMP(23)
            QB_PROBE_CMP(24) QB_PROBE_CMP(25) QB_PROBE_CMP(26) QB_PROBE_CMP(27) QB_PROBE_CMP(28) QB_PROBE_CMP(29)
            QB_PROBE_CMP(30) QB_PROBE_CMP(31)
#undef QB_PROBE_CMP
            }
            const uint32_t m = k;
            memcpy(out, &m, 4);
            return 1;
        }
        return 0;
    }
}
#else
#if defined(QB_PROBE_EMULATE)
int qb_avx512_probe_emu(int op, const void *pa, const void *pb, const void *pc, void *out) {
#else
int qb_avx512_probe(int op, const void *pa, const void *pb, const void *pc, void *out) {
#endif
    (void)op; (void)pa; (void)pb; (void)pc; (void)out;
    return 0;
}
#endif
