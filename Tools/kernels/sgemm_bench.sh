#!/usr/bin/env bash
# Builds the _CKernels C sources with the package's flags (-O3 -fno-math-errno, no -m flags) and runs
# sgemm_bench.c: the deterministic FP32 GEMM (numerics: reproducible) vs OpenBLAS (numerics: fast), one thread.
# Usage: Tools/kernels/sgemm_bench.sh [reps] [tiny]
#   For the AVX-512 kernel run it with OPENBLAS_CORETYPE=SkylakeX too (OpenBLAS's AVX-512 sgemm) to compare like
#   with like; the AVX2 kernel against OPENBLAS_CORETYPE=Haswell (or Zen).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${TMPDIR:-/tmp}/qb-sgemm-bench"
clang -O3 -fno-math-errno -I"$root/Sources/_CKernels/include" $(pkg-config --cflags openblas) \
    "$root"/Sources/_CKernels/*.c "$root/Tools/kernels/sgemm_bench.c" $(pkg-config --libs openblas) -lpthread -lm -o "$out"
"$out" "$@"
