// The emulated AVX-512F FP32 micro-kernel ("avx512vnni_emu" family): qb_sgemm_avx512.c compiled a second time
// against qb_avx512_emu.h, as qb_sgemm_micro_avx512_emu. Runs on any x86-64 CPU; SgemmParityTests check it bit-exact
// against qb_sgemm_ref.
#define QB_SGEMM_EMULATE 1
#include "qb_sgemm_avx512.c"
