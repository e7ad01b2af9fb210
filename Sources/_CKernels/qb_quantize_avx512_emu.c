// The emulated AVX-512 quantize and min/max ("avx512vnni_emu" family): qb_quantize_avx512.c compiled a second time
// against qb_avx512_emu.h, exported names suffixed `_avx512_emu`. Runs on any x86-64 CPU; KernelsTests check it
// bit-exact against the reference.
#define QB_QUANTIZE_EMULATE 1
#include "qb_quantize_avx512.c"
