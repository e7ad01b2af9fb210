#!/usr/bin/env bash
# Executes the AVX-512 FP32 GEMM micro-kernel (qb_sgemm_avx512.c, unchanged) on a CPU without AVX-512:
# compiled with -DQB_EMULATE_INTRINSICS against SIMDe (Debian package libsimde-dev), with -mavx2 -mfma so that
# SIMDe implements each 512-bit FMA as two native 256-bit FMAs (its portable fallback is a*b + c, not fused, and
# would not be the instruction it stands for). Runs sgemm_parity.c: bit-exact against qb_sgemm_ref.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${TMPDIR:-/tmp}/qb-sgemm-emulated"
[ -f /usr/include/simde/x86/avx512.h ] || { echo "needs libsimde-dev (apt-get install libsimde-dev)"; exit 2; }
src="$root/Sources/_CKernels"
clang -O1 -mavx2 -mfma -Wno-psabi -I"$src/include" -I"$src" -DQB_EMULATE_INTRINSICS -c "$src/qb_sgemm_avx512.c" -o "$out-avx512.o"
clang -O2 -I"$src/include" -I"$src" "$src/qb_sgemm_ref.c" "$src/qb_sgemm_pack.c" "$src/qb_sgemm_avx2.c" "$out-avx512.o" \
    "$root/Tools/kernels/sgemm_parity.c" -lm -o "$out"
"$out"
