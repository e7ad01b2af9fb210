// The "avx512vnni_emu" family: qb_qgemm_avx512vnni.c compiled a second time against qb_avx512_emu.h (portable C
// versions of the AVX-512 intrinsics it uses), with every exported name suffixed `_avx512vnni_emu`. Runs on any
// x86-64 CPU; KernelsTests check it bit-exact against the reference, which is how the VNNI kernel's logic is tested
// on machines without AVX-512.
#define QB_VNNI_EMULATE 1
#include "qb_qgemm_avx512vnni.c"
