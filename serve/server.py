"""``serve``: gunicorn in-process, bound to ``0.0.0.0:${SAGEMAKER_BIND_TO_PORT:-8080}``.

The master loads the algorithm and the model before it forks (so ``/ping`` is never 200 on an
unloaded model and the workers share the model's pages), then freezes the heap so the
collector does not copy it. The image's entrypoint starts ``serve`` with the cyclic collector
paused until then: importing torch, pandas and Flask makes about 200,000 objects and little
garbage, and the collector's passes over them took 12 % of the import time (1.71 s with them,
1.50 s without, medians of 5 whole processes). The few thousand garbage objects of the
imports stay frozen with the rest.

Workers are ``gthread``: inference holds one slot per worker while the worker's other threads
keep answering, new connections go to the worker holding the fewest (:mod:`serve.balance`),
and a kept-alive client's next request is served by the thread that answered the last one
(:mod:`serve.worker`). Each worker gets ``cores / workers`` torch threads so workers do not
fight over cores. SIGTERM stops gracefully: in-flight requests finish within 25 s, inside
SageMaker's 30 s before SIGKILL.

No client can starve ``/ping`` (SageMaker's limit: 2 s, or the instance is replaced). Each
worker's event loop reads every request whole before a thread takes it, so idle connections
and slow senders hold no thread; a request has 10 s from its first byte to arrive (then 408).
The loop answers a plain ``GET /ping`` itself, so a ping never waits for a thread, whatever the
threads are doing. A thread's reads and writes on a client wait at most 15 s, so a client that
never reads its answers frees its thread. Past 4 open connections per thread in a worker, a new
connection's first request other than ``/ping`` gets a fast 503 and is closed. Through
InvokeEndpoint a container's 4xx or 5xx reaches the caller as ``ModelError`` (HTTP 424) with
``OriginalStatusCode`` 503 and the body as ``OriginalMessage`` (botocore's sagemaker-runtime
model); nothing documents a retry by SageMaker, so the caller decides. ``/ping`` is never
answered 503 by this bound. Figures: ``make bench-faults``.

A worker that dies (SIGKILL, the inference watchdog) is replaced by the master from the
preloaded model in milliseconds; the listening socket belongs to the master (no
``SO_REUSEPORT``), so connections queued for ``accept`` wait for a live worker and none is
lost. What is lost is the dead worker's open connections: each request in flight on one of them
fails, and a client that kept such a connection idle sees it closed (a reset or an empty read)
when it next sends. Inference is idempotent: a client should retry it once on a fresh
connection after a reset, an empty answer or a connection refused.

With ``SAGEMAKER_MULTI_MODEL=true`` the master loads the algorithm only; models are loaded at run
time through the ``/models`` API (:mod:`serve.multi_model`).
"""

from __future__ import annotations

import gc
import logging
import sys
from typing import Any

from gunicorn.app.base import BaseApplication

from container.errors import TrainingError
from container.logs import configure_logging
from container.plugin import load_algorithm
from serve import allocator, balance
from serve.app import create_app
from serve.loading import unavailable_while_loading
from serve.model_registry import Registry
from serve.multi_model import ModelStore, MultiModelSettings
from serve.service import InferenceService
from serve.settings import ServerSettings, SettingsError
from serve.watchdog import InferenceClock, watch

log = logging.getLogger(__name__)

GRACEFUL_TIMEOUT_S = 25


class ModelServer(BaseApplication):  # type: ignore[misc]
    """A gunicorn application whose configuration comes from :class:`ServerSettings`."""

    def __init__(
        self, settings: ServerSettings, service: InferenceService, models: ModelStore | None = None
    ) -> None:
        self.settings = settings
        self.service = service
        self.models = models
        super().__init__()

    def load_config(self) -> None:
        for name, value in gunicorn_options(self.settings, self.service).items():
            self.cfg.set(name, value)

    def load(self) -> Any:
        return create_app(self.service, self.models)


def gunicorn_options(settings: ServerSettings, service: InferenceService) -> dict[str, Any]:
    return {
        "bind": [f"0.0.0.0:{settings.port}"],
        "workers": settings.workers,
        "worker_class": "serve.worker.ServingWorker",
        "threads": settings.threads,
        "timeout": settings.timeout,
        "graceful_timeout": GRACEFUL_TIMEOUT_S,
        "keepalive": 75,
        "preload_app": True,
        "limit_request_line": 8190,  # gunicorn's defaults, named: serve.kept_alive stays below
        "limit_request_fields": 100,
        "limit_request_field_size": 8190,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "byoa-serve",
        "control_socket_disable": True,
        "post_fork": _post_fork(settings.torch_threads),
        "child_exit": balance.child_exit,
        "post_worker_init": _post_worker_init(service.clock, settings.timeout),
    }


def _post_fork(torch_threads: int) -> Any:
    def post_fork(server: Any, worker: Any) -> None:
        torch = sys.modules.get("torch")  # only an algorithm that loaded torch pays for it
        if torch is None:
            return
        torch.set_num_threads(torch_threads)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:
            log.debug("torch inter-op threads already started")

    return post_fork


def _post_worker_init(clock: InferenceClock, timeout: int) -> Any:
    def post_worker_init(worker: Any) -> None:
        watch(clock, timeout)
        allocator.trim_when_idle(clock)

    return post_worker_init


def load_service(settings: ServerSettings, with_model: bool = True) -> InferenceService:
    algorithm = load_algorithm()
    model = None
    if with_model:
        log.info("loading the model from %s", settings.model_dir)
        model = algorithm.model_fn(settings.model_dir)
    service = InferenceService(algorithm, model, settings)
    gc.freeze()
    gc.enable()
    return service


def multi_model_store(multi: MultiModelSettings, service: InferenceService) -> ModelStore | None:
    if not multi.enabled:
        return None
    log.info("multi-model endpoint: models load through /models, %d MB each worker",
             multi.budget_bytes // 2**20)  # fmt: skip
    return ModelStore(service, Registry.create(multi.budget_bytes), multi.source)


def main() -> int:
    configure_logging()
    try:
        settings = ServerSettings.from_environment()
        multi = MultiModelSettings.from_environment(settings.workers)
        if not multi.enabled and not settings.model_dir.is_dir():
            raise SettingsError(f"the model folder {settings.model_dir} does not exist")
        with unavailable_while_loading(settings.port):
            service = load_service(settings, with_model=not multi.enabled)
    except (SettingsError, TrainingError, ValueError, OSError) as error:
        log.error("cannot start the server: %s", error)
        return 2
    except Exception:
        log.exception("cannot start the server: loading the algorithm or the model failed")
        return 2
    log.info(
        "serving on 0.0.0.0:%d: %d workers x %d threads, %d torch threads each, payload %d MB, "
        "timeout %d s%s",
        settings.port, settings.workers, settings.threads, settings.torch_threads,
        settings.max_payload_mb, settings.timeout,
        " (asynchronous: large bodies spooled to disk)" if settings.asynchronous else "",
    )  # fmt: skip
    balance.install(settings.workers)
    allocator.share_arenas()
    ModelServer(settings, service, multi_model_store(multi, service)).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
