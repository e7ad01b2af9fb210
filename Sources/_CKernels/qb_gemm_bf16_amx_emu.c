// The emulated AMX-BF16 kernel ("amx_emu"): qb_gemm_bf16_amx.c compiled a second time against qb_amx_emu.h
// (portable C versions of the AMX intrinsics, TDPBF16PS as the SDM defines it), with every function name suffixed
// `_amx_emu`, so the kernel's logic is tested bit-exact against qb_gemm_bf16_packed_amx_ref on any CPU.
#define QB_AMX_EMULATE 1
#include "qb_gemm_bf16_amx.c"

// Test hook (qb_bf16.h): one emulated TDPBF16PS on caller-given tiles, so the emulation itself can be checked
// against the SDM's formula. C [rows][colsb/4] FP32 is loaded, accumulated into, and stored back.
int qb_amx_emu_tile_dpbf16ps(int rows, int colsb, int kpairs, const uint16_t *a, const uint16_t *b, float *c) {
    if (rows < 1 || rows > 16 || colsb < 4 || colsb > 64 || colsb % 4 != 0 || kpairs < 1 || kpairs > 16) return 0;
    qb_amx_emu_config_cab(rows, colsb, 4 * kpairs);
    _tile_loadd(0, c, colsb);
    _tile_loadd(1, a, 4 * kpairs);
    _tile_loadd(2, b, colsb);
    _tile_dpbf16ps(0, 1, 2);
    _tile_stored(0, c, colsb);
    _tile_release();
    return 1;
}
