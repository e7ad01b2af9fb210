// The emulated bf16 kernel ("avx512bf16_emu"): qb_gemm_bf16_avx512.c compiled a second time against
// qb_avx512_emu.h, so the AVX512-BF16 kernel's logic is tested bit-exact against the reference on any x86 CPU.
#define QB_BF16_EMULATE 1
#include "qb_gemm_bf16_avx512.c"
