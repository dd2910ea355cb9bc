"""The plug-in contract: what an algorithm module defines and what the toolkit does with it.

An algorithm is a Python module (``BYOA_ALGORITHM``, default ``algorithm``) that satisfies
:class:`AlgorithmModule`; it may add the hooks of :class:`CodecHooks`. The toolkit calls these
names and no others. Every hook may declare a keyword parameter ``context`` to receive the
current request's :class:`~serve.context.RequestContext` (request id, custom attributes).

How an exception ends, by where it is raised:

- in ``train``: a :class:`~container.errors.TrainingError` (``ConfigError``, ``DataError``,
  ``AlgorithmError``) writes its one-line ``reason`` first into ``/opt/ml/output/failure``
  (SageMaker shows the first 1,024 characters as the job's ``FailureReason``) and the job exits
  1. Any other exception is a bug: the failure file says "unexpected error in the algorithm"
  with the exception, and the traceback goes to the log.
- in ``model_fn``: the server does not start (``/ping`` never answers 200); the reason is in
  the log.
- in ``input_fn``, ``predict_fn``, ``output_fn``: a :class:`~serve.errors.InferenceError`
  answers with its ``status_code`` and ``{"error": message}`` (``BadRequest`` 400,
  ``UnsupportedMediaType`` 415, ``NotAcceptable`` 406, ``PayloadTooLarge`` 413, or any status
  given to ``InferenceError(message, status_code)``). Any other exception is a 500 whose
  ``request_id`` is in the log; the caller never sees the traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from container.job import TrainingJob
    from container.spec import AlgorithmSpec


class AlgorithmModule(Protocol):
    """The names every algorithm module must define."""

    SPEC: AlgorithmSpec
    """The algorithm's declaration: hyperparameters, channels, metrics, content types,
    instance types. Validation in ``train``, the metric regexes, the ``CreateAlgorithm``
    request and the README's hyperparameter table are derived from it."""

    def train(self, job: TrainingJob) -> None:
        """Train and leave the model in ``job.model_dir`` (SageMaker packs it as model.tar.gz).

        ``job.hyperparameters`` are validated against ``SPEC`` and typed (``get_int``,
        ``get_float``, ``get_str``, ``get_bool``). ``job.channel(name)`` is the reader of a
        channel the job was given, and raises ``ConfigError`` naming the channels it has;
        ``job.optional_channel(name)`` returns ``None`` for a channel the job was not given
        (declare such a channel with ``Channel(..., required=False)``). Log metrics with
        ``job.metrics.log(name, value, step)``: it prints the line that the declared regex
        matches. When ``job.stop.requested`` turns true (SIGTERM; 120 s before SIGKILL), save
        what you can and return: the job then ends as stopped, not failed. In a distributed job
        (``job.cluster``), only the master (``job.cluster.is_master``) should write the model.
        """

    def model_fn(self, model_dir: Path) -> Any:
        """Load the model once per server, before ``/ping`` answers 200.

        ``model_dir`` holds what ``train`` left in ``job.model_dir`` (SageMaker unpacks
        model.tar.gz there). The returned object is shared by every request of a worker and
        must not be modified by ``predict_fn``. It is loaded before the workers fork, so
        loading once costs memory once.
        """

    def predict_fn(self, data: Any, model: Any) -> Any:
        """Predict for the decoded request.

        ``data`` is what ``input_fn`` returned or, by default, a :class:`~serve.records.Records`
        (``values``: 2-D float32 when every field was numeric, otherwise ``str`` with missing
        fields as ``""``; ``columns``: the field names when the request named them). Return a
        :class:`~serve.records.Predictions` (one per record), or anything ``output_fn`` can
        encode, or a 1-D/2-D array (one row per record), which the default encoders accept. For
        CSV and JSON Lines answers the default encoders require exactly one prediction per
        record. Raise ``BadRequest("row 3, column 'age': ...")`` for input the model cannot use.
        """


class CodecHooks(Protocol):
    """Optional hooks: an algorithm defines either, both or neither."""

    def input_fn(self, body: bytes, content_type: str) -> Any:
        """Decode a request body of a type in ``SPEC.request_content_types``.

        ``content_type`` is the request's full header (parameters included). Return what
        ``predict_fn`` takes, or ``None`` to decline: the default decoder of that type then
        decodes the body into ``Records``.
        """

    def output_fn(self, prediction: Any, accept: str) -> bytes | None:
        """Encode ``predict_fn``'s result as ``accept``, a type in
        ``SPEC.response_content_types`` chosen from the request's ``Accept`` header.

        Return the response body, or ``None`` to decline: the default encoder of that type then
        encodes the prediction (and needs a ``Predictions`` or an array). For line-aligned
        types (``text/csv``, ``application/jsonlines``) a body returned here must hold one line
        per record, as the default encoders do, because batch transform joins answers to input
        lines; other types (``application/json``) may hold any document.
        """
