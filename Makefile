# The one developer entry point. CI runs the same targets (.ci/run).
VENV ?= .venv
PYTHON ?= python3.11
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: setup setup-system demo test test-fast lint format bench bench-quality bench-memory bench-serve bench-async bench-scale image clean

## setup-system: as root, once per machine: Docker engine and the tools the tests use
setup-system:
	bash scripts/setup-system.sh

## setup: the virtual environment with byoa and its test/lint tools
setup:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,lint]'

## demo: train on the bundled bank data, serve the model, predict (no AWS, no Docker)
demo:
	$(BIN)/byoa demo

## test: every test, Docker ones included (they build the image from the Dockerfile)
test:
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## test-fast: the tests that need neither Docker nor long training
test-fast:
	$(BIN)/python -m pytest -m "not docker and not slow"

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/hadolint Dockerfile

## image: build byoa:dev from the Dockerfile offline (local base image, local torch CPU wheel)
image:
	bash scripts/build-image.sh

## bench-image: image size, train in a container, cold start to /ping and first prediction
bench-image:
	$(BIN)/python bench/image/bench_image.py --image byoa:dev

## bench-scale: 1 vs 2 hosts (rows/s, validation AUC), Pipe vs File reads, checkpoint size/time
bench-scale:
	$(BIN)/python bench/scale/bench_scale.py

format:
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## bench-serve: byoa's server vs nginx + gunicorn sync + flask + pandas, side by side (wrk, nginx)
bench-serve:
	$(BIN)/python bench/serve/bench_serve.py

## bench-async: the worker's peak memory for 100 MB and 1 GB CSV bodies, asynchronous endpoint
bench-async:
	$(BIN)/python bench/serve/bench_async.py

## bench-quality: byoa-tabular vs XGBoost (tutorial) and HistGradientBoosting (needs .[bench])
bench-quality:
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/quality/bench_quality.py

## bench-memory: peak RSS and time of training on 1,000,000 rows x 60 columns (synthetic)
bench-memory:
	$(BIN)/python bench/quality/bench_memory.py

bench: bench-quality bench-serve

clean:
	rm -rf runs .pytest_cache .mypy_cache .ruff_cache
