#!/usr/bin/env python3
"""Checks make_goldens.py's recipe against the original fixtures it replaces (a folder laid out like the old
../shared: fixtures/ and models/minilm-l6-mrpc/). Only for whoever has that folder; make_goldens.py never needs it.

    /tmp/goldenv/bin/python Tools/goldens/check_recipe.py --check-against ../shared

Runs make_goldens.py's own functions on the originals' inputs (bert-base-uncased vocabulary, the original tiny
model's weights and config, the fine-tuned minilm-l6-mrpc) and prints the largest differences from the original
files. Writes nothing. Exit status 1 when an exact check (ids, tokens, weights, predictions, metrics) fails.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import zipfile
from pathlib import Path

import torch
from safetensors.torch import load_file
from transformers import BertConfig, BertForSequenceClassification

sys.dont_write_bytecode = True          # no __pycache__ in Tools/goldens
sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_goldens as mg  # noqa: E402

failures: list[str] = []


def expect(ok: bool, what: str) -> None:
    print(f"  {'ok  ' if ok else 'FAIL'} {what}")
    if not ok:
        failures.append(what)


def max_diff(a, b) -> float:
    return (torch.tensor(a, dtype=torch.float64) - torch.tensor(b, dtype=torch.float64)).abs().max().item()


def check_tokenizer(fixtures: Path, vocab: Path, dev) -> None:
    print("tokenizer (data/vocab/bert-base-uncased-vocab.txt):")
    tok = mg.bert_tokenizer(vocab)
    for name, made in (("tokenizer-edge-cases.json", mg.tokenizer_edge_cases(tok)),
                       ("tokenizer-mrpc-dev-first100.json", mg.tokenizer_pairs(tok, dev[:100]))):
        orig = json.loads((fixtures / name).read_text(encoding="utf-8"))
        expect(made.pop("source") == orig.pop("source"), f"{name}: same source string before the provenance")
        expect(made == orig, f"{name}: every text, token, id and label identical")


def check_tiny(fixtures: Path, vocab: Path, train, dev) -> None:
    folder = fixtures / "tiny-random-bert"
    print(f"tiny random BERT ({folder}):")
    orig_cfg = json.loads((folder / "config.json").read_text())
    made = mg.tiny_model(mg.tiny_config(orig_cfg["vocab_size"]))
    with tempfile.TemporaryDirectory() as tmp:
        made.save_pretrained(tmp)
        expect(json.loads((Path(tmp) / "config.json").read_text()) == orig_cfg,
               "tiny_config + save_pretrained writes the original config.json (with its vocab_size)")
        weights = load_file(str(Path(tmp) / "model.safetensors"))
    orig = load_file(str(folder / "model.safetensors"))
    expect(sorted(weights) == sorted(orig), f"same {len(orig)} tensor names")
    diff = max((weights[k] - orig[k]).abs().max().item() for k in orig)
    expect(diff == 0.0, f"tiny_model(seed {mg.TINY_SEED}) reproduces the original weights: max |diff| {diff:.3g}")
    binfile = fixtures / "tiny-random-bert-pytorch-bin" / "pytorch_model.bin"
    with tempfile.TemporaryDirectory() as tmp:
        torch.save({k: orig[k] for k in sorted(orig)}, str(Path(tmp) / "pytorch_model.bin"))
        a, b = zipfile.ZipFile(Path(tmp) / "pytorch_model.bin"), zipfile.ZipFile(binfile)
        same = a.namelist() == b.namelist() and all(a.read(n) == b.read(n) for n in a.namelist()
                                                    if not n.endswith("serialization_id"))
        expect(same, "torch.save of the name-sorted tensors gives the original pytorch_model.bin's records "
                     "(all but .data/serialization_id)")

    model = BertForSequenceClassification.from_pretrained(str(folder)).eval()
    tok = mg.bert_tokenizer(vocab)
    g = json.loads((folder / "golden.json").read_text())
    r = mg.forward_golden(model, tok, dev[:8])
    for k in ("input_ids", "attention_mask", "token_type_ids"):
        expect(r[k] == g[k], f"golden.json {k} identical")
    print(f"  golden.json logits max |diff| {max_diff(r['logits'], g['logits']):.3g}, "
          f"last_hidden_state max |diff| {max_diff(r['last_hidden_state'], g['last_hidden_state']):.3g}")

    gj = json.loads((folder / "grads.json").read_text())
    rec, grads = mg.gradients(model, tok, train[:4])
    for k in ("input_ids", "attention_mask", "token_type_ids", "labels"):
        expect(rec[k] == gj[k], f"grads.json {k} identical")
    print(f"  grads.json loss {rec['loss']} vs {gj['loss']} (|diff| {abs(rec['loss'] - gj['loss']):.3g}), "
          f"logits max |diff| {max_diff(rec['logits'], gj['logits']):.3g}")
    og = load_file(str(folder / "grads.safetensors"))
    expect(sorted(grads) == sorted(og), f"grads.safetensors: the same {len(og)} names (named_parameters)")
    worst_abs = max((grads[k] - og[k]).abs().max().item() for k in og)
    rel = {k: ((grads[k] - og[k]).norm() / og[k].norm().clamp_min(1e-30)).item() for k in og
           if not k.endswith("attention.self.key.bias")}
    worst = max(rel, key=rel.get)
    print(f"  grads.safetensors max |diff| {worst_abs:.3g}; worst relative error (||a-b||/||b||, key biases "
          f"excluded: zero up to rounding) {rel[worst]:.3g} ({worst})")


def check_minilm(shared: Path, fixtures: Path, dev) -> None:
    folder = shared / "models" / "minilm-l6-mrpc"
    print(f"minilm-l6-mrpc ({folder}):")
    ref = BertForSequenceClassification.from_pretrained(str(folder)).eval()
    weights = load_file(str(folder / "model.safetensors"))
    head = {k: v for k, v in weights.items() if k.startswith("classifier.")}
    model, _, facts = mg.classifier_from_base(folder, head=head)
    same = all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), ref.state_dict().values()))
    expect(same, f"classifier_from_base(its encoder + its classifier as the head) equals from_pretrained "
                 f"(prefixed: {facts['base_prefixed']}, pooler: {facts['base_has_pooler']})")
    tok = mg.base_tokenizer(folder) if (folder / "tokenizer_config.json").exists() else mg.bert_tokenizer(
        folder / "vocab.txt")

    g = json.loads((fixtures / "logits-minilm-l6-mrpc-dev-first64.json").read_text())
    r = mg.logits_first64(model, tok, dev)
    expect(r["source"] == g["source"], "logits source string identical")
    expect(r["labels"] == g["labels"] and r["n"] == g["n"], "labels and n identical")
    for k in ("fp32", "torch_dynamic", "torch_dynamic_per_channel"):
        pr, pg = mg.predictions(torch.tensor(r[k])), mg.predictions(torch.tensor(g[k]))
        agree = sum(a == b for a, b in zip(pr, pg))
        print(f"  logits-minilm-l6-mrpc-dev-first64.json {k}: max |diff| {max_diff(r[k], g[k]):.3g}, "
              f"predictions agree {agree}/64")
        expect(agree == 64, f"{k} predictions identical")

    h = json.loads((fixtures / "hidden-states-minilm-l6-mrpc-dev-first2.json").read_text())
    rec, states = mg.hidden_states(model, tok, dev[:2])
    for k in ("input_ids", "attention_mask", "token_type_ids"):
        expect(rec[k] == h[k], f"hidden-states {k} identical")
    print(f"  hidden-states-minilm-l6-mrpc-dev-first2.json: hidden_states {list(states.shape)} max |diff| "
          f"{max_diff(states.tolist(), h['hidden_states']):.3g}, logits max |diff| {max_diff(rec['logits'], h['logits']):.3g}")

    m = mg.dev_metrics(model, tok, dev)
    ft = json.loads((folder / "finetune.json").read_text())
    print(f"  dev (408): fp32 F1 {m['fp32']['f1']:.6f} acc {m['fp32']['accuracy']:.6f} (finetune.json "
          f"{ft['dev_f1']:.6f} / {ft['dev_acc']:.6f}); torch_dynamic F1 {m['torch_dynamic']['f1']:.4f} acc "
          f"{m['torch_dynamic']['accuracy']:.4f}, {m['flips_fp32_vs_torch_dynamic']} flips; per-channel F1 "
          f"{m['torch_dynamic_per_channel']['f1']:.4f} acc {m['torch_dynamic_per_channel']['accuracy']:.4f}, "
          f"{m['flips_fp32_vs_torch_dynamic_per_channel']} flips (README: 0.8636/0.8064, 30 flips; 0.8656/0.8113, 16)")
    expect(abs(m["fp32"]["f1"] - ft["dev_f1"]) < 1e-12 and abs(m["fp32"]["accuracy"] - ft["dev_acc"]) < 1e-12,
           "FP32 dev F1 and accuracy equal finetune.json's")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check-against", type=Path, required=True, metavar="DIR",
                    help="folder with fixtures/ and models/minilm-l6-mrpc/ (the old ../shared)")
    ap.add_argument("--data", type=Path, default=mg.REPO / "data/glue/MRPC")
    ap.add_argument("--vocab", type=Path, default=mg.REPO / "data/vocab/bert-base-uncased-vocab.txt")
    ap.add_argument("--only", default="tokenizer,tiny,minilm")
    args = ap.parse_args()
    mg.setup_torch()
    print(mg.versions(), f"; {mg.THREADS} thread, quantized engine {torch.backends.quantized.engine}")
    train, dev = mg.load_pairs(args.data / "train.tsv"), mg.load_pairs(args.data / "dev.tsv")
    fixtures = args.check_against / "fixtures"
    steps = args.only.split(",")
    if "tokenizer" in steps:
        check_tokenizer(fixtures, args.vocab, dev)
    if "tiny" in steps:
        check_tiny(fixtures, args.vocab, train, dev)
    if "minilm" in steps:
        check_minilm(args.check_against, fixtures, dev)
    print("all exact checks passed" if not failures else f"{len(failures)} exact checks FAILED")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
