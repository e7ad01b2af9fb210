#!/usr/bin/env python3
"""Warm peer timings for `qbench bench --peers`: PyTorch and ONNX Runtime on the same model, data and batches.

One long-lived process per thread count. It loads the model, tokenizes the data the way QuantBench does (same
examples, order, tokenization and padding), builds every peer configuration once, prints one `ready` JSON line
and then answers commands read from stdin, one JSON line per command, so that qbench can alternate with it pass
by pass while both stay warm (line protocol 2, docs/benchmarks.md):

  warmup <config> <n>   one untimed pass over all batches
  run <config> <n>      one timed pass over all batches
  quit                  answer {"event": "bye"} and exit 0

Configurations (names are the protocol's <config>):

  pytorch-fp32                  AutoModelForSequenceClassification, eval mode, torch.inference_mode()
  pytorch-dynamic-<engine>      torch.ao.quantization.quantize_dynamic(model, {nn.Linear}, qint8) with
                                torch.backends.quantized.engine = <engine> (x86, fbgemm, onednn when supported)
  ort-fp32, ort-dynamic         torch.onnx.export (TorchScript exporter, opset 17, eager attention) and
                                onnxruntime.quantization.quantize_dynamic(weight_type=QInt8) of it
  ort-fp32-fused,               onnxruntime.transformers.optimizer.optimize_model(model_type="bert", num_heads,
  ort-dynamic-fused             hidden_size) of that export, and quantize_dynamic of the fused model

Configurations that cannot run here (engine not in torch.backends.quantized.supported_engines, onnxruntime not
installed, no ORT fusion for the model family) are listed in the ready line's `unavailable` with the reason.

Every reply line carries the SHA-256 of the input tensors of the pass; logs go to stderr.
`--check` prints one `check` line (versions, optional packages). Exit status: 0 ok, 2 missing required packages
(torch, transformers, numpy), 1 other errors.

Install: pip install torch transformers onnxruntime onnx     (see README.md in this folder)
"""

import argparse
import contextlib
import hashlib
import inspect
import io
import json
import os
import platform
import shutil
import signal
import sys
import tempfile
import time

PROTOCOL = 2
ONNX_OPSET = 17
# Quantized engines measured when torch supports them; qnnpack (ARM/mobile) is reported as not measured.
TORCH_ENGINES = ("x86", "fbgemm", "onednn")
# config.json model_type -> the onnxruntime.transformers optimizer type whose fusions match its graph.
ORT_FUSION_TYPES = {"bert": "bert", "roberta": "bert", "distilbert": "bert"}
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
PIP_LINE = "pip install torch transformers onnxruntime onnx"


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


def make_batches(tokenizer, rows, batch_size, max_seq_length, pad_to_max):
    """Batches of int64 numpy arrays (input_ids, attention_mask, token_type_ids), in data order.

    Pairs are encoded `[CLS] a [SEP] b [SEP]`, truncated longest_first to max_seq_length, padded on the right to
    max_seq_length (pad_to_max) or to the batch's longest sequence, like QuantBench's BertBatch.
    """
    import numpy as np
    batches = []
    for start in range(0, len(rows), batch_size):
        chunk = rows[start:start + batch_size]
        enc = tokenizer([r[1] for r in chunk], [r[2] for r in chunk], truncation="longest_first",
                        max_length=max_seq_length, padding="max_length" if pad_to_max else "longest")
        b = {k: np.asarray(enc[k], dtype=np.int64) for k in ("input_ids", "attention_mask")}
        types = enc.get("token_type_ids")
        b["token_type_ids"] = (np.asarray(types, dtype=np.int64) if types is not None
                               else np.zeros_like(b["input_ids"]))
        batches.append(b)
    return batches


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


def model_class(model_dir, mods):
    """(class to load the folder with, its model_type): AutoModelForSequenceClassification when config.json names a
    model_type, else the transformers class its `architectures` names (QuantBench's `qbench model init` folders
    carry architectures but no model_type)."""
    path = os.path.join(model_dir, "config.json")
    if not os.path.isfile(path):
        raise PeerError(f"{model_dir}: not a model folder (no config.json)")
    with open(path, encoding="utf-8") as f:
        try:
            config = json.load(f)
        except ValueError as e:
            raise PeerError(f"{path}: not JSON ({e})")
    transformers = mods["transformers"]
    if config.get("model_type"):
        return transformers.AutoModelForSequenceClassification, config["model_type"]
    for arch in config.get("architectures") or []:
        cls = getattr(transformers, str(arch), None)
        if cls is not None and getattr(cls, "config_class", None) is not None:
            return cls, cls.config_class.model_type
    raise PeerError(f"{path}: key model_type is missing and key architectures names no transformers class "
                    f"(got {config.get('architectures')!r})")


def make_tokenizer(model_dir, model_type):
    """BertTokenizer(vocab.txt, do_lower_case=True) for BERT folders with a vocab.txt, as QuantBench's ModelFolder;
    else the folder's own tokenizer (AutoTokenizer). qbench compares input digests, so a difference is caught."""
    vocab = os.path.join(model_dir, "vocab.txt")
    if model_type == "bert" and os.path.isfile(vocab):
        from transformers import BertTokenizer
        return BertTokenizer(vocab, do_lower_case=True)
    from transformers import AutoTokenizer
    return AutoTokenizer.from_pretrained(model_dir)


# ---------------------------------------------------------------------------------------------------------------
# Packages

def import_required():
    """torch, transformers, numpy; raises ImportError naming the missing one (torch first: the usual one)."""
    import torch
    import transformers
    import numpy
    return {"numpy": numpy, "torch": torch, "transformers": transformers}


def import_optional(mods):
    """onnxruntime + onnx and ORT's transformer optimizer; returns {name: reason} for what is missing."""
    missing = {}
    try:
        import onnx
        import onnxruntime
        mods.update(onnx=onnx, onnxruntime=onnxruntime)
    except ImportError as e:
        missing["onnxruntime"] = (f"not available: Python package {e.name or e} is not installed in "
                                  f"{sys.executable} ({PIP_LINE})")
        missing["optimizer"] = missing["onnxruntime"]
        return missing
    try:
        from onnxruntime.transformers import optimizer
        mods["ort_optimizer"] = optimizer
    except Exception as e:  # the optimizer imports extra modules (sympy, …) that a minimal install may lack
        missing["optimizer"] = (f"not available: onnxruntime.transformers.optimizer does not import "
                                f"({type(e).__name__}: {e})")
    return missing


def versions(mods):
    v = {"python": platform.python_version()}
    for name in ("torch", "transformers", "onnxruntime", "onnx", "numpy"):
        if name in mods:
            v[name] = mods[name].__version__
    return v


# ---------------------------------------------------------------------------------------------------------------
# Configurations

class Config:
    """One peer configuration: `run()` makes one pass over all batches and returns the logits."""

    def __init__(self, name, engine, scheme, variant, precision, run, model_mb, detail):
        self.name, self.engine, self.scheme, self.variant = name, engine, scheme, variant
        self.precision, self.run, self.model_mb, self.detail = precision, run, model_mb, detail

    def describe(self):
        return {"name": self.name, "engine": self.engine, "scheme": self.scheme, "variant": self.variant,
                "precision": self.precision, "model_mb": self.model_mb, "detail": self.detail}


def unavailable(name, engine, scheme, variant, precision, reason):
    return {"name": name, "engine": engine, "scheme": scheme, "variant": variant, "precision": precision,
            "reason": reason}


def serialized_mb(model):
    """Size of torch.save(state_dict) in MB, as the tutorial's print_size_of_model."""
    import torch
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    return buf.getbuffer().nbytes / 1e6


def torch_runner(model, feeds, quantized_engine=None):
    import torch

    def run():
        if quantized_engine:  # the packed weights are the engine's; the setting also picks the kernels
            torch.backends.quantized.engine = quantized_engine
        with torch.inference_mode():
            return [model(**f).logits.numpy() for f in feeds]
    return run


def torch_configs(model, feeds, mods):
    """PyTorch FP32 and quantize_dynamic under every quantized engine this torch supports."""
    torch = mods["torch"]
    try:
        from torch.ao.quantization import quantize_dynamic
    except ImportError:  # older torch
        from torch.quantization import quantize_dynamic
    tfeeds = [{k: torch.from_numpy(v) for k, v in f.items()} for f in feeds]
    attn = getattr(model.config, "_attn_implementation", None)
    configs = [Config("pytorch-fp32", "pytorch", "fp32", None, "fp32", torch_runner(model, tfeeds),
                      serialized_mb(model), f"eval, inference_mode, attention {attn}")]
    missing = []
    supported = list(torch.backends.quantized.supported_engines)
    default = torch.backends.quantized.engine
    for engine in TORCH_ENGINES:
        name = f"pytorch-dynamic-{engine}"
        if engine not in supported:
            missing.append(unavailable(name, "pytorch", "quantize_dynamic", engine, "int8",
                                       f"not available: torch {torch.__version__} has no quantized engine {engine} "
                                       f"(supported: {', '.join(supported)})"))
            continue
        torch.backends.quantized.engine = engine
        q = quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        log(f"quantize_dynamic with quantized engine {engine}")
        configs.append(Config(name, "pytorch", "quantize_dynamic", engine, "int8", torch_runner(q, tfeeds, engine),
                              serialized_mb(q), f"torch.backends.quantized.engine={engine}"))
    torch.backends.quantized.engine = default
    for engine in supported:
        if engine not in TORCH_ENGINES and engine != "none":
            missing.append(unavailable(f"pytorch-dynamic-{engine}", "pytorch", "quantize_dynamic", engine, "int8",
                                       f"not measured: {engine} is PyTorch's ARM/mobile engine; bench measures "
                                       + ", ".join(TORCH_ENGINES)))
    return configs, missing


def cache_key(model_dir, mods):
    """Identifies the ONNX files: the model files (path, size, mtime), the exporter/quantizer versions, opset."""
    h = hashlib.sha256()
    for name in sorted(os.listdir(model_dir)):
        p = os.path.join(model_dir, name)
        if os.path.isfile(p):
            st = os.stat(p)
            h.update(f"{os.path.abspath(p)}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    h.update(f"torch {mods['torch'].__version__} ort {mods['onnxruntime'].__version__} opset {ONNX_OPSET} "
             f"attention eager protocol {PROTOCOL}".encode())
    return h.hexdigest()[:16]


def cached(folder, name, make):
    """folder/name, made by make(tmp_path) once: written under a temporary name in folder, then renamed."""
    path = os.path.join(folder, name)
    if os.path.isfile(path):
        log(f"{name} from cache {folder}")
        return path
    os.makedirs(folder, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".make-", dir=folder)
    try:
        t0 = time.perf_counter()
        make(os.path.join(tmp, name))
        os.replace(os.path.join(tmp, name), path)
        log(f"made {name} in {time.perf_counter() - t0:.1f} s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return path


def ort_session(path, threads, mods):
    ort = mods["onnxruntime"]
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, sess_options=so, providers=["CPUExecutionProvider"])


def ort_runner(session, feeds):
    names = {i.name for i in session.get_inputs()}
    ort_feeds = [{k: v for k, v in f.items() if k in names} for f in feeds]

    def run():
        return [session.run(["logits"], f)[0] for f in ort_feeds]
    return run


def ort_configs(a, model_cls, model_type, config, feeds, threads, mods, missing_packages):
    """ONNX Runtime FP32 and quantize_dynamic, plain and fused; (configs, unavailable, session info)."""
    names = [("ort-fp32", "fp32", "plain", "fp32"), ("ort-dynamic", "quantize_dynamic", "plain", "int8"),
             ("ort-fp32-fused", "fp32", "fused", "fp32"), ("ort-dynamic-fused", "quantize_dynamic", "fused", "int8")]
    if "onnxruntime" in missing_packages:
        return [], [unavailable(n, "onnxruntime", s, v, p, missing_packages["onnxruntime"]) for n, s, v, p in names], None
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    onnx = mods["onnx"]
    folder = os.path.join(a.cache_dir, cache_key(a.model, mods))

    def export(path):
        # Eager attention: ORT's attention fusion matches the eager graph, not the SDPA one.
        eager = model_cls.from_pretrained(a.model, attn_implementation="eager").eval()
        inputs = [k for k in INPUT_NAMES if k in feeds[0]]
        with torch.inference_mode():
            torch.onnx.export(eager, tuple(torch.from_numpy(feeds[0][k]) for k in inputs), path,
                              input_names=inputs, output_names=["logits"], opset_version=ONNX_OPSET, dynamo=False,
                              dynamic_axes={**{k: {0: "batch", 1: "sequence"} for k in inputs}, "logits": {0: "batch"}})

    def quantize(source):
        # DefaultTensorType: the fused graph's com.microsoft ops defeat ONNX shape inference for some tensors.
        return lambda path: quantize_dynamic(source, path, weight_type=QuantType.QInt8,
                                             extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})

    fp32 = cached(folder, "model.fp32.onnx", export)
    files = {"ort-fp32": fp32, "ort-dynamic": cached(folder, "model.int8.onnx", quantize(fp32))}
    details = {"ort-fp32": "torch.onnx.export opset 17, eager attention, ORT_ENABLE_ALL",
               "ort-dynamic": "quantize_dynamic(QInt8) of the export, default operator set"}
    missing = []
    fusion_type = ORT_FUSION_TYPES.get(model_type)
    fusion = None
    if "optimizer" in missing_packages:
        reason = missing_packages["optimizer"]
    elif fusion_type is None:
        reason = (f"not available: onnxruntime.transformers.optimizer has no fusion for model_type {model_type} "
                  f"(fused rows for {', '.join(sorted(ORT_FUSION_TYPES))})")
    else:
        reason = None
        heads, hidden = config.num_attention_heads, config.hidden_size
        stats_path = os.path.join(folder, "model.fp32.fused.json")

        def fuse(path):
            opt = mods["ort_optimizer"].optimize_model(fp32, model_type=fusion_type, num_heads=heads,
                                                       hidden_size=hidden)
            opt.save_model_to_file(path)
            with open(stats_path, "w") as f:
                json.dump({k: v for k, v in opt.get_fused_operator_statistics().items() if v}, f, sort_keys=True)
        fused = cached(folder, "model.fp32.fused.onnx", fuse)
        with open(stats_path) as f:
            fusion = json.load(f)
        ops = ", ".join(f"{k} {v}" for k, v in sorted(fusion.items())) or "nothing fused"
        files["ort-fp32-fused"] = fused
        files["ort-dynamic-fused"] = cached(folder, "model.int8.fused.onnx", quantize(fused))
        details["ort-fp32-fused"] = (f"optimize_model(model_type={fusion_type}, num_heads={heads}, "
                                     f"hidden_size={hidden}): {ops}")
        details["ort-dynamic-fused"] = "quantize_dynamic(QInt8) of the fused model"
    configs = []
    providers = None
    for name, scheme, variant, precision in names:
        if name not in files:
            missing.append(unavailable(name, "onnxruntime", scheme, variant, precision, reason))
            continue
        s = ort_session(files[name], threads, mods)
        providers = s.get_providers()
        configs.append(Config(name, "onnxruntime", scheme, variant, precision, ort_runner(s, feeds),
                              os.path.getsize(files[name]) / 1e6, details[name]))
    info = {"execution_providers": providers, "opset": ONNX_OPSET, "execution_mode": "ORT_SEQUENTIAL",
            "inter_op_num_threads": 1, "export_attention": "eager", "fusion_model_type": fusion_type,
            "fused_operators": fusion, "cache": folder}
    return configs, missing, info


# ---------------------------------------------------------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", help="Hugging Face sequence-classification folder (config.json, weights, tokenizer)")
    p.add_argument("--data", default="data/glue/MRPC", help="TSV file or GLUE task folder")
    p.add_argument("--split", default="dev")
    p.add_argument("--threads", type=int, default=1, help="the thread count of this process")
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
    if a.threads < 1 or a.batch_size < 1 or a.max_seq_length < 3 or a.limit < 0:
        p.error("--threads and --batch-size must be ≥ 1, --max-seq-length ≥ 3, --limit ≥ 0")
    if not a.check and not a.model:
        p.error("--model is required")
    return a


def start(a, mods, missing_packages):
    """Loads, tokenizes and builds every configuration; returns (ready line, {name: Config}, batches, labels)."""
    torch = mods["torch"]
    torch.set_num_interop_threads(1)  # before any inter-op work
    torch.set_num_threads(a.threads)
    model_cls, model_type = model_class(a.model, mods)
    data_path, rows = read_pairs(a.data, a.split)
    if a.limit:
        rows = rows[:a.limit]
    batches = make_batches(make_tokenizer(a.model, model_type), rows, a.batch_size, a.max_seq_length, a.pad_to_max)
    digest = input_digest(batches)
    log(f"{len(rows)} examples in {len(batches)} batches, inputs sha256 {digest[:16]}…, threads {a.threads}")

    model = model_cls.from_pretrained(a.model).eval()
    accepted = inspect.signature(model.forward).parameters
    feeds = [{k: b[k] for k in INPUT_NAMES if k in accepted} for b in batches]
    configs, missing = [], []
    if "pytorch" in a.engines:
        c, m = torch_configs(model, feeds, mods)
        configs += c
        missing += m
    ort_info = None
    if "onnxruntime" in a.engines:
        c, m, ort_info = ort_configs(a, model_cls, model_type, model.config, feeds, a.threads, mods, missing_packages)
        configs += c
        missing += m
    ready = {
        "tool": "qbench-peers", "protocol": PROTOCOL, "event": "ready", "threads": a.threads,
        "model": os.path.abspath(a.model), "model_type": model_type, "data": os.path.abspath(data_path),
        "examples": len(rows), "batch_size": a.batch_size, "max_seq_length": a.max_seq_length,
        "pad_to_max": a.pad_to_max, "input_sha256": digest, "versions": versions(mods),
        "torch": {"quantized_engine": torch.backends.quantized.engine,
                  "supported_quantized_engines": list(torch.backends.quantized.supported_engines),
                  "cpu_capability": torch.backends.cpu.get_cpu_capability(),
                  "num_threads": torch.get_num_threads(), "num_interop_threads": torch.get_num_interop_threads(),
                  "attn_implementation": getattr(model.config, "_attn_implementation", None)},
        "onnxruntime": ort_info,
        "platform": {"machine": platform.machine(), "processor": cpu_brand(), "system": platform.platform()},
        "configs": [c.describe() for c in configs],
        "unavailable": missing,
    }
    return ready, {c.name: c for c in configs}, batches, [r[0] for r in rows]


def serve(a, mods, missing_packages, out):
    """The line protocol: one `ready` line, then one reply line per command line on stdin."""
    np = mods["numpy"]

    def say(obj):
        out.write(json.dumps(obj) + "\n")
        out.flush()

    ready, configs, batches, labels = start(a, mods, missing_packages)
    say(ready)
    for line in sys.stdin:
        words = line.split()
        if words == ["quit"]:
            say({"event": "bye"})
            return 0
        if len(words) != 3 or words[0] not in ("warmup", "run") or not words[2].isdigit():
            say({"event": "error", "message": f"unknown command {line.strip()!r} "
                                              "(expected: warmup CONFIG N, run CONFIG N, quit)"})
            continue
        kind, name, number = words[0], words[1], int(words[2])
        config = configs.get(name)
        if config is None:
            say({"event": "error", "message": f"unknown configuration {name!r} (known: {', '.join(configs)})"})
            continue
        log(f"threads {a.threads}: {kind} {name} {number}")
        c0, w0 = time.process_time(), time.perf_counter()
        logits = config.run()
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        predictions = [int(x) for x in np.argmax(np.concatenate(logits, axis=0), axis=1)]
        reply = {"event": "warmup" if kind == "warmup" else "pass", "config": name, "pass": number,
                 "seconds": wall, "cpu_seconds": cpu, "input_sha256": input_digest(batches),
                 "predictions": predictions}
        f1, acc = metrics(predictions, labels)
        reply.update(f1=f1, accuracy=acc)
        say(reply)
    log("stdin closed without quit")
    return 0


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
    # SIGTERM (qbench passes on Ctrl-C) unwinds normally, so a half-written ONNX file is removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    # Only protocol lines go to stdout: point fd 1 at stderr for everything else (including C libraries).
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    try:
        mods = import_required()
    except ImportError as e:
        print(f"qbench_peers: missing Python package: {e.name or e} ({sys.executable}); "
              f"install with: {PIP_LINE}", file=sys.stderr)
        return 2
    missing_packages = import_optional(mods) if (a.check or "onnxruntime" in a.engines) else {}
    if a.check:
        out.write(json.dumps({"tool": "qbench-peers", "protocol": PROTOCOL, "event": "check",
                              "versions": versions(mods), "missing": missing_packages}) + "\n")
        out.flush()
        return 0
    try:
        with contextlib.redirect_stdout(sys.stderr):
            return serve(a, mods, missing_packages, out)
    except PeerError as e:
        print(f"qbench_peers: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
