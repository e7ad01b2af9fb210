#!/usr/bin/env python3
"""Loads a `qbench finetune` output folder in Hugging Face transformers and compares its dev predictions with
QuantBench's.

    qbench eval --model DIR --data data/glue/MRPC --predictions /tmp/qb.jsonl
    python3 Tools/training/check_transformers.py DIR data/glue/MRPC/dev.tsv /tmp/qb.jsonl

Needs torch and transformers (pip install torch transformers). Batches of 8, padded to the longest, as qbench eval.
Prints the number of differing predictions and the largest logit difference; exits 1 if any prediction differs.
"""
import json
import sys

import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer


def main():
    folder, tsv, predictions = sys.argv[1:4]
    model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    rows = [line.rstrip("\n").split("\t") for line in open(tsv, encoding="utf-8-sig")][1:]
    ours = [json.loads(line) for line in open(predictions)]
    assert len(ours) == len(rows), f"{len(ours)} predictions for {len(rows)} rows"
    logits = []
    with torch.no_grad():
        for i in range(0, len(rows), 8):
            chunk = rows[i:i + 8]
            enc = tokenizer([r[3] for r in chunk], [r[4] for r in chunk], truncation="longest_first", max_length=128,
                            padding=True, return_tensors="pt")
            logits += model(**enc).logits.tolist()
    flips = sum(1 for a, b in zip(logits, ours) if max(range(len(a)), key=a.__getitem__) != b["prediction"])
    worst = max(abs(x - y) for a, b in zip(logits, ours) for x, y in zip(a, b["logits"]))
    print(f"transformers {model.__class__.__name__}: {len(rows)} examples, {flips} predictions differ, "
          f"max |logit difference| {worst:.2e}")
    sys.exit(1 if flips else 0)


if __name__ == "__main__":
    main()
