#!/usr/bin/env bash
# Builds the _CKernels C sources with the package's flags (-O3 -fno-math-errno, no -m flags) and runs bench.c.
# Usage: Tools/kernels/bench.sh [ref|avx2|avx512vnni|amx|amx_emu]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${TMPDIR:-/tmp}/qb-kernel-bench"
clang -O3 -fno-math-errno -I"$root/Sources/_CKernels/include" $(pkg-config --cflags openblas) \
    "$root"/Sources/_CKernels/*.c "$root/Tools/kernels/bench.c" $(pkg-config --libs openblas) -lpthread -lm -o "$out"
"$out" "$@"
