"""The Flask application: ``/ping`` and ``/execution-parameters``, behind the ``/invocations``
lane (:mod:`serve.invocations`), which answers that one route itself.

SageMaker's rules: ``/ping`` is 200 only when the model is loaded (it is loaded before the
app exists, so a served ping is always ready) and must answer within 2 s. A multi-model server
adds the ``/models`` routes (:mod:`serve.multi_model` states their contract); its models load
at run time, so its ``/ping`` is ready at once too.
"""

from __future__ import annotations

import json

from flask import Flask, Response, request

from serve.errors import BadRequest, InferenceError
from serve.invocations import InvocationsLane
from serve.model_registry import Entry
from serve.multi_model import DEFAULT_PAGE, ModelStore
from serve.service import InferenceService


def create_app(service: InferenceService, models: ModelStore | None = None) -> InvocationsLane:
    app = Flask("byoa")
    parameters = json.dumps(service.settings.execution_parameters())

    @app.get("/ping")
    def ping() -> Response:
        return Response(b"", status=200, content_type="text/plain")

    @app.get("/execution-parameters")
    def execution_parameters() -> Response:
        return Response(parameters, status=200, content_type="application/json")

    if models is None:
        return InvocationsLane(service, app)
    _add_model_routes(app, models)
    return InvocationsLane(service, app, models.service)


def _add_model_routes(app: Flask, models: ModelStore) -> None:
    @app.post("/models")
    def load_model() -> Response:
        body = request.get_json(force=True, silent=True)
        name, url = (body.get("model_name"), body.get("url")) if isinstance(body, dict) else (0, 0)
        if not isinstance(name, str) or not name or not isinstance(url, str) or not url:
            raise BadRequest('send a JSON object {"model_name": "...", "url": "/model/folder"}')
        models.load(name, url)
        return _json(200, {"status": f"model {name!r} loaded"})

    @app.get("/models")
    def list_models() -> Response:
        size = request.args.get("max_results") or request.args.get("limit") or str(DEFAULT_PAGE)
        if not size.isdigit():
            raise BadRequest(f"max_results={size!r} is not a positive integer")
        chosen, token = models.listing(request.args.get("next_page_token", ""), int(size))
        listing: dict[str, object] = {"models": [_described(entry) for entry in chosen]}
        if token is not None:
            listing["nextPageToken"] = token
        return _json(200, listing)

    @app.get("/models/<path:name>")
    def describe_model(name: str) -> Response:
        return _json(200, _described(models.describe(name)))

    @app.delete("/models/<path:name>")
    def unload_model(name: str) -> Response:
        models.unload(name)
        return _json(200, {"status": f"model {name!r} unloaded"})

    @app.errorhandler(InferenceError)
    def model_error(error: InferenceError) -> Response:
        return _json(error.status_code, {"error": error.message, "status": error.status_code})


def _described(entry: Entry) -> dict[str, object]:
    return {"modelName": entry.model_name, "modelUrl": entry.url}


def _json(status: int, payload: object) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/json")
