"""The classic stack's application, for comparison only (not shipped).

This is the shape most custom SageMaker containers copy: a Flask app under gunicorn sync
workers behind nginx, the model loaded lazily by the first ``/ping`` in each worker, the body
parsed with ``pandas.read_csv`` and the answer written back with pandas; torch left at its
default thread count in every worker. It serves the same model through the same ``predict_fn``
as byoa, so only the serving stack differs.

Its slow 1-row bank requests (an earlier run saw about 0.4 s each) are torch's default
threads, not nginx, keep-alive, Nagle or pandas. Measured on 2 shared cores, 2 workers:

- under wrk, 1 row x16 connections: 17-19 requests/s, p50 670-730 ms; with one torch thread
  per worker (``OMP_NUM_THREADS=1``) 166-187 requests/s, p50 82-99 ms. The synthetic model:
  135-146 against 146-195 requests/s. The p50 is the queue: 16 connections over the rate.
- in-process, two processes at once as two busy workers: the bank model's ``predict_fn`` on 1
  row takes 24 ms (p50) on two torch threads each, 0.37 ms on one; the synthetic model's
  0.30 ms and 0.25 ms. The bank model averages 4 networks, so each layer is a ``baddbmm`` over
  a batch of 4 that torch splits over both threads even for one row (on a busy machine 2.6 ms
  a call against 17 us on one thread): with both workers busy, 4 threads share 2 cores and
  every split waits for a descheduled thread. The synthetic model has one network, a batch of
  1, and no such loss.
- sequential requests, one at a time, the other worker idle: about 16 ms (median) on bank, 9 ms
  on synthetic, through nginx or straight to the gunicorn socket, on new or kept-alive
  connections alike (no 40 ms delayed-ACK steps: nginx sets ``TCP_NODELAY``, the upstream is a
  Unix socket); of that, pandas parsing takes 2-9 ms on bank's text columns. Once per worker,
  early, one bank request takes about 200 ms: a full garbage collection of the worker's
  ~205,000 tracked objects (most from importing torch), reached sooner on bank because its
  requests trigger about 8x the young collections; wrk's warm-up second absorbs it.

Default threads and no ``gc.freeze`` are this stack as users write it, so the benchmark keeps
them; ``fastapi_app``'s tuned variant shows what one torch thread per worker is worth.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import flask
from pandas_csv import read_records, write_scores

from algorithm import model_fn, predict_fn

app = flask.Flask(__name__)


class ScoringService:
    model: Any = None

    @classmethod
    def get_model(cls) -> Any:
        if cls.model is None:
            cls.model = model_fn(Path(os.environ["BYOA_MODEL_DIR"]))
        return cls.model


@app.route("/ping", methods=["GET"])
def ping() -> flask.Response:
    healthy = ScoringService.get_model() is not None
    return flask.Response(
        response="\n", status=200 if healthy else 404, mimetype="application/json"
    )


@app.route("/invocations", methods=["POST"])
def invocations() -> flask.Response:
    if flask.request.content_type != "text/csv":
        return flask.Response(response="This predictor only supports CSV data", status=415)
    records = read_records(flask.request.data.decode("utf-8"))
    predictions = predict_fn(records, ScoringService.get_model())
    return flask.Response(response=write_scores(predictions), status=200, mimetype="text/csv")
