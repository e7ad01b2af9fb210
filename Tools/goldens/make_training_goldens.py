#!/usr/bin/env python3
"""Makes Tests/Fixtures/encoders-training/: training goldens of the tiny RoBERTa, XLM-R and DistilBERT fixtures
(Tests/Fixtures/encoders/<family>/, read only), for the Swift trainer (`Training.TrainableBert`).

    /tmp/goldenv/bin/python Tools/goldens/make_training_goldens.py    (torch 2.15.0, transformers 5.24.0, accelerate)

Per family, Tests/Fixtures/encoders-training/<family>/:

    grads.json, grads.safetensors   eval mode (no dropout), the first 4 MRPC train pairs as one batch padded to the
                                    longest (AutoTokenizer, truncation=longest_first, max_length=128), loss = mean
                                    cross-entropy; d(loss)/d(param) of every parameter under its named_parameters
                                    name; the word embedding table only at `word_rows` (the ids of the batch, the
                                    only rows with a non-zero gradient, checked here), as [len(word_rows), hidden]
    steps.json, steps.safetensors   transformers' own training: `Trainer` (optim adamw_torch, lr 1e-3, linear
                                    schedule with 1 warm-up step, weight decay 0.01, max_grad_norm 1.0, batch 4,
                                    4 steps over the first 16 train pairs in order (SequentialSampler),
                                    DataCollatorWithPadding) with every dropout set to 0 so the run is
                                    deterministic; steps.json holds each step's padded batch and loss, and the
                                    trained model's eval logits on the first 8 dev pairs padded to the longest;
                                    steps.safetensors the trained parameters (word embeddings at `word_rows`: the
                                    ids seen in training and the table's last 4 rows)

and encoders-training/PROVENANCE.md. Reruns with the same versions give the same files (one thread, deterministic
algorithms, fixed seeds; helpers shared with make_goldens.py).
"""
from __future__ import annotations

import hashlib
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_goldens import (THREADS, float32_list, load_pairs, setup_torch, versions, write_json,  # noqa: E402
                          write_safetensors)

import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils.data import SequentialSampler  # noqa: E402
from transformers import (AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding,  # noqa: E402
                          Trainer, TrainingArguments)

REPO = Path(__file__).resolve().parents[2]
SCRIPT = "Tools/goldens/make_training_goldens.py"
FAMILIES = ("roberta", "xlm-roberta", "distilbert")
MAX_LENGTH = 128
LR, WARMUP, STEPS, BATCH, DECAY, CLIP, SEED = 1e-3, 1, 4, 4, 0.01, 1.0, 42


def provenance() -> str:
    return f"made by `python {SCRIPT}` ({versions()}; {THREADS} thread)"


def encode(tok, pairs, padding="longest"):
    return tok([a for _, a, _ in pairs], [b for _, _, b in pairs], truncation="longest_first",
               max_length=MAX_LENGTH, padding=padding, return_tensors="pt")


def batch_record(enc) -> dict:
    """The batch as the Swift tests rebuild it; `token_type_ids` null when the tokenizer returns none."""
    return {"input_ids": enc["input_ids"].tolist(), "attention_mask": enc["attention_mask"].tolist(),
            "token_type_ids": enc["token_type_ids"].tolist() if "token_type_ids" in enc else None}


def word_key(model) -> str:
    return next(n for n, _ in model.named_parameters() if n.endswith("embeddings.word_embeddings.weight"))


def gradients(model, tok, pairs) -> tuple[dict, dict]:
    enc = encode(tok, pairs)
    labels = torch.tensor([label for label, _, _ in pairs])
    model.eval()
    model.zero_grad(set_to_none=True)
    logits = model(**enc).logits
    loss = nn.functional.cross_entropy(logits, labels)
    loss.backward()
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters()}
    model.zero_grad(set_to_none=True)
    wk = word_key(model)
    rows = sorted(set(enc["input_ids"].reshape(-1).tolist()))
    others = [r for r in range(grads[wk].shape[0]) if r not in set(rows)]
    assert torch.count_nonzero(grads[wk][others]) == 0, "word embedding gradient outside the batch's ids"
    grads[wk] = grads[wk][rows]
    record = {**batch_record(enc), "labels": labels.tolist(), "loss": float32_list(loss),
              "logits": float32_list(logits), "word_rows": rows}
    return record, grads


class InOrderTrainer(Trainer):
    """HF Trainer visiting the data in order, recording each step's loss."""
    losses: list

    def _get_train_sampler(self, *args, **kwargs):
        return SequentialSampler(self.train_dataset)

    def compute_loss(self, model, inputs, return_outputs=False, **kwargs):
        out = super().compute_loss(model, inputs, return_outputs=return_outputs, **kwargs)
        loss = out[0] if return_outputs else out
        self.losses.append(float32_list(loss.detach()))
        return out


def no_dropout(model) -> None:
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.p = 0.0
    for key in ("hidden_dropout_prob", "attention_probs_dropout_prob", "classifier_dropout", "dropout",
                "attention_dropout", "seq_classif_dropout"):
        if hasattr(model.config, key):
            setattr(model.config, key, 0.0)


def training(folder: Path, tok, train, dev) -> tuple[dict, dict]:
    model = AutoModelForSequenceClassification.from_pretrained(str(folder))
    no_dropout(model)
    pairs = train[:STEPS * BATCH]
    rows = []
    for label, a, b in pairs:
        e = tok(a, b, truncation="longest_first", max_length=MAX_LENGTH)
        rows.append({**{k: v for k, v in e.items()}, "labels": label})
    collator = DataCollatorWithPadding(tok)
    batches = [batch_record(collator([{k: v for k, v in r.items() if k != "labels"} for r in rows[i:i + BATCH]]))
               for i in range(0, len(rows), BATCH)]
    with tempfile.TemporaryDirectory() as tmp:
        args = TrainingArguments(output_dir=tmp, per_device_train_batch_size=BATCH, max_steps=STEPS, learning_rate=LR,
                                 lr_scheduler_type="linear", warmup_steps=WARMUP, weight_decay=DECAY,
                                 max_grad_norm=CLIP, optim="adamw_torch", adam_beta1=0.9, adam_beta2=0.999,
                                 adam_epsilon=1e-8, seed=SEED, report_to="none", save_strategy="no",
                                 logging_strategy="no", use_cpu=True, dataloader_num_workers=0,
                                 disable_tqdm=True)
        trainer = InOrderTrainer(model=model, args=args, train_dataset=rows, data_collator=collator)
        trainer.losses = []
        trainer.train()
    assert len(trainer.losses) == STEPS, trainer.losses
    model.eval()
    enc = encode(tok, dev[:8])
    with torch.no_grad():
        logits = model(**enc).logits
    state = {n: p.detach().clone() for n, p in model.named_parameters()}
    wk = word_key(model)
    vocab = state[wk].shape[0]
    seen = sorted(set(i for bt in batches for row in bt["input_ids"] for i in row))
    word_rows = sorted(set(seen) | set(range(vocab - 4, vocab)))
    state[wk] = state[wk][word_rows]
    record = {"lr": LR, "warmup_steps": WARMUP, "steps": STEPS, "batch_size": BATCH, "weight_decay": DECAY,
              "max_grad_norm": CLIP, "batches": batches,
              "labels": [[label for label, _, _ in pairs[i:i + BATCH]] for i in range(0, len(pairs), BATCH)],
              "losses": trainer.losses, "word_rows": word_rows, "eval_batch": batch_record(enc),
              "eval_logits": float32_list(logits)}
    return record, state


def main() -> None:
    setup_torch()
    data = REPO / "data/glue/MRPC"
    train, dev = load_pairs(data / "train.tsv"), load_pairs(data / "dev.tsv")
    out = REPO / "Tests/Fixtures/encoders-training"
    lines = []
    for family in FAMILIES:
        folder = REPO / "Tests/Fixtures/encoders" / family
        tok = AutoTokenizer.from_pretrained(str(folder))
        model = AutoModelForSequenceClassification.from_pretrained(str(folder))
        record, grads = gradients(model, tok, train[:4])
        source = (f"{family}: eval mode, first 4 MRPC train pairs padded to the longest, loss = mean cross-entropy, "
                  "d(loss)/d(param) under the named_parameters names, word embeddings at word_rows; " + provenance())
        write_json(out / family / "grads.json", {"source": source, **record})
        write_safetensors(out / family / "grads.safetensors", grads, {"source": source})
        torch.manual_seed(SEED)
        record, state = training(folder, tok, train, dev)
        source = (f"{family}: transformers Trainer, {STEPS} steps of {BATCH} of the first {STEPS * BATCH} MRPC "
                  f"train pairs in order, adamw_torch lr {LR}, linear schedule, {WARMUP} warm-up step, weight decay "
                  f"{DECAY}, max_grad_norm {CLIP}, dropout 0; trained parameters (word embeddings at word_rows); "
                  + provenance())
        write_json(out / family / "steps.json", {"source": source, **record})
        write_safetensors(out / family / "steps.safetensors", state, {"source": source})
        print(f"{family}: step losses {record['losses']}")
    for path in sorted(out.rglob("*")):
        if path.is_file() and path.name != "PROVENANCE.md":
            data = path.read_bytes()
            lines.append(f"| `{path.relative_to(out)}` | {len(data)} | `{hashlib.sha256(data).hexdigest()}` |")
    (out / "PROVENANCE.md").write_text(
        "# Tests/Fixtures/encoders-training provenance\n\n"
        f"Made by `/tmp/goldenv/bin/python {SCRIPT}` ({versions()}, accelerate "
        f"{__import__('accelerate').__version__}) from the fixtures in `Tests/Fixtures/encoders/` (roberta, "
        "xlm-roberta, distilbert; read only) and `data/glue/MRPC`. What each file holds: the script's docstring. "
        "Reruns with the same versions are byte-identical.\n\n| file | bytes | sha256 |\n|---|---|---|\n"
        + "\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
