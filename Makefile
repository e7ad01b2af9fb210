# QuantBench make targets. `make run` is the main job on the bundled default; `make test` runs the tests.
SHELL := /bin/bash
SWIFT ?= swift
MODEL ?= ../shared/models/minilm-l6-mrpc
DATA ?= data/glue/MRPC
QBENCH = .build/release/qbench

.PHONY: deps build run eval test doctor bench clean

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
	$(QBENCH) sweep experiments/mrpc-tutorial.yaml

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

doctor: build
	$(QBENCH) doctor

clean:
	rm -rf .build
