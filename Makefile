# The one developer entry point. CI runs the same targets (.ci/run).
VENV ?= .venv
PYTHON ?= python3.11
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: setup setup-sdk setup-system demo test conformance test-fast lint format bench bench-quality bench-memory bench-serve bench-predict bench-csv bench-serve-memory bench-serverless bench-transform bench-faults bench-async bench-scale image clean

## setup-system: as root, once per machine: Docker engine and the tools the tests use
setup-system:
	bash scripts/setup-system.sh

## setup: the virtual environment with byoa and its test/lint tools (again only when
## pyproject.toml changed)
## (the toolkit and, from $(ALGORITHM)/requirements.txt, the algorithm's own dependencies)
ALGORITHM ?= algorithm
REQUIREMENTS := $(wildcard $(ALGORITHM)/requirements.txt)
STAMP := $(VENV)/.installed
setup: $(STAMP)

$(STAMP): pyproject.toml $(REQUIREMENTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,lint]' $(addprefix -r ,$(REQUIREMENTS))
	touch $@

## setup-sdk: the SageMaker Python SDK v3 in its own environment (.venv-sdk) for
## tests/docker/test_sdk_v3.py (it requires gunicorn < 24 through MLflow, the server 27, so it
## cannot share .venv); installed once
SDK_STAMP := .venv-sdk/.installed
setup-sdk: $(SDK_STAMP)

$(SDK_STAMP):
	test -x .venv-sdk/bin/python || $(PYTHON) -m venv .venv-sdk
	.venv-sdk/bin/python -m pip install --quiet 'sagemaker==3.27.0' 's3fs<0.5'
	touch $@

## demo: train on the bundled bank data, serve the model, predict (no AWS, no Docker);
## sets up the environment first if needed
demo: setup
	$(BIN)/byoa demo

## test: every test, Docker ones included (they build the image from the Dockerfile); sets up
## the machine (as root: Docker engine, base image) and the environment first if needed
test: setup-system setup setup-sdk
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## conformance: the SageMaker contract on the installed algorithm and its sample/ (no Docker)
conformance: setup
	$(BIN)/python -m pytest tests/conformance $(PYTEST_ARGS)

## test-fast: the tests that need neither Docker nor long training
test-fast: setup
	$(BIN)/python -m pytest -m "not docker and not slow"

lint: setup
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

## bench-serve: byoa's server vs nginx + gunicorn sync + flask + pandas and FastAPI + uvicorn
## (tutorial and tuned), side by side (wrk, nginx), on the synthetic 60-float model and on the
## bundled bank model (needs .[bench-serve])
bench-serve:
	$(BIN)/python -m pip install --quiet -e '.[bench-serve]'
	$(BIN)/python bench/serve/bench_serve.py
	$(BIN)/python bench/serve/bench_serve.py --model bank

## bench-predict: the bundled algorithm's predict_fn (bank model) at 1, 100, 10,000 rows, in-process
bench-predict:
	$(BIN)/python bench/serve/bench_predict.py

## bench-csv: byoa's text/csv decoder vs pandas.read_csv(dtype=str), bank and numeric bodies
bench-csv:
	$(BIN)/python bench/serve/bench_csv.py

## bench-serve-memory: the server's PSS idle, during and after a burst of 10,000-row bank requests
bench-serve-memory:
	$(BIN)/python bench/serve/bench_memory.py

## bench-faults: requests, errors, /ping p50/p99 under slow senders, non-readers, idle clients, worker kills
bench-faults:
	$(BIN)/python bench/faults/bench_faults.py

## bench-async: the worker's peak memory for 100 MB and 1 GB CSV bodies, asynchronous endpoint
bench-async:
	$(BIN)/python bench/serve/bench_async.py

## bench-quality: byoa-tabular vs XGBoost and HistGradientBoosting on bank and the panel (needs .[bench])
bench-quality:
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/quality/bench_quality.py
	$(BIN)/python bench/quality/bench_panel.py --seeds 3

## bench-memory: peak RSS and time of training on 1,000,000 rows x 60 columns (synthetic)
bench-memory:
	$(BIN)/python bench/quality/bench_memory.py

## bench-serverless: idle and peak PSS of the server (1 worker vs one per core) with 4 MB requests
bench-serverless:
	$(BIN)/python bench/serve/bench_serverless.py

## bench-transform: byoa transform of 1,000,000 bank rows through the server, rows/s vs the floor
bench-transform:
	$(BIN)/python bench/serve/bench_transform.py

bench: bench-quality bench-serve

clean:
	rm -rf runs .pytest_cache .mypy_cache .ruff_cache
