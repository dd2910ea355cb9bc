"""The Flask application: ``/ping`` and ``/execution-parameters``, behind the ``/invocations``
lane (:mod:`serve.invocations`), which answers that one route itself.

SageMaker's rules: ``/ping`` is 200 only when the model is loaded (it is loaded before the
app exists, so a served ping is always ready) and must answer within 2 s.
"""

from __future__ import annotations

import json

from flask import Flask, Response

from serve.invocations import InvocationsLane
from serve.service import InferenceService


def create_app(service: InferenceService) -> InvocationsLane:
    app = Flask("byoa")
    parameters = json.dumps(service.settings.execution_parameters())

    @app.get("/ping")
    def ping() -> Response:
        return Response(b"", status=200, content_type="text/plain")

    @app.get("/execution-parameters")
    def execution_parameters() -> Response:
        return Response(parameters, status=200, content_type="application/json")

    return InvocationsLane(service, app)
