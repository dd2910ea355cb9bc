"""The server's one settings object: every ``SAGEMAKER_*`` variable the server honours, validated.

SageMaker's rules implemented here: bind ``0.0.0.0:${SAGEMAKER_BIND_TO_PORT:-8080}`` (inference
pipelines pick the port); request bodies up to 6 MB in real time and ``MaxPayloadInMB`` (at
most 100) in batch transform, with ``MaxConcurrentTransforms x MaxPayloadInMB <= 100``;
invocations must answer within 60 s, so a timeout above that only draws a warning.
Asynchronous endpoints take "payload sizes (up to 1GB), long processing times (up to one hour)"
(https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference.html; ``InvocationTimeoutSeconds``
at most 3600, 900 by default, per request:
https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-invoke-endpoint.html), yet the
container sees the same ``POST /invocations`` with no sign of the mode, so the model's
environment says so: ``BYOA_ASYNC_INFERENCE=true`` raises the payload limit to 1 GB and the
timeout to 3600 s (:mod:`serve.spool` keeps such bodies on disk). Each bad value is rejected
with a message that names the variable and the values it accepts.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

# multi-model endpoints (serve.multi_model); here so the CLI can name them without loading it
MULTI_MODEL_VARIABLE = "SAGEMAKER_MULTI_MODEL"
SOURCE_VARIABLE = "BYOA_MULTI_MODEL_SOURCE"

log = logging.getLogger(__name__)

DEFAULT_PORT = 8080
REALTIME_PAYLOAD_MB = 6
MAX_PAYLOAD_MB = 100
INVOCATION_LIMIT_S = 60
ASYNC_PAYLOAD_MB = 1024
ASYNC_INVOCATION_LIMIT_S = 3600
DEFAULT_THREADS = 16
TRANSFORMS_PER_WORKER = 2
"""Batch transform requests in flight per worker by default: while one is scored, the next one's
body arrives, so no core waits for the network (1,000,000 bank rows through 2 workers: 0.69 of
the in-process floor at 1 per worker, 0.82 at 2; ``make bench-transform``)."""


class SettingsError(ValueError):
    """A variable holds a value the server cannot use; the message names it and what is allowed."""


class BatchStrategy(StrEnum):
    MULTI_RECORD = "MULTI_RECORD"
    SINGLE_RECORD = "SINGLE_RECORD"


@dataclass(frozen=True)
class ServerSettings:
    """What the server reads from its environment, once, at start."""

    port: int
    workers: int
    threads: int
    timeout: int
    batch: bool
    max_payload_mb: int
    batch_strategy: BatchStrategy
    max_concurrent_transforms: int
    default_accept: str
    model_dir: Path
    torch_threads: int
    inference_metering: bool = True
    asynchronous: bool = False
    spool_dir: Path | None = None  # None: tempfile's folder ($TMPDIR, else /tmp)

    @property
    def max_payload_bytes(self) -> int:
        return self.max_payload_mb * 1024 * 1024

    def execution_parameters(self) -> dict[str, object]:
        """``GET /execution-parameters``: what batch transform should send this container."""
        return {
            "MaxConcurrentTransforms": self.max_concurrent_transforms,
            "BatchStrategy": self.batch_strategy.value,
            "MaxPayloadInMB": self.max_payload_mb,
        }

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> ServerSettings:
        env = os.environ if environ is None else environ
        cores = os.cpu_count() or 1
        workers = _integer(env, "SAGEMAKER_MODEL_SERVER_WORKERS", cores, 1, 256)
        batch = _boolean(env, "SAGEMAKER_BATCH")
        asynchronous = _asynchronous(env, batch)
        payload_mb = _integer(env, "SAGEMAKER_MAX_PAYLOAD_IN_MB", *_payload_range(asynchronous))
        in_flight = TRANSFORMS_PER_WORKER * workers
        transforms_default = max(1, min(in_flight, MAX_PAYLOAD_MB // payload_mb))
        transforms = _integer(
            env, "SAGEMAKER_MAX_CONCURRENT_TRANSFORMS", transforms_default, 1, 100
        )
        if not asynchronous:
            _check_batch_budget(transforms, payload_mb)
        timeout_default = ASYNC_INVOCATION_LIMIT_S if asynchronous else INVOCATION_LIMIT_S
        settings = cls(
            port=_integer(env, "SAGEMAKER_BIND_TO_PORT", DEFAULT_PORT, 1, 65535),
            workers=workers,
            threads=_integer(env, "BYOA_SERVER_THREADS", DEFAULT_THREADS, 2, 1024),
            timeout=_integer(env, "SAGEMAKER_MODEL_SERVER_TIMEOUT", timeout_default, 1, 3600),
            batch=batch,
            max_payload_mb=payload_mb,
            batch_strategy=_strategy(env),
            max_concurrent_transforms=transforms,
            default_accept=env.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", "").strip(),
            model_dir=model_dir(env),
            torch_threads=_integer(env, "BYOA_TORCH_THREADS", max(1, cores // workers), 1, 1024),
            inference_metering=_boolean(env, "BYOA_INFERENCE_METERING", default=True),
            asynchronous=asynchronous,
            spool_dir=_folder(env, "BYOA_ASYNC_SPOOL_DIR"),
        )
        settings.warn_about_limits()
        return settings

    def warn_about_limits(self) -> None:
        if self.timeout > INVOCATION_LIMIT_S and not (self.batch or self.asynchronous):
            log.warning(
                "SAGEMAKER_MODEL_SERVER_TIMEOUT=%d exceeds SageMaker's %d s real-time invocation "
                "limit; callers will see a timeout first (use async inference for long requests)",
                self.timeout, INVOCATION_LIMIT_S,
            )  # fmt: skip
        if self.workers * self.torch_threads > (os.cpu_count() or 1):
            log.warning(
                "%d workers x %d torch threads exceed the %d cores; they will compete",
                self.workers, self.torch_threads, os.cpu_count() or 1,
            )  # fmt: skip


def model_dir(env: Mapping[str, str]) -> Path:
    """``/opt/ml/model``, or ``$SAGEMAKER_BASE_DIR/model`` where the tree is relocated."""
    explicit = env.get("BYOA_MODEL_DIR")
    if explicit:
        return Path(explicit)
    base = env.get("SAGEMAKER_BASE_DIR")
    return Path(base) / "model" if base else Path("/opt/ml/model")


def _asynchronous(env: Mapping[str, str], batch: bool) -> bool:
    """``BYOA_ASYNC_INFERENCE``; a batch transform job (the same model's environment) ignores it."""
    asynchronous = _boolean(env, "BYOA_ASYNC_INFERENCE")
    if asynchronous and batch:
        log.warning(
            "BYOA_ASYNC_INFERENCE is ignored in a batch transform job (SAGEMAKER_BATCH=true): "
            "batch payloads stay within %d MB", MAX_PAYLOAD_MB,
        )  # fmt: skip
        return False
    return asynchronous


def _payload_range(asynchronous: bool) -> tuple[int, int, int]:
    """Default, lowest and highest ``SAGEMAKER_MAX_PAYLOAD_IN_MB``."""
    if asynchronous:
        return ASYNC_PAYLOAD_MB, 1, ASYNC_PAYLOAD_MB
    return REALTIME_PAYLOAD_MB, 1, MAX_PAYLOAD_MB


def _folder(env: Mapping[str, str], name: str) -> Path | None:
    text = env.get(name, "").strip()
    if not text:
        return None
    folder = Path(text)
    if not folder.is_dir():
        raise SettingsError(f"{name}={text!r} is not a folder; name an existing, writable folder")
    return folder


def _integer(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise SettingsError(f"{name}={text!r} is not an integer; allowed: {low}..{high}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name}={value} is out of range; allowed: {low}..{high}")
    return value


def _boolean(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    text = env.get(name, "").strip().lower()
    if not text:
        return default
    if text in ("false", "0", "no"):
        return False
    if text in ("true", "1", "yes"):
        return True
    raise SettingsError(f"{name}={env[name]!r} is not a boolean; allowed: true, false")


def _strategy(env: Mapping[str, str]) -> BatchStrategy:
    text = env.get("SAGEMAKER_BATCH_STRATEGY", "").strip().upper().replace("-", "_")
    if not text:
        return BatchStrategy.MULTI_RECORD
    aliases = {"MULTIRECORD": "MULTI_RECORD", "SINGLERECORD": "SINGLE_RECORD"}
    try:
        return BatchStrategy(aliases.get(text, text))
    except ValueError:
        allowed = ", ".join(s.value for s in BatchStrategy)
        raise SettingsError(
            f"SAGEMAKER_BATCH_STRATEGY={env['SAGEMAKER_BATCH_STRATEGY']!r} is unknown; "
            f"allowed: {allowed}"
        ) from None


def _check_batch_budget(transforms: int, payload_mb: int) -> None:
    if transforms * payload_mb > MAX_PAYLOAD_MB:
        raise SettingsError(
            f"SAGEMAKER_MAX_CONCURRENT_TRANSFORMS={transforms} x SAGEMAKER_MAX_PAYLOAD_IN_MB="
            f"{payload_mb} = {transforms * payload_mb} MB exceeds SageMaker's {MAX_PAYLOAD_MB} MB; "
            "lower one of them"
        )
