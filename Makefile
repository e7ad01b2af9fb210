# QuantBench make targets. `make run` is the main job (the tutorial's table as a reproducible run on the bundled
# model); `make eval` evaluates one model; `make test` runs the tests.
SWIFT ?= swift
MODEL ?= ../shared/models/minilm-l6-mrpc
DATA ?= data/glue/MRPC
EXPERIMENT ?= experiments/mrpc-tutorial.yaml
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

run: build
	$(QBENCH) sweep $(EXPERIMENT)

eval: build
	$(QBENCH) eval --model $(MODEL) --data $(DATA) --split dev

test: deps
	$(SWIFT) build -c release --product qbench
	$(SWIFT) test -c release

doctor: build
	$(QBENCH) doctor

clean:
	rm -rf .build
