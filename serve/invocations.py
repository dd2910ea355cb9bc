"""``/invocations`` as a plain WSGI application in front of the Flask app.

Scoring one row takes about a tenth of a millisecond, and Flask's request and response objects
cost more than that again, so the one route on the hot path does without them: the body comes
straight from the WSGI input, the service answers, and the status and headers go straight to
``start_response``. Every other path goes on to the Flask app (:mod:`serve.app`).

SageMaker's rules for the route: bodies are capped by the payload limit (413, before the body
is read when ``Content-Length`` already says it is too large); client mistakes are 4xx with a
JSON message; a handler bug is a 500 whose request id is in the log and in ``X-Request-Id``, and
the worker goes on serving; custom attributes are echoed back; a 200 carries AWS Marketplace's
``X-Amzn-Inference-Metering`` header unless ``BYOA_INFERENCE_METERING`` is off (errors never).
On a multi-model endpoint (:mod:`serve.multi_model`) the request names its model, by
``X-Amzn-SageMaker-Target-Model`` or as ``POST /models/{name}/invoke``, and that model's service
answers. An asynchronous endpoint's large bodies are kept on disk and answered in chunks of
records (:mod:`serve.spool`).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from serve import spool
from serve.context import CUSTOM_ATTRIBUTES, RequestContext, activate
from serve.errors import BadRequest, InferenceError, PayloadTooLarge
from serve.metering import metering_header
from serve.service import Answer, InferenceService

log = logging.getLogger(__name__)

PATH = "/invocations"
REQUEST_ID = "X-Request-Id"
INFERENCE_ID_KEY = "HTTP_X_AMZN_SAGEMAKER_INFERENCE_ID"
CUSTOM_ATTRIBUTES_KEY = "HTTP_X_AMZN_SAGEMAKER_CUSTOM_ATTRIBUTES"
TARGET_MODEL_KEY = "HTTP_X_AMZN_SAGEMAKER_TARGET_MODEL"
MODEL_PREFIX, INVOKE_SUFFIX = "/models/", "/invoke"

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]
ModelServices = Callable[[str], InferenceService]
STATUS_LINES = {status.value: f"{status.value} {status.phrase}" for status in HTTPStatus}


@dataclass(frozen=True)
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    stream: Iterable[bytes] | None = None  # sent instead of ``body`` (a spooled answer)


class InvocationsLane:
    def __init__(
        self, service: InferenceService, fallback: WsgiApp, models: ModelServices | None = None
    ) -> None:
        self.service = service
        self.fallback = fallback
        self.models = models  # a multi-model endpoint's service for each model name
        self.limit = service.settings.max_payload_bytes
        self.metering = service.settings.inference_metering
        self.asynchronous = service.settings.asynchronous

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path != PATH and not (self.models is not None and invoked_model(path)):
            return self.fallback(environ, start_response)
        context = _context(environ)
        if environ.get("REQUEST_METHOD") != "POST":
            message = f"{path} takes POST, not {environ.get('REQUEST_METHOD')}"
            reply = error_reply(405, message, context, [("Allow", "POST")])
        else:
            try:
                if self.asynchronous and spool.takes(_declared_length(environ)):
                    reply = self.answer_spooled(environ, context)
                else:
                    reply = self.answer(_body(environ, self.limit), context)
            except PayloadTooLarge as error:
                reply = error_reply(error.status_code, error.message, context)
        start_response(STATUS_LINES[reply.status], reply.headers)
        return [reply.body] if reply.stream is None else reply.stream

    def answer(self, body: bytes, context: RequestContext) -> Reply:
        """The reply to one ``POST /invocations`` whose body has been read in full."""
        activate(context)
        try:
            if not body:
                raise BadRequest("empty body: send at least one record")
            answer = self._service_for(context.target_model).invoke(body, context)
        except Exception as error:
            return failure_reply(error, context)
        return _reply(200, answer.body, answer.content_type, context, self._metered(answer))

    def _metered(self, answer: Answer | spool.StreamedAnswer) -> list[tuple[str, str]]:
        if not self.metering:
            return []
        count = answer.inference_count if isinstance(answer, Answer) else answer.records
        return [metering_header(count)]

    def _service_for(self, target_model: str) -> InferenceService:
        if self.models is None:
            if target_model:
                raise BadRequest(
                    "X-Amzn-SageMaker-Target-Model names a model, but this server serves one "
                    "model (start it with SAGEMAKER_MULTI_MODEL=true to serve many)"
                )
            return self.service
        if not target_model:
            raise BadRequest(
                "this is a multi-model endpoint: name the model in X-Amzn-SageMaker-Target-Model "
                "or POST to /models/{name}/invoke"
            )
        return self.models(target_model)

    def answer_spooled(self, environ: Environ, context: RequestContext) -> Reply:
        """The reply to a large body of an asynchronous endpoint, read from disk in chunks."""
        activate(context)
        length, folder = _declared_length(environ), self.service.settings.spool_dir
        try:
            if length is not None and length > self.limit:
                raise PayloadTooLarge(_too_large(length, self.limit))
            service = self._service_for(context.target_model)
            service.media_types(context)  # 415 or 406 before the body is copied
            with spool.spooled(environ["wsgi.input"], length, self.limit, folder) as body:
                answer = spool.answer(service, body, context, folder)
        except Exception as error:
            return failure_reply(error, context)
        if isinstance(answer, Answer):
            return _reply(200, answer.body, answer.content_type, context, self._metered(answer))
        metered = self._metered(answer)
        reply = _reply(200, b"", answer.content_type, context, metered, length=answer.length)
        return Reply(200, reply.headers, b"", answer.blocks())


def invoked_model(path: str) -> str:
    """The model name in ``/models/{name}/invoke``, or "" for any other path."""
    if path.startswith(MODEL_PREFIX) and path.endswith(INVOKE_SUFFIX):
        return path[len(MODEL_PREFIX) : -len(INVOKE_SUFFIX)]
    return ""


def failure_reply(error: Exception, context: RequestContext) -> Reply:
    """A client mistake's 4xx, or a handler bug's 500 with the request id logged."""
    if isinstance(error, InferenceError):
        return error_reply(error.status_code, error.message, context)
    log.exception("request %s: the handler failed", context.request_id, exc_info=error)
    message = "the algorithm's handler failed; see the log for this request id"
    return error_reply(500, message, context)


def request_context(
    inference_id: str,
    custom_attributes: str,
    content_type: str,
    accept: str,
    target_model: str = "",
) -> RequestContext:
    """The request's context; its id is SageMaker's inference id, or a fresh one."""
    return RequestContext(
        inference_id or uuid.uuid4().hex, custom_attributes, content_type, accept,
        target_model=target_model,
    )  # fmt: skip


def _context(environ: Environ) -> RequestContext:
    return request_context(
        environ.get(INFERENCE_ID_KEY, ""),
        environ.get(CUSTOM_ATTRIBUTES_KEY, ""),
        environ.get("CONTENT_TYPE", ""),
        environ.get("HTTP_ACCEPT", ""),
        invoked_model(environ.get("PATH_INFO", "")) or environ.get(TARGET_MODEL_KEY, ""),
    )


def _declared_length(environ: Environ) -> int | None:
    declared = environ.get("CONTENT_LENGTH")
    return int(declared) if declared and declared.isdigit() else None


def _body(environ: Environ, limit: int) -> bytes:
    length = _declared_length(environ)
    if length is not None and length > limit:
        raise PayloadTooLarge(_too_large(length, limit))
    body: bytes = environ["wsgi.input"].read(limit + 1 if length is None else length)
    if len(body) > limit:
        raise PayloadTooLarge(_too_large(None, limit))
    return body


def _too_large(length: int | None, limit: int) -> str:
    size = f"{length} bytes" if length is not None else "the body"
    return (
        f"{size} exceeds the payload limit of {limit // (1024 * 1024)} MB "
        "(SAGEMAKER_MAX_PAYLOAD_IN_MB; 6 MB for real-time endpoints); send fewer records"
    )


def error_reply(
    status: int,
    message: str,
    context: RequestContext,
    extra: list[tuple[str, str]] | None = None,
) -> Reply:
    body = json.dumps({"error": message, "status": status, "request_id": context.request_id})
    headers = [(REQUEST_ID, context.request_id), *(extra or [])]
    return _reply(status, body.encode(), "application/json", context, headers)


def _reply(
    status: int,
    body: bytes,
    content_type: str,
    context: RequestContext,
    extra: list[tuple[str, str]] | None = None,
    length: int | None = None,
) -> Reply:
    size = len(body) if length is None else length
    headers = [("Content-Type", content_type), ("Content-Length", str(size)), *(extra or [])]
    attributes = context.custom_attributes
    if context.response_attributes is not None:
        attributes = context.response_attributes
    if attributes:
        headers.append((CUSTOM_ATTRIBUTES, attributes))
    return Reply(status, headers, body)
