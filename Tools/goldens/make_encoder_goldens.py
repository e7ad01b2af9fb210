#!/usr/bin/env python3
"""Makes Tests/Fixtures/encoders-shapes/: per encoder family, a tiny random classifier shaped unlike the shared
fixture of that family (other width, depth, FFN size, head count), with PyTorch goldens on all 408 MRPC dev pairs.

    /tmp/goldenv/bin/python Tools/goldens/make_encoder_goldens.py        (torch 2.15.0, transformers 5.24.0)

Reads only this repository: data/glue/MRPC/dev.tsv and, per family, the tokenizer files of the shared fixture
copied into Tests/Fixtures/encoders/<fixture>/ (never edited; they are copied beside the new model, so each folder
is a complete Hugging Face folder). Writes, per family, Tests/Fixtures/encoders-shapes/<family>/:

    config.json, model.safetensors      AutoModelForSequenceClassification.from_config, seeded (SEED + index)
    <tokenizer files>                   copied from the fixture folder
    golden.json                         ids computed by the folder's tokenizer (AutoTokenizer), FP32 logits and
                                        quantize_dynamic(qint8, engine x86) logits of all dev pairs in batches of 8
                                        padded to the batch's longest, as the shared fixtures' goldens are,
                                        and quantize_dynamic logits after one-ulp LayerNorm noise (the floor an
                                        independent INT8 engine can be held to)

and encoders-shapes/PROVENANCE.md. golden.json stores the ids compactly so the Swift tests need no tokenizer:
`input_ids` is every pair's ids concatenated, `lengths` each pair's length, `segment_a` the length of the first
segment when the tokenizer returns token type ids (types 0 before it, 1 from it on, checked here) and null when it
returns none (the model then runs on its zero buffer). Every run with the same versions gives the same files
(fixed seeds, one thread, deterministic algorithms, fixed JSON layout; helpers shared with make_goldens.py).
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import inspect
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_goldens import (QUANT_ENGINE, THREADS, float32_list, load_pairs, setup_torch,  # noqa: E402
                          versions, write_json)

import torch  # noqa: E402
from torch import nn  # noqa: E402
from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SCRIPT = "Tools/goldens/make_encoder_goldens.py"
SEED = 4321
MAX_LENGTH = 128        # truncation=longest_first, max_length=128, as the fixtures' goldens
BATCH = 8
INIT_RANGE = 0.2        # weights ~ N(0, 0.2²): logits of order 1 that differ from pair to pair
MODEL_FILES = {"config.json", "model.safetensors", "golden.json"}

# family → (fixture folder whose tokenizer files it copies, config overrides). The fixtures are all hidden 64,
# 2 layers, FFN 256, 4 heads; each shape here differs in all four (DeBERTa-v2 keeps 4 heads at another head
# width), and the activations, label counts, ALBERT's groups, ELECTRA's embedding width and DeBERTa-v2's options
# (embed_proj, position and token type tables, separate position projections, other buckets) vary as well. max_position_embeddings leaves room for 128 tokens (RoBERTa
# and XLM-R: + pad_token_id + 1).
SHAPES = {
    "bert": ("bert-uncased-tokenizer-json", dict(
        model_type="bert", vocab_size=3000, hidden_size=48, num_hidden_layers=3, num_attention_heads=3,
        intermediate_size=80, max_position_embeddings=130, hidden_act="gelu_pytorch_tanh")),
    "roberta": ("roberta", dict(
        model_type="roberta", vocab_size=2000, hidden_size=32, num_hidden_layers=3, num_attention_heads=2,
        intermediate_size=72, max_position_embeddings=132, type_vocab_size=1, pad_token_id=1, bos_token_id=0,
        eos_token_id=2, layer_norm_eps=1e-5)),
    "xlm-roberta": ("xlm-roberta", dict(
        model_type="xlm-roberta", vocab_size=2000, hidden_size=40, num_hidden_layers=1, num_attention_heads=5,
        intermediate_size=100, max_position_embeddings=131, type_vocab_size=1, pad_token_id=1, bos_token_id=0,
        eos_token_id=2, hidden_act="gelu_new", num_labels=3)),
    "distilbert": ("distilbert", dict(
        model_type="distilbert", vocab_size=3000, dim=48, n_layers=3, n_heads=6, hidden_dim=96,
        max_position_embeddings=130, activation="relu")),
    "electra": ("electra", dict(
        model_type="electra", vocab_size=3000, embedding_size=24, hidden_size=48, num_hidden_layers=3,
        num_attention_heads=4, intermediate_size=144, max_position_embeddings=130, num_labels=3)),
    "albert": ("albert", dict(
        model_type="albert", vocab_size=2000, embedding_size=16, hidden_size=48, num_hidden_layers=4,
        num_hidden_groups=2, inner_group_num=2, num_attention_heads=3, intermediate_size=96,
        max_position_embeddings=130, hidden_act="gelu_new")),
    "deberta-v2": ("deberta-v2", dict(
        model_type="deberta-v2", vocab_size=2000, embedding_size=32, hidden_size=48, num_hidden_layers=3,
        num_attention_heads=4, intermediate_size=120, max_position_embeddings=130, type_vocab_size=2,
        position_biased_input=True, relative_attention=True, position_buckets=16, max_relative_positions=64,
        pos_att_type=["c2p", "p2c"], share_att_key=False, norm_rel_ebd="layer_norm", pooler_hidden_size=48,
        pooler_hidden_act="gelu", layer_norm_eps=1e-7)),
}


def provenance() -> str:
    return (f"made by `python {SCRIPT}` ({versions()}; quantized engine {QUANT_ENGINE}/fbgemm, {THREADS} thread)")


def random_classifier(family: str, overrides: dict, seed: int):
    """The family's `…ForSequenceClassification` with HF's seeded init at `initializer_range` INIT_RANGE (HF's 0.02
    gives logits that barely depend on the input, which would make a 1e-4 comparison say little), then every bias ~ N(0, 0.02²) and every
    LayerNorm γ ~ 1 + N(0, 0.1²), β ~ N(0, 0.05²), so biases and LayerNorm parameters are exercised too."""
    kwargs = {"initializer_range": INIT_RANGE, **{k: v for k, v in overrides.items() if k != "model_type"}}
    config = AutoConfig.for_model(overrides["model_type"], **kwargs)
    config.architectures = [type(AutoModelForSequenceClassification.from_config(config)).__name__]
    torch.manual_seed(seed)
    model = AutoModelForSequenceClassification.from_config(config)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.LayerNorm):
                module.weight.copy_(1 + 0.1 * torch.randn(module.weight.shape, generator=g))
                module.bias.copy_(0.05 * torch.randn(module.bias.shape, generator=g))
            elif isinstance(module, nn.Linear) and module.bias is not None:
                module.bias.copy_(0.02 * torch.randn(module.bias.shape, generator=g))
    return model.eval()


ULP_NOISE_TEXT = ("quantize_dynamic logits of the same model with every LayerNorm weight multiplied by "
                  "(1 + 1.2e-7 * N(0, 1)) (about one float32 ulp; torch.Generator seeded with the model's seed): how "
                  "far PyTorch's own INT8 logits move when FP32 rounding differs by an ulp, the floor for comparing "
                  "another INT8 engine (activations near a rounding boundary flip to the next code)")


def ulp_noise(model, seed: int):
    """A copy of `model` whose LayerNorm weights are perturbed by about one float32 ulp (ULP_NOISE_TEXT)."""
    noisy = copy.deepcopy(model)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in noisy.modules():
            if isinstance(module, nn.LayerNorm):
                module.weight.mul_(1 + 1.2e-7 * torch.randn(module.weight.shape, generator=g))
    return noisy


def encode(tok, dev):
    """Per pair the tokenizer's ids and (when it returns them) token type ids, truncated as the fixtures were."""
    out = []
    for label, a, b in dev:
        enc = tok(a, b, truncation="longest_first", max_length=MAX_LENGTH)
        out.append((label, enc["input_ids"], enc.get("token_type_ids")))
    return out


def logits(model, tok, encoded):
    """Logits of every pair in batches of BATCH, padded to the batch's longest by the tokenizer; the model gets
    the inputs its forward takes (DistilBERT has no token_type_ids)."""
    accepted = set(inspect.signature(model.forward).parameters)
    rows = []
    with torch.no_grad():
        for i in range(0, len(encoded), BATCH):
            feats = [{"input_ids": ids, **({"token_type_ids": tt} if tt is not None else {})}
                     for _, ids, tt in encoded[i:i + BATCH]]
            batch = tok.pad(feats, padding="longest", return_tensors="pt")
            rows.append(model(**{k: v for k, v in batch.items() if k in accepted}).logits)
    return torch.cat(rows)


def make_family(out: Path, family: str, index: int, dev) -> None:
    fixture_name, overrides = SHAPES[family]
    fixture = REPO / "Tests/Fixtures/encoders" / fixture_name
    folder = out / family
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    seed = SEED + index
    model = random_classifier(family, overrides, seed)
    model.save_pretrained(folder)
    for f in sorted(fixture.iterdir()):
        if f.is_file() and f.name not in MODEL_FILES:
            shutil.copyfile(f, folder / f.name)
    tok = AutoTokenizer.from_pretrained(folder)
    encoded = encode(tok, dev)
    segment_a = None
    if encoded[0][2] is not None:
        segment_a = []
        for _, ids, tt in encoded:
            a = tt.index(1) if 1 in tt else len(tt)
            assert tt == [0] * a + [1] * (len(tt) - a), f"{family}: token types are not two segments"
            segment_a.append(a)
    fp32 = logits(model, tok, encoded)
    from torch.ao.quantization import quantize_dynamic
    qmodel = quantize_dynamic(copy.deepcopy(model), {nn.Linear}, dtype=torch.qint8)
    dynamic = logits(qmodel, tok, encoded)
    noisy = logits(quantize_dynamic(ulp_noise(model, seed), {nn.Linear}, dtype=torch.qint8), tok, encoded)
    c = model.config
    write_json(folder / "golden.json", {
        "source": (f"{type(model).__name__} ({c.model_type}) random, seed {seed}, shape {overrides}; "
                   f"ids by {type(tok).__name__} from {fixture_name}'s tokenizer files on the {len(dev)} pairs of "
                   f"data/glue/MRPC/dev.tsv, truncation longest_first max_length {MAX_LENGTH}; batches of {BATCH} "
                   f"padded to the batch's longest; fp32 eval; quantize_dynamic(model, {{nn.Linear}}, "
                   f"dtype=qint8); {provenance()}"),
        "family": family,
        "labels": [label for label, _, _ in encoded],
        "lengths": [len(ids) for _, ids, _ in encoded],
        "input_ids": [i for _, ids, _ in encoded for i in ids],
        "segment_a": segment_a,
        "logits_fp32": float32_list(fp32),
        "logits_quantize_dynamic": float32_list(dynamic),
        "logits_quantize_dynamic_ulp_noise": float32_list(noisy),
        "ulp_noise": ULP_NOISE_TEXT,
    })


def write_provenance(out: Path) -> None:
    lines = ["# Tests/Fixtures/encoders-shapes provenance", "",
             f"Made by `/tmp/goldenv/bin/python {SCRIPT}` ({versions()}). Per family a tiny random classifier",
             "shaped unlike its shared fixture in `../encoders/` (hidden 64, 2 layers, FFN 256, 4 heads there), its",
             "tokenizer files copied from that fixture, and `golden.json`: ids of all 408 MRPC dev pairs computed by",
             "transformers (stored compactly: `input_ids` concatenated, `lengths`, `segment_a` = first segment's",
             "length or null), FP32 and `quantize_dynamic` logits in batches of 8 padded to the batch's longest.",
             "", "| family | shape (config overrides) |", "|---|---|"]
    for family, (fixture, overrides) in SHAPES.items():
        shape = ", ".join(f"{k}={v}" for k, v in overrides.items() if k != "model_type")
        lines.append(f"| `{family}` (tokenizer of `{fixture}`) | {shape} |")
    lines += ["", "| file | bytes | sha256 |", "|---|---|---|"]
    for p in sorted(out.rglob("*")):
        if p.is_file() and p.name != "PROVENANCE.md":
            lines.append(f"| `{p.relative_to(out)}` | {p.stat().st_size} | `{hashlib.sha256(p.read_bytes()).hexdigest()}` |")
    (out / "PROVENANCE.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=REPO / "Tests/Fixtures/encoders-shapes")
    ap.add_argument("--data", type=Path, default=REPO / "data/glue/MRPC")
    ap.add_argument("--only", default=",".join(SHAPES), help=f"comma-separated families of {', '.join(SHAPES)}")
    args = ap.parse_args(argv)
    families = args.only.split(",")
    assert set(families) <= set(SHAPES), f"unknown family in {families}"
    setup_torch()
    print(versions())
    dev = load_pairs(args.data / "dev.tsv")
    assert len(dev) == 408, len(dev)
    for i, family in enumerate(SHAPES):
        if family in families:
            make_family(args.out, family, i, dev)
    write_provenance(args.out)
    for p in sorted(args.out.rglob("*")):
        if p.is_file():
            print(f"{p.stat().st_size:>9}  {p.relative_to(args.out)}")


if __name__ == "__main__":
    main()
