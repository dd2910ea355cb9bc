"""What a handler may want to know about the request it serves.

``X-Amzn-SageMaker-Custom-Attributes`` is forwarded verbatim by SageMaker (up to 1,024 visible
ASCII characters) and returned to the caller only if the container sets it in its response.
Handlers read the current request with :func:`current`, or declare a ``context`` parameter
(``predict_fn(data, model, context)``) to receive it. Setting ``response_attributes`` replaces
the echoed value; setting ``inference_count`` replaces the number of inferences the answer
reports to AWS Marketplace (:mod:`serve.metering`; by default one per record answered).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

CUSTOM_ATTRIBUTES = "X-Amzn-SageMaker-Custom-Attributes"


@dataclass
class RequestContext:
    request_id: str
    custom_attributes: str = ""
    content_type: str = ""
    accept: str = ""
    response_attributes: str | None = None
    target_model: str = ""  # multi-model endpoints: the model this request is for
    inference_count: int | None = None

    def attribute(self, name: str) -> str | None:
        """One ``name=value`` entry of the custom attributes (entries split on ``,`` or ``;``)."""
        for entry in self.custom_attributes.replace(";", ",").split(","):
            key, equals, value = entry.partition("=")
            if equals and key.strip().lower() == name.lower():
                return value.strip()
        return None


_current: ContextVar[RequestContext | None] = ContextVar("byoa_request", default=None)


def current() -> RequestContext | None:
    return _current.get()


def activate(context: RequestContext) -> None:
    _current.set(context)
