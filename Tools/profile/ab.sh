#!/usr/bin/env bash
# Alternates two qbench binaries (OLD, NEW) over `qbench bench` (fp32 + pytorch-dynamic, 1 and 2 threads), ROUNDS
# rounds of A B; rows go to /tmp/qb-ab-NAME/rows with the load average per run in .../log.
# usage: OLD=/path/qbench NEW=/path/qbench ab.sh NAME MODEL LIMIT ROUNDS   (LIMIT 0 = all examples)
set -euo pipefail
name=$1 model=$2 limit=$3 rounds=$4
out=/tmp/qb-ab-$name
mkdir -p "$out"
cd "$(dirname "$0")/../.."
for r in $(seq 1 "$rounds"); do
    for which in old new; do
        bin=$OLD; [ "$which" = new ] && bin=$NEW
        echo "round $r $which load $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/log"
        "$bin" bench --model "$model" --data data/glue/MRPC --scheme fp32 --scheme pytorch-dynamic --threads 1,2 \
            --repeats 1 --limit "$limit" 2>/dev/null | grep -E '^\| (fp32|pytorch-dynamic) \| [12] ' \
            | sed "s/^/$which $r /" >> "$out/rows"
    done
done
