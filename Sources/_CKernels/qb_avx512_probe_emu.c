// qb_avx512_probe.c on the emulated intrinsics of qb_avx512_emu.h (qb_avx512_probe_emu).
#define QB_PROBE_EMULATE 1
#include "qb_avx512_probe.c"
