// The fused attention's AVX-512 source compiled a second time against qb_avx512_emu.h (portable C versions of
// the intrinsics it uses), exported as qb_attention_f32_avx512_emu: runs on any x86-64 CPU, so AttentionParityTests
// check the AVX-512 kernel's logic bit-exact against `_ref` on machines without AVX-512.
#define QB_ATTN_EMULATE 1
#include "qb_attention_avx512.c"
