"""The FastAPI stack's application, for comparison only (not shipped).

The shape FastAPI tutorials give a model server: an ``async`` endpoint that awaits the body,
parses it with pandas and calls the model inline, the model loaded once per worker at startup
(lifespan), served by uvicorn with ``--workers N`` (uvloop and httptools, as
``uvicorn[standard]`` installs them). It serves the same model through the same ``model_fn`` and
``predict_fn`` as byoa and the same pandas parsing as ``classic_app``.

``BYOA_BENCH_FASTAPI`` picks the variant: ``tutorial`` (the default) leaves torch at its default
thread count in every worker, as tutorials do; ``tuned`` sets one torch thread per worker
before loading the model, the one change a user who read about oversubscription would make.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import torch
from fastapi import FastAPI, Request, Response
from pandas_csv import read_records, write_scores

from algorithm import model_fn, predict_fn

VARIANTS = ("tutorial", "tuned")
state: dict[str, Any] = {}


def variant() -> str:
    """The variant named by ``BYOA_BENCH_FASTAPI``, ``tutorial`` when unset."""
    name = os.environ.get("BYOA_BENCH_FASTAPI", "tutorial")
    if name not in VARIANTS:
        raise ValueError(f"BYOA_BENCH_FASTAPI must be one of {VARIANTS}, not {name!r}")
    return name


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    """Loads the model in each worker before it serves (``tuned``: on one torch thread)."""
    if variant() == "tuned":
        torch.set_num_threads(1)
    state["model"] = model_fn(Path(os.environ["BYOA_MODEL_DIR"]))
    yield
    state.clear()


app = FastAPI(lifespan=lifespan)


@app.get("/ping")
async def ping() -> Response:
    return Response(content="\n", status_code=200 if "model" in state else 404,
                    media_type="application/json")  # fmt: skip


@app.post("/invocations")
async def invocations(request: Request) -> Response:
    if request.headers.get("content-type") != "text/csv":
        return Response(content="This predictor only supports CSV data", status_code=415)
    records = read_records((await request.body()).decode("utf-8"))
    predictions = predict_fn(records, state["model"])
    return Response(content=write_scores(predictions), media_type="text/csv")
