// The emulated AVX-512 GELU and masked softmax ("avx512vnni_emu" family): qb_vmath_avx512.c compiled a second time
// against qb_avx512_emu.h, exported as qb_gelu_erf_f32_avx512_emu and qb_softmax_masked_f32_avx512_emu. Runs on any
// CPU with AVX2 + FMA (see qb_vmath_avx512.c); KernelsTests check it bit-exact against the AVX2 kernels.
#define QB_VMATH_EMULATE 1
#include "qb_vmath_avx512.c"
