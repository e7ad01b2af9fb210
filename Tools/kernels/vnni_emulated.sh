#!/usr/bin/env bash
# Executes the AVX512-VNNI GEMM kernel on a CPU without AVX-512: qb_qgemm_avx512vnni.c is compiled with
# -DQB_EMULATE_INTRINSICS, which swaps <immintrin.h> for SIMDe (Debian package libsimde-dev: portable C
# implementations of the AVX-512 intrinsics, vpdpbusd included) and drops the target attributes. The very same
# kernel source, blocking and packed layout then run through parity.c against the scalar reference.
# SIMDe's _mm512_dpbusd_epi32 is a plain C loop (u8·s8 products, 4 per lane, wrapping int32 add), so this checks
# our kernel's logic (layout, blocking, tails, the s8 +128 shift and row-sum correction), not the silicon.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${TMPDIR:-/tmp}/qb-vnni-emulated"
[ -f /usr/include/simde/x86/avx512.h ] || { echo "needs libsimde-dev (apt-get install libsimde-dev)"; exit 2; }
src="$root/Sources/_CKernels"
# Only the VNNI file is emulated; the reference and packing are the normal sources.
clang -O1 -Wno-psabi -I"$src/include" -DQB_EMULATE_INTRINSICS -c "$src/qb_qgemm_avx512vnni.c" -o "$out-vnni.o"
clang -O2 -I"$src/include" "$src/qb_qgemm_ref.c" "$src/qb_pack.c" "$out-vnni.o" \
    -DQB_PARITY_VNNI_ONLY "$root/Tools/kernels/parity.c" -lm -o "$out"
"$out" 2
