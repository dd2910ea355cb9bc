"""The Flask application: ``/ping``, ``/invocations`` and ``/execution-parameters``.

SageMaker's rules: ``/ping`` is 200 only when the model is loaded (it is loaded before the
app exists, so a served ping is always ready) and must answer within 2 s; ``/invocations``
bodies are capped by the payload limit (413); client mistakes are 4xx with a JSON message; a
handler bug is a 500 whose request id is in the log, and the worker goes on serving.
"""

from __future__ import annotations

import json
import logging
import uuid

from flask import Flask, Response, request

from serve.context import CUSTOM_ATTRIBUTES, RequestContext, activate
from serve.errors import BadRequest, InferenceError, PayloadTooLarge
from serve.service import InferenceService

log = logging.getLogger(__name__)

INFERENCE_ID = "X-Amzn-SageMaker-Inference-Id"
REQUEST_ID = "X-Request-Id"


def create_app(service: InferenceService) -> Flask:
    app = Flask("byoa")
    limit = service.settings.max_payload_bytes
    parameters = json.dumps(service.settings.execution_parameters())

    @app.get("/ping")
    def ping() -> Response:
        return Response(b"", status=200, content_type="text/plain")

    @app.get("/execution-parameters")
    def execution_parameters() -> Response:
        return Response(parameters, status=200, content_type="application/json")

    @app.post("/invocations")
    def invocations() -> Response:
        context = _context()
        activate(context)
        try:
            answer = service.invoke(_body(limit), context)
        except InferenceError as error:
            response = _error(error.status_code, error.message, context)
            if isinstance(error, PayloadTooLarge):
                response.headers["Connection"] = "close"
            return response
        except Exception:
            log.exception("request %s: the handler failed", context.request_id)
            return _error(
                500, "the algorithm's handler failed; see the log for this request id", context
            )
        response = Response(answer.body, status=200, content_type=answer.content_type)
        _echo(response, context)
        return response

    return app


def _context() -> RequestContext:
    headers = request.headers
    return RequestContext(
        request_id=headers.get(INFERENCE_ID) or uuid.uuid4().hex,
        custom_attributes=headers.get(CUSTOM_ATTRIBUTES, ""),
        content_type=headers.get("Content-Type", ""),
        accept=headers.get("Accept", ""),
    )


def _body(limit: int) -> bytes:
    length = request.content_length
    if length is not None and length > limit:
        raise PayloadTooLarge(_too_large(length, limit))
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        raise PayloadTooLarge(_too_large(None, limit))
    if not body:
        raise BadRequest("empty body: send at least one record")
    return body


def _too_large(length: int | None, limit: int) -> str:
    size = f"{length} bytes" if length is not None else "the body"
    return (
        f"{size} exceeds the payload limit of {limit // (1024 * 1024)} MB "
        "(SAGEMAKER_MAX_PAYLOAD_IN_MB; 6 MB for real-time endpoints); send fewer records"
    )


def _error(status: int, message: str, context: RequestContext) -> Response:
    body = json.dumps({"error": message, "status": status, "request_id": context.request_id})
    response = Response(body, status=status, content_type="application/json")
    response.headers[REQUEST_ID] = context.request_id
    _echo(response, context)
    return response


def _echo(response: Response, context: RequestContext) -> None:
    attributes = context.response_attributes
    if attributes is None:
        attributes = context.custom_attributes
    if attributes:
        response.headers[CUSTOM_ATTRIBUTES] = attributes
