// The "amx_emu" family: qb_qgemm_amx.c compiled a second time against qb_amx_emu.h (portable C versions of the AMX
// intrinsics), with every function name suffixed `_amx_emu`. Runs anywhere; KernelsTests check it bit-exact
// against the reference, which is how the AMX kernel's logic is tested on machines without AMX.
#define QB_AMX_EMULATE 1
#include "qb_qgemm_amx.c"

// Test hook (qb_qgemm.h): one emulated TDPBUSD/TDPBSSD on caller-given tiles, so the emulation itself can be
// checked against the formula. C [rows][colsb/4] is loaded, accumulated into, and stored back.
int qb_amx_emu_tile_dp(int a_signed, int rows, int colsb, int kquads, const uint8_t *a, const int8_t *b, int32_t *c) {
    if (rows < 1 || rows > 16 || colsb < 4 || colsb > 64 || colsb % 4 != 0 || kquads < 1 || kquads > 16) return 0;
    qb_amx_emu_config_cab(rows, colsb, 4 * kquads);
    _tile_loadd(0, c, colsb);
    _tile_loadd(1, a, 4 * kquads);
    _tile_loadd(2, b, colsb);
    if (a_signed) _tile_dpbssd(0, 1, 2);
    else _tile_dpbusd(0, 1, 2);
    _tile_stored(0, c, colsb);
    _tile_release();
    return 1;
}
