"""The classic stack's application, for comparison only (not shipped).

This is the shape most custom SageMaker containers copy: a Flask app under gunicorn sync
workers behind nginx, the model loaded lazily by the first ``/ping`` in each worker, the body
parsed with ``pandas.read_csv`` and the answer written back with pandas; torch left at its
default thread count in every worker. It serves the same model through the same ``predict_fn``
as byoa, so only the serving stack differs.
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
