#!/usr/bin/env python3
"""Peer timings for `qbench bench --peers`: PyTorch and ONNX Runtime on the same model, data and batches.

Runs the PyTorch dynamic-quantization tutorial's pipeline on a Hugging Face encoder classifier folder (any family
QuantBench runs: bert, roberta, xlm-roberta, distilbert, electra, albert) and MRPC-format TSV data, the way
QuantBench's engine sees them (same examples, same order, same tokenization, batch 8 padded to max_seq_length 128
by default). The folder's own tokenizer and class are used, as transformers loads them: AutoTokenizer and
AutoModelForSequenceClassification.from_pretrained(folder).

  pytorch      fp32               AutoModelForSequenceClassification, eval mode, torch.inference_mode()
  pytorch      quantize_dynamic   torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
  onnxruntime  fp32               torch.onnx.export of the FP32 model (TorchScript exporter, opset 17)
  onnxruntime  quantize_dynamic   onnxruntime.quantization.quantize_dynamic(fp32.onnx, int8.onnx,
                                  weight_type=QuantType.QInt8) with its default operator set

For each thread count: torch.set_num_threads(n) (inter-op threads 1); ORT sessions with intra_op_num_threads=n,
inter_op_num_threads=1, ORT_SEQUENTIAL, CPUExecutionProvider. One warm-up batch per engine, then `--repeats` timed
passes over all batches, engines alternating (A B C D A B C D ...). Tokenization and tensor building are not timed.

Prints ONE JSON document on stdout (schema below, `schema_version` 1); everything else goes to stderr.
`--check` only imports the packages and prints their versions. Exit status: 0 ok, 2 missing packages, 1 other errors.

Install: pip install torch transformers onnxruntime onnx     (see README.md in this folder)
"""

import argparse
import contextlib
import hashlib
import io
import json
import os
import platform
import signal
import statistics
import sys
import tempfile
import time

SCHEMA_VERSION = 1
ONNX_OPSET = 17


def log(*args):
    print("[peers]", *args, file=sys.stderr, flush=True)


class PeerError(Exception):
    """A user-caused problem (bad path, bad data): one message, exit 1."""


# ---------------------------------------------------------------------------------------------------------------
# Data: the same TSV reading and batching as QuantBench (Sources/Datasets/PairDataset.swift, Evaluator.batches).

def read_pairs(path, split):
    """Rows of a GLUE MRPC / MSRP TSV file (or `<folder>/<split>.tsv`): list of (label or None, text_a, text_b)."""
    if os.path.isdir(path):
        path = os.path.join(path, split + ".tsv")
    if not os.path.isfile(path):
        raise PeerError(f"{path}: no such file")
    with open(path, "rb") as f:
        text = f.read().decode("utf-8")
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise PeerError(f"{path}: empty file")
    header = lines[0].split("\t")
    if len(header) != 5:
        raise PeerError(f"{path}: expected a 5-column header, found {lines[0]!r}")
    unlabelled = header[0].lower() == "index"
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        if line == "":
            continue
        f = line.split("\t")
        if len(f) != 5:
            raise PeerError(f"{path}, line {number}: {len(f)} columns, expected 5")
        label = None
        if not unlabelled:
            if f[0] not in ("0", "1"):
                raise PeerError(f"{path}, line {number}: label {f[0]!r} is not 0 or 1")
            label = int(f[0])
        rows.append((label, f[3], f[4]))
    if not rows:
        raise PeerError(f"{path}: no examples")
    return path, rows


INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")


def make_batches(tokenizer, rows, batch_size, max_seq_length, pad_to_max):
    """Batches of int64 numpy arrays (input_ids, attention_mask, token_type_ids), in data order, and the names
    the tokenizer returned (RoBERTa's, XLM-R's and ALBERT's return no token_type_ids: the model then uses its
    zero buffer, and the batch holds zeros, as QuantBench's batches of those families do).

    Pairs are encoded with the folder's template (BERT `[CLS] a [SEP] b [SEP]`, RoBERTa `<s> a </s></s> b </s>`),
    truncated longest_first to max_seq_length, padded on the right with the tokenizer's pad token to max_seq_length
    (pad_to_max) or to the batch's longest sequence, like QuantBench's BertBatch.
    """
    import numpy as np
    batches, returned = [], None
    for start in range(0, len(rows), batch_size):
        chunk = rows[start:start + batch_size]
        enc = tokenizer([r[1] for r in chunk], [r[2] for r in chunk], truncation="longest_first",
                        max_length=max_seq_length, padding="max_length" if pad_to_max else "longest")
        returned = [k for k in INPUT_NAMES if k in enc]
        b = {k: np.asarray(enc[k], dtype=np.int64) for k in returned}
        b.setdefault("token_type_ids", np.zeros_like(b["input_ids"]))
        batches.append(b)
    return batches, returned or list(INPUT_NAMES)


def model_input_names(model, returned):
    """The inputs to feed `model`, in its forward's parameter order: those the tokenizer returned and the forward
    takes (DistilBERT's takes no token_type_ids)."""
    import inspect
    params = list(inspect.signature(model.forward).parameters)
    return [p for p in params if p in returned]


def input_digest(batches):
    """SHA-256 of the model inputs: per batch, input_ids, token_type_ids, attention_mask as little-endian int32,
    row-major [batch, seq]. QuantBench computes the same digest of its batches (Benchmark.inputDigest)."""
    h = hashlib.sha256()
    for b in batches:
        for key in ("input_ids", "token_type_ids", "attention_mask"):
            h.update(b[key].astype("<i4").tobytes())
    return h.hexdigest()


def metrics(predictions, labels):
    """F1 of the positive class and accuracy, like Sources/Datasets/ClassificationMetrics.swift."""
    if any(l is None for l in labels):
        return None, None
    tp = sum(1 for p, l in zip(predictions, labels) if p == 1 and l == 1)
    fp = sum(1 for p, l in zip(predictions, labels) if p == 1 and l == 0)
    fn = sum(1 for p, l in zip(predictions, labels) if p == 0 and l == 1)
    correct = sum(1 for p, l in zip(predictions, labels) if p == l)
    f1 = 2 * tp / (2 * tp + fp + fn) if (2 * tp + fp + fn) else 0.0
    return f1, correct / len(labels)


# ---------------------------------------------------------------------------------------------------------------
# Engines

def import_packages(engines):
    """Imports what the engines need; raises ImportError naming the missing package."""
    mods = {}
    import torch
    import transformers
    import numpy
    mods.update(numpy=numpy, torch=torch, transformers=transformers)
    if "onnxruntime" in engines:
        import onnx
        import onnxruntime
        mods.update(onnx=onnx, onnxruntime=onnxruntime)
    return mods


def versions(mods):
    v = {"python": platform.python_version()}
    for name in ("torch", "transformers", "onnxruntime", "onnx", "numpy"):
        if name in mods:
            v[name] = mods[name].__version__
    return v


def serialized_mb(model):
    """Size of torch.save(state_dict) in MB, as the tutorial's print_size_of_model."""
    import torch
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    return buf.getbuffer().nbytes / 1e6


def cache_key(model_dir, mods):
    """Identifies an ONNX export: the model files (path, size, mtime) and the exporter/quantizer versions."""
    h = hashlib.sha256()
    for name in sorted(os.listdir(model_dir)):
        p = os.path.join(model_dir, name)
        if os.path.isfile(p):
            st = os.stat(p)
            h.update(f"{os.path.abspath(p)}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    h.update(f"torch {mods['torch'].__version__} ort {mods['onnxruntime'].__version__} opset {ONNX_OPSET}".encode())
    return h.hexdigest()[:16]


def onnx_files(model, model_dir, cache_dir, example, names, mods):
    """FP32 and dynamically quantized ONNX files, exported once per model and cached in cache_dir/<key>/."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    folder = os.path.join(cache_dir, cache_key(model_dir, mods))
    fp32, int8 = os.path.join(folder, "model.fp32.onnx"), os.path.join(folder, "model.int8.onnx")
    if os.path.isfile(fp32) and os.path.isfile(int8):
        log(f"ONNX files from cache {folder}")
        return fp32, int8
    import shutil
    os.makedirs(cache_dir, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".export-", dir=cache_dir)
    try:
        t0 = time.perf_counter()
        with torch.inference_mode():
            torch.onnx.export(model, tuple(torch.from_numpy(example[k]) for k in names),
                              os.path.join(tmp, "model.fp32.onnx"), input_names=names, output_names=["logits"],
                              opset_version=ONNX_OPSET, dynamo=False,
                              dynamic_axes={**{k: {0: "batch", 1: "sequence"} for k in names}, "logits": {0: "batch"}})
        log(f"exported ONNX FP32 in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        quantize_dynamic(os.path.join(tmp, "model.fp32.onnx"), os.path.join(tmp, "model.int8.onnx"),
                         weight_type=QuantType.QInt8)
        log(f"quantized ONNX (quantize_dynamic, QInt8 weights) in {time.perf_counter() - t0:.1f} s")
        if os.path.isdir(folder):  # a partial earlier attempt
            shutil.rmtree(folder)
        os.rename(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return fp32, int8


def ort_session(path, threads, mods):
    ort = mods["onnxruntime"]
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, sess_options=so, providers=["CPUExecutionProvider"])


def torch_runner(model, batches, names):
    import torch
    inputs = [{k: torch.from_numpy(b[k]) for k in names} for b in batches]

    def run(only_first=False):
        logits = []
        with torch.inference_mode():
            for b in inputs[:1] if only_first else inputs:
                logits.append(model(**b).logits.numpy())
        return logits
    return run


def ort_runner(session, batches):
    names = {i.name for i in session.get_inputs()}
    feeds = [{k: v for k, v in b.items() if k in names} for b in batches]

    def run(only_first=False):
        return [session.run(["logits"], f)[0] for f in (feeds[:1] if only_first else feeds)]
    return run


# ---------------------------------------------------------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", help="Hugging Face BERT classifier folder (config.json, weights, vocab.txt)")
    p.add_argument("--data", default="data/glue/MRPC", help="TSV file or GLUE task folder")
    p.add_argument("--split", default="dev")
    p.add_argument("--threads", default="1", help="comma-separated thread counts, e.g. 1,2")
    p.add_argument("--repeats", type=int, default=3, help="timed passes per engine and thread count")
    p.add_argument("--limit", type=int, default=0, help="first N examples only (0 = all)")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--max-seq-length", type=int, default=128)
    p.add_argument("--pad-to-max", action=argparse.BooleanOptionalAction, default=True,
                   help="pad to --max-seq-length (the tutorial) rather than to each batch's longest")
    p.add_argument("--engines", default="pytorch,onnxruntime", help="comma-separated: pytorch, onnxruntime")
    p.add_argument("--cache-dir", default=os.path.join(os.environ.get("XDG_CACHE_HOME")
                                                       or os.path.expanduser("~/.cache"), "qbench-peers"),
                   help="where ONNX exports are cached")
    p.add_argument("--check", action="store_true", help="only import the packages and print their versions")
    a = p.parse_args(argv)
    a.engines = [e.strip() for e in a.engines.split(",") if e.strip()]
    bad = [e for e in a.engines if e not in ("pytorch", "onnxruntime")]
    if bad or not a.engines:
        p.error(f"--engines: unknown {bad}; known: pytorch, onnxruntime")
    try:
        a.threads = [int(t) for t in a.threads.split(",")]
    except ValueError:
        p.error(f"--threads must be comma-separated positive integers, got {a.threads}")
    if not a.threads or min(a.threads) < 1:
        p.error(f"--threads must be comma-separated positive integers, got {a.threads}")
    if a.repeats < 1 or a.batch_size < 1 or a.max_seq_length < 3 or a.limit < 0:
        p.error("--repeats and --batch-size must be ≥ 1, --max-seq-length ≥ 3, --limit ≥ 0")
    if not a.check and not a.model:
        p.error("--model is required")
    return a


def run(a, mods):
    torch, np = mods["torch"], mods["numpy"]
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    try:
        from torch.ao.quantization import quantize_dynamic
    except ImportError:  # older torch
        from torch.quantization import quantize_dynamic

    torch.set_num_interop_threads(1)  # before any inter-op work
    tokenizer_files = ("tokenizer.json", "vocab.txt", "vocab.json", "sentencepiece.bpe.model", "spiece.model")
    if not os.path.isfile(os.path.join(a.model, "config.json")) or not any(
            os.path.isfile(os.path.join(a.model, f)) for f in tokenizer_files):
        raise PeerError(f"{a.model}: not a model folder (needs config.json and a tokenizer: "
                        + ", ".join(tokenizer_files) + ")")
    data_path, rows = read_pairs(a.data, a.split)
    if a.limit:
        rows = rows[:a.limit]
    labels = [r[0] for r in rows]
    tokenizer = AutoTokenizer.from_pretrained(a.model)
    batches, returned = make_batches(tokenizer, rows, a.batch_size, a.max_seq_length, a.pad_to_max)
    model = AutoModelForSequenceClassification.from_pretrained(a.model).eval()
    names = model_input_names(model, returned)
    log(f"{type(model).__name__} ({model.config.model_type}), {type(tokenizer).__name__}, inputs {', '.join(names)}")
    if "token_type_ids" not in names:   # the digest covers what the model consumes: no types = all 0, as QuantBench
        for b in batches:
            b["token_type_ids"] = np.zeros_like(b["input_ids"])
    digest = input_digest(batches)
    log(f"{len(rows)} examples in {len(batches)} batches, inputs sha256 {digest[:16]}…")
    attn = getattr(model.config, "_attn_implementation", None)
    qmodel = quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    sizes = {("pytorch", "fp32"): serialized_mb(model), ("pytorch", "quantize_dynamic"): serialized_mb(qmodel)}
    onnx_paths = None
    if "onnxruntime" in a.engines:
        onnx_paths = onnx_files(model, a.model, a.cache_dir, batches[0], names, mods)
        sizes[("onnxruntime", "fp32")] = os.path.getsize(onnx_paths[0]) / 1e6
        sizes[("onnxruntime", "quantize_dynamic")] = os.path.getsize(onnx_paths[1]) / 1e6

    providers = None
    results = []
    for t in a.threads:
        torch.set_num_threads(t)
        engines = []
        if "pytorch" in a.engines:
            engines += [("pytorch", "fp32", torch_runner(model, batches, names)),
                        ("pytorch", "quantize_dynamic", torch_runner(qmodel, batches, names))]
        if onnx_paths:
            s32, s8 = ort_session(onnx_paths[0], t, mods), ort_session(onnx_paths[1], t, mods)
            providers = s32.get_providers()
            engines += [("onnxruntime", "fp32", ort_runner(s32, batches)),
                        ("onnxruntime", "quantize_dynamic", ort_runner(s8, batches))]
        for _, _, fn in engines:  # warm-up: one batch each
            fn(only_first=True)
        wall = [[] for _ in engines]
        cpu = [[] for _ in engines]
        logits = [None for _ in engines]
        for r in range(a.repeats):
            for i, (engine, scheme, fn) in enumerate(engines):
                log(f"threads {t}, repeat {r + 1}/{a.repeats}: {engine} {scheme}")
                c0, w0 = time.process_time(), time.perf_counter()
                out = fn()
                wall[i].append(time.perf_counter() - w0)
                cpu[i].append(time.process_time() - c0)
                if logits[i] is None:
                    logits[i] = np.concatenate(out, axis=0)
        reference = None
        for i, (engine, scheme, _) in enumerate(engines):
            preds = [int(x) for x in np.argmax(logits[i], axis=1)]
            if reference is None:
                reference = preds
            f1, acc = metrics(preds, labels)
            med = statistics.median(wall[i])
            results.append({
                "engine": engine, "scheme": scheme, "threads": t, "examples": len(rows),
                "seconds": wall[i], "cpu_seconds": cpu[i], "median_seconds": med,
                "ms_per_example": 1000 * med / len(rows), "f1": f1, "accuracy": acc,
                "model_mb": sizes[(engine, scheme)],
                "flips_vs_first": sum(1 for p, q in zip(preds, reference) if p != q),
                "predictions": preds,
            })
        del engines

    return {
        "schema_version": SCHEMA_VERSION,
        "tool": "qbench-peers",
        "model": os.path.abspath(a.model),
        "data": os.path.abspath(data_path),
        "examples": len(rows),
        "batch_size": a.batch_size,
        "max_seq_length": a.max_seq_length,
        "pad_to_max": a.pad_to_max,
        "repeats": a.repeats,
        "input_sha256": digest,
        "first_engine": results[0]["engine"] + " " + results[0]["scheme"] if results else None,
        "versions": versions(mods),
        "torch": {"quantized_engine": torch.backends.quantized.engine,
                  "supported_quantized_engines": list(torch.backends.quantized.supported_engines),
                  "cpu_capability": torch.backends.cpu.get_cpu_capability(),
                  "num_interop_threads": torch.get_num_interop_threads(),
                  "attn_implementation": attn},
        "onnxruntime": {"execution_providers": providers, "opset": ONNX_OPSET,
                        "execution_mode": "ORT_SEQUENTIAL", "inter_op_num_threads": 1} if onnx_paths else None,
        "platform": {"machine": platform.machine(), "processor": cpu_brand(), "system": platform.platform()},
        "results": results,
    }


def cpu_brand():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    # SIGTERM (qbench passes on Ctrl-C) unwinds normally, so a half-written ONNX export is removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    # Only the JSON document goes to stdout: point fd 1 at stderr for everything else (including C libraries).
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    try:
        mods = import_packages(a.engines if not a.check else ["pytorch", "onnxruntime"])
    except ImportError as e:
        print(f"qbench_peers: missing Python package: {e.name or e} ({sys.executable}); "
              "install with: pip install torch transformers onnxruntime onnx", file=sys.stderr)
        return 2
    if a.check:
        doc = {"schema_version": SCHEMA_VERSION, "tool": "qbench-peers", "check": True, "versions": versions(mods)}
    else:
        try:
            with contextlib.redirect_stdout(sys.stderr):
                doc = run(a, mods)
        except PeerError as e:
            print(f"qbench_peers: {e}", file=sys.stderr)
            return 1
    out.write(json.dumps(doc) + "\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
