#!/usr/bin/env bash
# Runs every libFuzzer target of Fuzz/ (or those named as arguments) for FUZZ_SECONDS each, on a copy of its seed
# corpus (Fuzz/corpus/<target>/ is never modified). Fails on the first crash, leak, timeout or out-of-memory; the
# failing input is kept in $FUZZ_OUT/<target>/ (crash-*, leak-*, timeout-*, oom-*). Prints executions per target.
# Usage: Fuzz/run.sh [target ...]    (environment: FUZZ_SECONDS, default 30; FUZZ_BIN; FUZZ_OUT)
set -euo pipefail
cd "$(dirname "$0")"
seconds=${FUZZ_SECONDS:-30}
bin=${FUZZ_BIN:-../.build-fuzz/release/qbench-fuzz}
out=${FUZZ_OUT:-../.build-fuzz/findings}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(safetensors pytorch-zip pickle tsv vocab tokenizer-json tokenizer-config experiment-yaml scheme-file quantized-metadata run-json)
[ -x "$bin" ] || { echo "fuzz: $bin is missing; build it with make fuzz-build"; exit 1; }
status=0
summary=()
for t in "${targets[@]}"; do
  [ -d "corpus/$t" ] || { echo "fuzz: no seed corpus corpus/$t"; exit 1; }
  work="$out/$t"
  rm -rf "$work"; mkdir -p "$work/corpus"
  cp corpus/"$t"/* "$work/corpus/"
  log="$work/fuzz.log"
  # -timeout: one input may take at most 10 s; -rss_limit_mb: 2 GB; leaks are reported (detect_leaks=1).
  if QBENCH_FUZZ_TARGET="$t" ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
     LSAN_OPTIONS=suppressions="$PWD/lsan.supp":print_suppressions=0 \
     "$bin" "$work/corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
     -artifact_prefix="$work/" -print_final_stats=1 >"$log" 2>&1; then
    runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
    summary+=("$t: ${runs:-?} executions in ${seconds} s, no finding")
  else
    status=1
    summary+=("$t: FINDING (see $log and $work/)")
    grep -E 'ERROR|SUMMARY|Fatal error|deadly signal|timeout|leak' "$log" | head -5 || true
  fi
done
printf '%s\n' "${summary[@]}"
exit $status
