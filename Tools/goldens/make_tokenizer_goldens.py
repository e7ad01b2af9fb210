#!/usr/bin/env python3
"""Makes Tests/Fixtures/encoders-ids/<family>.json: transformers' token ids for every encoder fixture folder.

    /tmp/goldenv/bin/python Tools/goldens/make_tokenizer_goldens.py        (venv: Tools/goldens/README.md)

For each folder of Tests/Fixtures/encoders (copied verbatim from the shared fixtures) this runs
`AutoTokenizer.from_pretrained(folder)` and records, as compact JSON of ints:

- `pairs`: input_ids and token_type_ids (`return_token_type_ids=True`, i.e. the post-processor's) of all MRPC dev
  pairs (data/glue/MRPC/dev.tsv), truncation="longest_first", max_length=128;
- `hostile`: the ids of HOSTILE strings below, alone and as pairs (string i with string i+1), same settings;
- `fallback`: for a folder that also has vocab.txt or vocab.json + merges.txt, the same with AutoTokenizer on a copy
  without tokenizer.json (what transformers builds from the vocabulary files), pairs only when they differ.

It checks that AutoTokenizer gives exactly what `tokenizers.Tokenizer.from_file(tokenizer.json)` gives, so the
Swift implementation of the tokenizer.json pipeline is compared with the reference transformers actually runs.
It also makes Tests/Fixtures/tokenizers/spm-precompiled/ (needs `pip install sentencepiece protobuf`): a
SentencePiece unigram model (1000 pieces, nmt_nfkc normalization) trained on the MRPC train sentences, converted by
transformers' own `XLMRobertaConverter` into an XLM-R-style tokenizer.json whose normalizer is the real `Precompiled`
charsmap (the encoder fixtures, saved by transformers 5 without a SentencePiece model, carry none), with `<mask>`
`lstrip` as in xlm-roberta-base; its ids go to encoders-ids/spm-precompiled.json, with extra normalization-heavy
strings. Deterministic: the same versions give byte-identical files. Also writes encoders-ids/PROVENANCE.md.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
import tokenizers
import transformers
from transformers import AutoTokenizer
from importlib.metadata import version as importlib_version
from tokenizers import AddedToken, Regex, Tokenizer, models, processors, trainers
from tokenizers import normalizers as N
from tokenizers import pre_tokenizers as P

REPO = Path(__file__).resolve().parents[2]
SCRIPT = "Tools/goldens/make_tokenizer_goldens.py"
ENCODERS = REPO / "Tests/Fixtures/encoders"
OUT = REPO / "Tests/Fixtures/encoders-ids"
MAX_LENGTH = 128

# Awkward inputs of our own (the fixtures' golden.json has 20 more). Each family's special tokens are spliced into
# the last ones ({cls} {sep} {mask} {unk} {pad}) so that every family sees its own tokens inside text.
HOSTILE = [
    "emoji \U0001f600\U0001f44d\U0001f3fd family \U0001f468\u200d\U0001f469\u200d\U0001f467 flag \U0001f1eb\U0001f1f7",
    "combining: e\u0301 a\u0300\u0323 o\u0308\u0304 n\u0303 \u0041\u030a vs \u00c5 \u212b",
    "CJK \u6771\u4eac\u90fd\u306b\u884c\u304d\u307e\u3057\u305f \ud55c\uad6d\uc5b4 \u4e2d\u6587\u5b57\u7b26\uff0c\u6807\u70b9\u3002",
    "RTL \u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd \u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645 \u200fmixed\u200e",
    "zero\u200bwidth\u200cjoin\u200dner\u2060word \ufeffbom soft\u00adhyphen",
    "controls\x01\x02\x7f\x85 tab\tvt\x0bff\x0c end\u2028line\u2029para",
    "x" * 150 + " " + "Pneumonoultramicroscopicsilicovolcanoconiosis" * 3,
    "   leading   and    internal \t\t runs\n\n\r\n trailing     ",
    "",
    " ",
    "Ligatures \ufb01 \ufb02 \u2460 \u00bd \u2167 \uff21\uff42\uff43 \u3300 \u33a1 \u2122 \u00b5 \u017f",
    "Turkish \u0130stanbul I\u0307 \u0131 \u03a3\u0399\u03a3\u03a5\u03a6\u039f\u03a3 Stra\u00dfe \u1e9e",
    "digits 0123456789 \u0660\u0661\u0662 \u0966\u0967 \u00b2\u00b3 3.14159e-10 1,000,000",
    "punct!!! ??? ... --- ''quoted'' ``tex`` \"dq\" \u201ccurly\u201d \u2014dash\u2013 \u00ab\u00bb \u2026",
    "it's we're they've I'm you'll he'd 'tis O'Neill rock'n'roll",
    "private\ue000use \U0010fffd unassigned\u0378\U000e0001 surrogates-free \ufffd replacement",
    "{cls} at start, {sep} in the middle{sep}glued, {mask}{mask} twice, {unk} and {pad}.",
    "text{cls}{sep}{mask} no spaces {mask}. {MASKLOWER} lowercase version",
    "Hello {mask}, how are {mask} doing? {sep} Second part {cls}",
    "\u0e20\u0e32\u0e29\u0e32\u0e44\u0e17\u0e22 \u0939\u093f\u0928\u094d\u0926\u0940 \u0ba4\u0bae\u0bbf\u0bb4\u0bcd \u10e5\u10d0\u10e0\u10d7\u10e3\u10da\u10d8 \u0531\u0580\u0574\u0565\u0576",
]


# Strings where SentencePiece's nmt_nfkc charsmap does something (for the spm-precompiled fixture only).
PRECOMPILED_EXTRA = [
    "\uff26\uff55\uff4c\uff4c\uff57\uff49\uff44\uff54\uff48 \uff11\uff12\uff13 \uff01\uff1f \u3000ideographic\u3000space",
    "\ufb01nance \ufb03 \u2474 \u3392 \u337b \u2153 x\u00b2 \u2082 \u1d43 \u2160\u2161\u2162",
    "nbsp\u00a0here thin\u2009space em\u2003space \u200a hair \u00ad\u00ad shy",
    "e\u0301\u0301\u0301 stacked \u1100\u1161\u11a8 jamo \uac01 \u0915\u094d\u0937 \u0e01\u0e33",
    "\u2126 \u212a \u212b \u1e9b\u0323 \u0958 \ufe64\ufe65 \uff5e \u2215 \u2044",
    "MRPC-like: He said the foodservice pie business doesn 't fit the company 's long-term growth strategy .",
]


def mrpc_dev_pairs() -> list[tuple[str, str]]:
    with open(REPO / "data/glue/MRPC/dev.tsv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [(r[3], r[4]) for r in rows[1:]]


def hostile_strings(tok) -> list[str]:
    specials = {
        "cls": tok.cls_token or "", "sep": tok.sep_token or "", "mask": tok.mask_token or "",
        "unk": tok.unk_token or "", "pad": tok.pad_token or "",
    }
    specials["MASKLOWER"] = specials["mask"].lower()
    return [s.format(**specials) if "{" in s else s for s in HOSTILE]


def encode(tok, a, b=None):
    e = tok(a, b, truncation="longest_first", max_length=MAX_LENGTH, return_token_type_ids=True)
    return e["input_ids"], e["token_type_ids"]


def check_against_tokenizers(folder: Path, tok, inputs) -> None:
    raw = tokenizers.Tokenizer.from_file(str(folder / "tokenizer.json"))
    raw.enable_truncation(MAX_LENGTH, strategy="longest_first")
    raw.no_padding()
    for a, b in inputs:
        ids, types = encode(tok, a, b)
        # transformers treats an empty second text as no pair (`if text_pair`); so does QuantBench.
        r = raw.encode(a, b) if b else raw.encode(a)
        if r.ids != ids or r.type_ids != types:
            sys.exit(f"{folder.name}: AutoTokenizer and tokenizers differ on {a!r} / {b!r}")


def family_record(folder: Path, pairs, extra=()) -> dict:
    tok = AutoTokenizer.from_pretrained(str(folder))
    hostile = hostile_strings(tok) + list(extra)
    hostile_pairs = [(hostile[i], hostile[(i + 1) % len(hostile)]) for i in range(len(hostile))]
    check_against_tokenizers(folder, tok, pairs + [(h, None) for h in hostile] + hostile_pairs)
    encoded = [encode(tok, a, b) for a, b in pairs]
    record = {
        "family": folder.name,
        "tokenizer_class": type(tok).__name__,
        "source": f"AutoTokenizer.from_pretrained({folder.relative_to(REPO)}), truncation=longest_first, "
                  f"max_length={MAX_LENGTH}, return_token_type_ids=True; transformers {transformers.__version__}, "
                  f"tokenizers {tokenizers.__version__}, python {platform.python_version()}",
        "pairs": {"input_ids": [e[0] for e in encoded], "token_type_ids": [e[1] for e in encoded]},
        "hostile": {
            "texts": hostile,
            "single_ids": [encode(tok, h)[0] for h in hostile],
            "pair_ids": [encode(tok, a, b)[0] for a, b in hostile_pairs],
        },
    }
    files = set(os.listdir(folder))
    if "vocab.txt" in files or {"vocab.json", "merges.txt"} <= files:
        with tempfile.TemporaryDirectory() as tmp:
            for name in sorted(files - {"tokenizer.json"}):
                shutil.copy(folder / name, tmp)
            fallback = AutoTokenizer.from_pretrained(tmp)
            fb_pairs = [encode(fallback, a, b) for a, b in pairs]
            same = fb_pairs == encoded
            record["fallback"] = {
                "tokenizer_class": type(fallback).__name__,
                "files": sorted(files - {"tokenizer.json", "golden.json", "model.safetensors", "config.json"}),
                "pairs_same_as_tokenizer_json": same,
                "single_ids": [encode(fallback, h)[0] for h in hostile],
                "pair_ids": [encode(fallback, a, b)[0] for a, b in hostile_pairs],
            }
            if not same:
                record["fallback"]["pairs"] = {"input_ids": [e[0] for e in fb_pairs],
                                               "token_type_ids": [e[1] for e in fb_pairs]}
    return record


SPM_FIXTURE = REPO / "Tests/Fixtures/tokenizers/spm-precompiled"

# Synthetic tokenizer.json files exercising the components no encoder family uses (Whitespace, Digits, Punctuation,
# Split, Prepend, Nmt, Strip, BPE suffixes / byte fallback / fuse_unk, Unigram byte fallback, Metaspace "first",
# single_word / lstrip / rstrip added tokens, Bert/Template/Sequence processors). The `tokenizers` trainers are
# not deterministic from run to run, so each is trained once, when its file is missing; the committed file is the
# input from then on, and its ids are what `tokenizers.Tokenizer.from_file` gives.
COMPONENTS = {
    "bpe-suffix-digits": {"cls": "[CLS]", "sep": "[SEP]", "mask": "[MASK]", "unk": "[UNK]", "pad": "[PAD]"},
    "bpe-byte-fallback": {"cls": "<s>", "sep": "</s>", "mask": "said", "unk": "<unk>", "pad": "<pad>"},
    "unigram-split-nmt": {"cls": "<s>", "sep": "</s>", "mask": "<0x41>", "unk": "<unk>", "pad": "<pad>"},
    "wordpiece-split-strip": {"cls": "[CLS]", "sep": "[SEP]", "mask": "[MASK]", "unk": "[UNK]", "pad": "[PAD]"},
}


def build_component(name, text):
    if name=="bpe-suffix-digits":
        t=Tokenizer(models.BPE(unk_token="[UNK]", continuing_subword_prefix="##", end_of_word_suffix="</w>", fuse_unk=True))
        t.normalizer=N.Sequence([N.NFKC(), N.Lowercase(), N.Replace(Regex(r"[\u2018\u2019]"), "'")])
        t.pre_tokenizer=P.Sequence([P.Whitespace(), P.Digits(individual_digits=True), P.Punctuation(behavior="contiguous")])
        tr=trainers.BpeTrainer(vocab_size=600, special_tokens=["[PAD]","[UNK]","[CLS]","[SEP]","[MASK]"], continuing_subword_prefix="##", end_of_word_suffix="</w>", show_progress=False)
        t.train_from_iterator(text, tr)
        t.post_processor=processors.BertProcessing(("[SEP]", t.token_to_id("[SEP]")), ("[CLS]", t.token_to_id("[CLS]")))
    elif name=="bpe-byte-fallback":
        t=Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
        t.normalizer=N.Sequence([N.Prepend("\u2581"), N.Replace(" ", "\u2581")])
        tr=trainers.BpeTrainer(vocab_size=700, special_tokens=["<pad>","<unk>","<s>","</s>"]+[f"<0x{b:02X}>" for b in range(256)], show_progress=False)
        t.train_from_iterator(text, tr)
        t.post_processor=processors.TemplateProcessing(single="<s> $A", pair="<s> $A </s> <s>:1 $B:1", special_tokens=[("<s>", t.token_to_id("<s>")), ("</s>", t.token_to_id("</s>"))])
        t.add_tokens([AddedToken("said", single_word=True, normalized=True), AddedToken("company", rstrip=True, lstrip=True, normalized=False)])
    elif name=="unigram-split-nmt":
        t=Tokenizer(models.Unigram())
        t.normalizer=N.Sequence([N.Nmt(), N.NFKC(), N.Strip(left=True, right=True)])
        t.pre_tokenizer=P.Sequence([P.Split(Regex(r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"), behavior="isolated"), P.Metaspace(prepend_scheme="first")])
        tr=trainers.UnigramTrainer(vocab_size=600, special_tokens=["<pad>","<unk>","<s>","</s>"]+[f"<0x{b:02X}>" for b in range(256)], unk_token="<unk>", show_progress=False)
        t.train_from_iterator(text, tr)
        j=json.loads(t.to_str()); j["model"]["byte_fallback"]=True
        t=Tokenizer.from_str(json.dumps(j))
        t.post_processor=processors.Sequence([processors.ByteLevel(trim_offsets=False), processors.TemplateProcessing(single="<s> $A </s>", pair="<s> $A </s> $B:1 </s>:1", special_tokens=[("<s>", t.token_to_id("<s>")), ("</s>", t.token_to_id("</s>"))])])
    elif name=="wordpiece-split-strip":
        t=Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=12))
        t.normalizer=N.Sequence([N.Strip(left=False, right=True), N.NFD(), N.StripAccents(), N.NFC()])
        t.pre_tokenizer=P.Sequence([P.Split(" ", behavior="merged_with_previous"), P.Punctuation(behavior="merged_with_next"), P.WhitespaceSplit()])
        tr=trainers.WordPieceTrainer(vocab_size=800, special_tokens=["[PAD]","[UNK]","[CLS]","[SEP]","[MASK]"], show_progress=False)
        t.train_from_iterator(text, tr)
        t.post_processor=processors.TemplateProcessing(single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", t.token_to_id("[CLS]")), ("[SEP]", t.token_to_id("[SEP]"))])
        t.add_special_tokens([AddedToken("[MASK]", lstrip=True, rstrip=True)])
    return t


def component_record(name: str, pairs) -> dict:
    folder = REPO / "Tests/Fixtures/tokenizers" / name
    path = folder / "tokenizer.json"
    if not path.exists():
        from tokenizers import Tokenizer  # noqa: F401  (the builders use the tokenizers API)
        with open(REPO / "data/glue/MRPC/train.tsv", encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]
        folder.mkdir(parents=True, exist_ok=True)
        build_component(name, [r[3] for r in rows] + [r[4] for r in rows]).save(str(path))
    raw = tokenizers.Tokenizer.from_file(str(path))
    raw.enable_truncation(MAX_LENGTH, strategy="longest_first")
    raw.no_padding()
    names = dict(COMPONENTS[name], MASKLOWER=COMPONENTS[name]["mask"].lower())
    hostile = [h.format(**names) if "{" in h else h for h in HOSTILE]
    hostile_pairs = [(hostile[i], hostile[(i + 1) % len(hostile)]) for i in range(len(hostile))]

    def enc(a, b=None):
        e = raw.encode(a, b) if b else raw.encode(a)
        return e.ids, e.type_ids

    encoded = [enc(a, b) for a, b in pairs]
    return {
        "family": name,
        "tokenizer_class": "tokenizers.Tokenizer",
        "source": f"tokenizers.Tokenizer.from_file(Tests/Fixtures/tokenizers/{name}/tokenizer.json), truncation "
                  f"longest_first max_length {MAX_LENGTH} (an empty second text is no pair, as in transformers); "
                  f"tokenizers {tokenizers.__version__}, python {platform.python_version()}",
        "pairs": {"input_ids": [e[0] for e in encoded], "token_type_ids": [e[1] for e in encoded]},
        "hostile": {"texts": hostile, "single_ids": [enc(h)[0] for h in hostile],
                    "pair_ids": [enc(a, b)[0] for a, b in hostile_pairs]},
    }


def make_spm_fixture() -> None:
    """The spm-precompiled folder: tokenizer.json (Precompiled charsmap) and tokenizer_config.json."""
    import importlib
    import io
    import types

    import sentencepiece as spm
    from tokenizers import AddedToken

    with open(REPO / "data/glue/MRPC/train.tsv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter([r[3] for r in rows] + [r[4] for r in rows]), model_writer=model, vocab_size=1000,
        model_type="unigram", normalization_rule_name="nmt_nfkc", character_coverage=1.0, num_threads=1,
        minloglevel=2)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spm.model"
        path.write_bytes(model.getvalue())
        converters = importlib.import_module("transformers.convert_slow_tokenizer")
        ids = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
        original = types.SimpleNamespace(vocab_file=str(path), handle_byte_fallback=False, legacy=True,
                                         add_prefix_space=True, convert_tokens_to_ids=lambda t: ids[t])
        tok = converters.XLMRobertaConverter(original).converted()
    tok.add_special_tokens([AddedToken("<pad>", special=True, normalized=False),
                            AddedToken("<unk>", special=True, normalized=False),
                            AddedToken("<mask>", lstrip=True, special=True, normalized=False)])
    config = {"tokenizer_class": "XLMRobertaTokenizer", "bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>",
              "cls_token": "<s>", "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>",
              "model_max_length": 512}
    with tempfile.TemporaryDirectory() as tmp:
        tok.save(str(Path(tmp) / "tokenizer.json"))
        (Path(tmp) / "tokenizer_config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
        # transformers 5 rebuilds an XLMRobertaTokenizer's normalizer and pre-tokenizer from the class (keeping the
        # charsmap); saving it again writes that pipeline, so tokenizer.json is what AutoTokenizer runs.
        if SPM_FIXTURE.exists():
            shutil.rmtree(SPM_FIXTURE)
        AutoTokenizer.from_pretrained(tmp).save_pretrained(str(SPM_FIXTURE))
    normalizer = json.loads((SPM_FIXTURE / "tokenizer.json").read_text(encoding="utf-8"))["normalizer"]
    assert "Precompiled" in json.dumps(normalizer), normalizer


def provenance_row(path: Path, description: str) -> str:
    data = path.read_bytes()
    return f"| `{path.relative_to(REPO / 'Tests/Fixtures')}` | {len(data)} | `{hashlib.sha256(data).hexdigest()}` | {description} |"


def main() -> None:
    pairs = mrpc_dev_pairs()
    assert len(pairs) == 408, len(pairs)
    OUT.mkdir(parents=True, exist_ok=True)
    make_spm_fixture()
    rows = []
    folders = [(p, ()) for p in sorted(p for p in ENCODERS.iterdir() if p.is_dir())]
    for folder, extra in folders + [(SPM_FIXTURE, PRECOMPILED_EXTRA)]:
        record = family_record(folder, pairs, extra)
        text = json.dumps(record, ensure_ascii=True, separators=(",", ":"), sort_keys=True) + "\n"
        path = OUT / f"{folder.name}.json"
        path.write_text(text, encoding="utf-8")
        data = path.read_bytes()
        fb = record.get("fallback")
        note = ""
        if fb:
            note = (f"; fallback without tokenizer.json ({', '.join(fb['files'])} → {fb['tokenizer_class']}): "
                    + ("pairs identical" if fb["pairs_same_as_tokenizer_json"] else "pairs recorded"))
        rows.append(provenance_row(path, f"{record['tokenizer_class']} on {folder.relative_to(REPO / 'Tests/Fixtures')}, "
                                         f"{len(pairs)} pairs + {len(record['hostile']['texts'])} hostile strings{note}"))
    for name in COMPONENTS:
        record = component_record(name, pairs)
        path = OUT / f"{name}.json"
        path.write_text(json.dumps(record, ensure_ascii=True, separators=(",", ":"), sort_keys=True) + "\n",
                        encoding="utf-8")
        rows.append(provenance_row(path, f"tokenizers.Tokenizer ids on tokenizers/{name}, {len(pairs)} pairs + "
                                         f"{len(HOSTILE)} hostile strings"))
        rows.append(provenance_row(REPO / "Tests/Fixtures/tokenizers" / name / "tokenizer.json",
                                   "synthetic pipeline trained once on the MRPC train sentences (see the script's "
                                   "COMPONENTS and build_component)"))
    rows.append(provenance_row(SPM_FIXTURE / "tokenizer.json", "SentencePiece unigram (1000 pieces, nmt_nfkc, "
                               f"sentencepiece {importlib_version('sentencepiece')}) on the MRPC train sentences, "
                               "converted by transformers' XLMRobertaConverter, saved by XLMRobertaTokenizer.save_pretrained; `<mask>` lstrip"))
    for name in sorted(os.listdir(SPM_FIXTURE)):
        if name != "tokenizer.json":
            rows.append(provenance_row(SPM_FIXTURE / name, "written by XLMRobertaTokenizer.save_pretrained"))
    versions = (f"transformers {transformers.__version__}, tokenizers {tokenizers.__version__}, "
                f"python {platform.python_version()}")
    (OUT / "PROVENANCE.md").write_text(
        "# Tests/Fixtures/encoders-ids provenance\n\n"
        f"Made by `{SCRIPT}` ({versions}) from the fixture folders in `Tests/Fixtures/encoders` and "
        "`data/glue/MRPC/dev.tsv`; reruns with the same versions are byte-identical. Written by the script.\n\n"
        "Each file: `AutoTokenizer.from_pretrained(folder)` ids of all 408 MRPC dev pairs (input_ids and the "
        "post-processor's token_type_ids, truncation longest_first, max_length 128), ids of the script's hostile "
        "strings alone and in pairs, and, where the folder has vocab.txt or vocab.json + merges.txt, the ids of "
        "the tokenizer transformers builds from those files without tokenizer.json. The script checks that "
        "AutoTokenizer equals `tokenizers.Tokenizer.from_file(tokenizer.json)` on every input.\n\n"
        "`tokenizers/spm-precompiled/` is made by the same script (see its docstring): the one fixture whose "
        "tokenizer.json has a real SentencePiece `Precompiled` normalizer.\n\n"
        "| file (under Tests/Fixtures) | bytes | sha256 | contents |\n|---|---|---|---|\n" + "\n".join(rows) + "\n",
        encoding="utf-8")
    (REPO / "Tests/Fixtures/tokenizers/PROVENANCE.md").write_text(
        "# Tests/Fixtures/tokenizers provenance\n\n"
        f"Made by `{SCRIPT}` ({versions}); every file, its size and sha256 and how it was made are listed in "
        "`../encoders-ids/PROVENANCE.md`. Written by the script.\n", encoding="utf-8")


if __name__ == "__main__":
    main()
