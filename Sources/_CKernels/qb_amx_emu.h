// Portable C emulation of exactly the AMX intrinsics qb_qgemm_amx.c and qb_gemm_bf16_amx.c use, so that the same
// kernel sources compile a second time (qb_qgemm_amx_emu.c, qb_gemm_bf16_amx_emu.c; QB_AMX_EMULATE) and run on any
// CPU: the "amx_emu" family and bf16 kernel, which KernelsTests check bit-exact against their references. It checks
// the kernels' logic (tile configuration, blocking, edges, staging, the packed layouts), not the silicon.
//
// State is per thread, as on hardware: a 64-byte tile configuration and eight tiles of 16 rows × 64 bytes.
// Semantics follow Intel's pseudo-code (SDM vol. 2, "TDPBUSD/TDPBSSD", "TILELOADD", "LDTILECFG"):
//   LDTILECFG   palette 1 only; rows[i] ≤ 16, colsb[i] ≤ 64; every tile is zeroed.
//   TILELOADD   row r < rows: colsb bytes from base + r·stride, rest of the row zero; rows ≥ rows zero.
//   TDPBUSD     for m < dst.rows, n < dst.colsb/4: dst[m][n] += Σ_{k < a.colsb/4} Σ_{i<4} u8(a[m][4k+i])·s8(b[k][4n+i])
//               in wrapping int32 (no saturation); TDPBSSD the same with s8(a). Bytes past dst.colsb are zeroed.
//   TILESTORED  rows × colsb bytes to base + r·stride.   TILEZERO / TILERELEASE: zero a tile / drop the config.
//   TDPBF16PS   (AMX-BF16; qb_gemm_bf16_amx.c) see qb_amx_emu_dpbf16ps below: not one FMA chain per output.
// A use the hardware would fault on (#UD with no configuration, or shapes that do not match: a.rows ≠ dst.rows,
// a.colsb ≠ 4·b.rows, b.colsb ≠ dst.colsb) aborts with a message, so such a kernel bug fails here too.
#ifndef QB_AMX_EMU_H
#define QB_AMX_EMU_H
#pragma STDC FP_CONTRACT OFF
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct qb_amx_emu_state {
    int configured;
    uint16_t colsb[8];
    uint8_t rows[8];
    uint8_t t[8][16][64];
} qb_amx_emu_state;

static _Thread_local qb_amx_emu_state qb_amx_emu;

static void qb_amx_emu_fault(const char *what) {
    fprintf(stderr, "qb_amx_emu: %s (the hardware would fault)\n", what);
    abort();
}

static inline void qb_amx_emu_need(int tile) {
    if (!qb_amx_emu.configured) qb_amx_emu_fault("tile instruction without a loaded tile configuration");
    if (tile < 0 || tile > 7) qb_amx_emu_fault("tile number out of range");
}

static inline void _tile_loadconfig(const void *config) {
    const uint8_t *c = (const uint8_t *)config;
    if (c[0] == 0) { memset(&qb_amx_emu, 0, sizeof(qb_amx_emu)); return; } // palette 0: init state
    if (c[0] != 1) qb_amx_emu_fault("palette other than 1");
    for (int i = 0; i < 8; i++) {
        uint16_t colsb;
        memcpy(&colsb, c + 16 + 2 * i, 2);
        uint8_t rows = c[48 + i];
        if (rows > 16 || colsb > 64) qb_amx_emu_fault("tile larger than 16 rows × 64 bytes");
        qb_amx_emu.colsb[i] = colsb;
        qb_amx_emu.rows[i] = rows;
    }
    memset(qb_amx_emu.t, 0, sizeof(qb_amx_emu.t));
    qb_amx_emu.configured = 1;
}

// Test hooks: palette 1 with tile 0 = C (rows × colsb), 1 = A (rows × acolsb), 2 = B (acolsb/4 rows × colsb).
static inline void qb_amx_emu_config_cab(int rows, int colsb, int acolsb) {
    _Alignas(64) uint8_t c[64] = {1};
    const uint16_t cb[3] = {(uint16_t)colsb, (uint16_t)acolsb, (uint16_t)colsb};
    memcpy(c + 16, cb, sizeof(cb));
    c[48] = (uint8_t)rows;
    c[49] = (uint8_t)rows;
    c[50] = (uint8_t)(acolsb / 4);
    _tile_loadconfig(c);
}

static inline void _tile_release(void) { memset(&qb_amx_emu, 0, sizeof(qb_amx_emu)); }

static inline void _tile_zero(int tile) {
    qb_amx_emu_need(tile);
    memset(qb_amx_emu.t[tile], 0, sizeof(qb_amx_emu.t[tile]));
}

static inline void _tile_loadd(int tile, const void *base, long stride) {
    qb_amx_emu_need(tile);
    const int rows = qb_amx_emu.rows[tile], colsb = qb_amx_emu.colsb[tile];
    memset(qb_amx_emu.t[tile], 0, sizeof(qb_amx_emu.t[tile]));
    for (int r = 0; r < rows; r++) memcpy(qb_amx_emu.t[tile][r], (const uint8_t *)base + (long)r * stride, (size_t)colsb);
}

// TILELOADDT1: the same data, with a hint that it will not be reused.
static inline void _tile_stream_loadd(int tile, const void *base, long stride) { _tile_loadd(tile, base, stride); }

static inline void _tile_stored(int tile, void *base, long stride) {
    qb_amx_emu_need(tile);
    const int rows = qb_amx_emu.rows[tile], colsb = qb_amx_emu.colsb[tile];
    for (int r = 0; r < rows; r++) memcpy((uint8_t *)base + (long)r * stride, qb_amx_emu.t[tile][r], (size_t)colsb);
}

// The operand checks every tile dot product makes (#UD in the SDM): configured tiles, three distinct registers,
// shapes dst [rows × 4·nc], a [rows × 4·k], b [k × 4·nc].
static inline void qb_amx_emu_check_dp(int dst, int a, int b, const char *what) {
    qb_amx_emu_need(dst);
    qb_amx_emu_need(a);
    qb_amx_emu_need(b);
    char msg[96];
    if (dst == a || dst == b || a == b) {
        snprintf(msg, sizeof msg, "%s with repeated tile operands", what);
        qb_amx_emu_fault(msg);
    }
    if (qb_amx_emu.rows[a] != qb_amx_emu.rows[dst] || qb_amx_emu.colsb[a] != 4 * qb_amx_emu.rows[b] ||
        qb_amx_emu.colsb[b] != qb_amx_emu.colsb[dst]) {
        snprintf(msg, sizeof msg, "%s tile shapes do not match", what);
        qb_amx_emu_fault(msg);
    }
}

static inline void qb_amx_emu_dp(int dst, int a, int b, int a_signed) {
    qb_amx_emu_check_dp(dst, a, b, "TDPB*D");
    const int rows = qb_amx_emu.rows[dst], nc = qb_amx_emu.colsb[dst] / 4, kq = qb_amx_emu.colsb[a] / 4;
    for (int m = 0; m < rows; m++) {
        uint8_t *crow = qb_amx_emu.t[dst][m];
        for (int n = 0; n < nc; n++) {
            int32_t c;
            memcpy(&c, crow + 4 * n, 4);
            uint32_t acc = (uint32_t)c;
            for (int k = 0; k < kq; k++)
                for (int i = 0; i < 4; i++) {
                    const uint8_t x = qb_amx_emu.t[a][m][4 * k + i];
                    const int32_t av = a_signed ? (int32_t)(int8_t)x : (int32_t)x;
                    const int32_t bv = (int8_t)qb_amx_emu.t[b][k][4 * n + i];
                    acc += (uint32_t)(av * bv);
                }
            c = (int32_t)acc;
            memcpy(crow + 4 * n, &c, 4);
        }
        memset(crow + 4 * nc, 0, (size_t)(64 - 4 * nc));
    }
    for (int m = rows; m < 16; m++) memset(qb_amx_emu.t[dst][m], 0, 64);
}

#define _tile_dpbusd(dst, a, b) qb_amx_emu_dp((dst), (a), (b), 0)
#define _tile_dpbssd(dst, a, b) qb_amx_emu_dp((dst), (a), (b), 1)

// TDPBF16PS tsrcdest, tsrc1, tsrc2, as the Intel SDM's Operation section defines it (vol. 2, "TDPBF16PS — Dot
// Product of BF16 Tiles Accumulated into Packed Single Precision Tile"; read in the stored copies of the SDM text at
// felixcloutier.com/x86/tdpbf16ps and x86.faculerena.com.ar/tdpbf16ps; Bochs' cpu/avx/amx.cc implements the same).
// Each dword of A (row m, pair k) and of B (row k, column n) is a bf16 pair, bf16[2·i + 0] the lower 16 bits. For
// each row m: 2 FP32 partial sums per column, temp[2n] = temp[2n+1] = +0; for k < a.colsb/4 in order
//     temp[2n+0] = fma(fp32(A[m].bf16[2k+0]), fp32(B[k].bf16[2n+0]), temp[2n+0])      (lower halves)
//     temp[2n+1] = fma(fp32(A[m].bf16[2k+1]), fp32(B[k].bf16[2n+1]), temp[2n+1])      (upper halves)
// then dst[m].fp32[n] = dst[m].fp32[n] + (temp[2n] + temp[2n+1]). "Round to nearest even ... Output denormals are
// always flushed to zero and input denormals are always treated as zero. MXCSR is not consulted nor updated":
// every FMA and add here rounds once (RNE), reads subnormal inputs (bf16 operands, temp, dst) as ±0 and flushes a
// subnormal result to ±0 of its sign. NaN and ∞ follow IEEE (∞·0 and ∞ − ∞ are NaN); the NaN payload the silicon
// picks is not modelled (the C library's fmaf/+ pick it here). Columns past dst.colsb/4 and rows past dst.rows are
// zeroed. Same shape rules (#UD) as TDPB*D.
// The Intrinsics Guide's pseudo-code for _tile_dpbf16ps differs (one chain per output starting from dst, lower
// half then upper); the SDM is the instruction's specification, so it is what is emulated. Consequence: within one
// TDPBF16PS the even and the odd k are summed separately and added to dst once — not the k-order FMA chain of
// qb_gemm_bf16_packed_ref, for any pair order.
static inline float qb_amx_emu_daz(float x) { return fabsf(x) < 1.17549435e-38f ? copysignf(0.0f, x) : x; }
static inline float qb_amx_emu_bf16(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    const uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return qb_amx_emu_daz(f);
}

static inline void qb_amx_emu_dpbf16ps(int dst, int a, int b) {
    qb_amx_emu_check_dp(dst, a, b, "TDPBF16PS");
    const int rows = qb_amx_emu.rows[dst], nc = qb_amx_emu.colsb[dst] / 4, kp = qb_amx_emu.colsb[a] / 4;
    for (int m = 0; m < rows; m++) {
        uint8_t *crow = qb_amx_emu.t[dst][m];
        float temp[32] = {0};
        for (int k = 0; k < kp; k++)
            for (int n = 0; n < nc; n++)
                for (int i = 0; i < 2; i++) {
                    const float x = qb_amx_emu_bf16(&qb_amx_emu.t[a][m][4 * k + 2 * i]);
                    const float y = qb_amx_emu_bf16(&qb_amx_emu.t[b][k][4 * n + 2 * i]);
                    temp[2 * n + i] = qb_amx_emu_daz(fmaf(x, y, temp[2 * n + i]));
                }
        for (int n = 0; n < nc; n++) {
            float c;
            memcpy(&c, crow + 4 * n, 4);
            const float t = qb_amx_emu_daz(temp[2 * n] + temp[2 * n + 1]);
            c = qb_amx_emu_daz(qb_amx_emu_daz(c) + t);
            memcpy(crow + 4 * n, &c, 4);
        }
        memset(crow + 4 * nc, 0, (size_t)(64 - 4 * nc));
    }
    for (int m = rows; m < 16; m++) memset(qb_amx_emu.t[dst][m], 0, 64);
}

#define _tile_dpbf16ps(dst, a, b) qb_amx_emu_dpbf16ps((dst), (a), (b))

#endif
