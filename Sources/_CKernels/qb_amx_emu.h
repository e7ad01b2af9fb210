// Portable C emulation of exactly the AMX intrinsics qb_qgemm_amx.c uses, so that the same kernel source compiles a
// second time (qb_qgemm_amx_emu.c, QB_AMX_EMULATE) and runs on any CPU: the "amx_emu" family, which KernelsTests
// checks bit-exact against the reference. It checks the kernel's logic (tile configuration, blocking, edges,
// staging, the packed layout), not the silicon.
//
// State is per thread, as on hardware: a 64-byte tile configuration and eight tiles of 16 rows × 64 bytes.
// Semantics follow Intel's pseudo-code (SDM vol. 2, "TDPBUSD/TDPBSSD", "TILELOADD", "LDTILECFG"):
//   LDTILECFG   palette 1 only; rows[i] ≤ 16, colsb[i] ≤ 64; every tile is zeroed.
//   TILELOADD   row r < rows: colsb bytes from base + r·stride, rest of the row zero; rows ≥ rows zero.
//   TDPBUSD     for m < dst.rows, n < dst.colsb/4: dst[m][n] += Σ_{k < a.colsb/4} Σ_{i<4} u8(a[m][4k+i])·s8(b[k][4n+i])
//               in wrapping int32 (no saturation); TDPBSSD the same with s8(a). Bytes past dst.colsb are zeroed.
//   TILESTORED  rows × colsb bytes to base + r·stride.   TILEZERO / TILERELEASE: zero a tile / drop the config.
// A use the hardware would fault on (#UD with no configuration, or shapes that do not match: a.rows ≠ dst.rows,
// a.colsb ≠ 4·b.rows, b.colsb ≠ dst.colsb) aborts with a message, so such a kernel bug fails here too.
#ifndef QB_AMX_EMU_H
#define QB_AMX_EMU_H
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

static inline void qb_amx_emu_dp(int dst, int a, int b, int a_signed) {
    qb_amx_emu_need(dst);
    qb_amx_emu_need(a);
    qb_amx_emu_need(b);
    if (dst == a || dst == b || a == b) qb_amx_emu_fault("TDPB*D with repeated tile operands");
    const int rows = qb_amx_emu.rows[dst], nc = qb_amx_emu.colsb[dst] / 4, kq = qb_amx_emu.colsb[a] / 4;
    if (qb_amx_emu.rows[a] != rows || qb_amx_emu.colsb[a] != 4 * qb_amx_emu.rows[b] ||
        qb_amx_emu.colsb[b] != qb_amx_emu.colsb[dst])
        qb_amx_emu_fault("TDPB*D tile shapes do not match");
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

#endif
