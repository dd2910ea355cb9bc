"""Multi-model endpoints: many models behind one server, loaded and unloaded at run time.

SageMaker's contract for a container that hosts many models ("Custom Containers Contract for
Multi-Model Endpoints", docs.aws.amazon.com/sagemaker/latest/dg/mms-container-apis.html; "Build
Your Own Container for SageMaker AI Multi-Model Endpoints", .../build-multi-model-build-container
.html), implemented here and in :mod:`serve.app`:

- the image carries ``LABEL com.amazonaws.sagemaker.capabilities.multi-models=true`` and
  SageMaker starts it with ``SAGEMAKER_MULTI_MODEL=true``;
- ``POST /models`` with ``{"model_name": ..., "url": "/opt/ml/models/{name}/model"}`` loads a
  model: 409 when the name is loaded already, 507 when it cannot be loaded for want of memory
  (SageMaker then unloads unused models and retries); here also 404 when ``url`` does not exist;
- ``GET /models`` lists ``{"models": [{"modelName", "modelUrl"}], "nextPageToken"}``, a page at
  a time (``?max_results=``, and ``?next_page_token=`` from the previous page);
- ``GET /models/{name}`` describes one, ``DELETE /models/{name}`` unloads it (404 when it is not
  loaded);
- ``POST /models/{name}/invoke`` runs an inference on it (404 when it is not loaded, and
  SageMaker loads it and retries); ``X-Amzn-SageMaker-Target-Model`` carries the caller's
  ``TargetModel`` (for logging there). ``POST /invocations`` with that header also picks the
  model by name, for callers that talk to the container directly.

Models are loaded by the algorithm's ``model_fn(url)`` and served by the same
:class:`~serve.service.InferenceService` pipeline as a single model (one per model, sharing the
worker's inference slot and watchdog clock).

Workers. Each gunicorn worker is a separate process and holds its own copy of each model it
serves, but SageMaker's front end may send a model's requests to any worker. So the set of
loaded models is kept once for all workers, as files (:mod:`serve.model_registry`): a load on
one worker registers the model for all of them and loads it there; every other worker loads it
from its ``url`` on the first request for it that reaches that worker. Unloading or evicting
removes the registration at once, so every worker answers 404 from then on, and each worker frees
its copy the next time it touches that model or loads one; the answers agree across workers.

Memory. ``BYOA_MULTI_MODEL_MEMORY_MB`` bounds the sum of the sizes of the loaded models (default:
half the container's memory, divided by the workers, since each worker may hold every model). A
model's size is the larger of its folder's size on disk (known before loading) and the growth
of the loading worker's resident memory over ``model_fn`` (measured once, on ``POST /models``).
Neither alone is right: the bundled learner holds 2.2-2.3 times its files in memory (66 KiB on
disk grew RSS by 152 KiB, 19.7 MiB by 42.8 MiB), while RSS growth reads low when the allocator
reuses memory that an unloaded model freed. A worker's first load also pays the framework's
one-time set-up (69 MB for the bundled learner's first ``torch.load``), which is no model's, so
that load counts its size on disk only. A load that does not fit evicts the least recently
used models (by last invocation on any worker) until it does; a model larger than the whole
budget is refused with 507 (before loading by its size on disk, after it by its measured size).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from serve.errors import (
    BadRequest,
    InferenceError,
    InsufficientStorage,
    ModelConflict,
    ModelNotLoaded,
)
from serve.model_registry import AlreadyLoaded, Entry, Registry, TooLarge, page
from serve.service import InferenceService
from serve.settings import MULTI_MODEL_VARIABLE, SOURCE_VARIABLE, _boolean, _integer

log = logging.getLogger(__name__)

MEMORY_VARIABLE = "BYOA_MULTI_MODEL_MEMORY_MB"
DEFAULT_PAGE = 100
MAX_PAGE = 1000
MEMORY_SHARE = 0.5


@dataclass(frozen=True)
class MultiModelSettings:
    enabled: bool
    budget_bytes: int
    source: Path | None  # byoa serve --models: where a model not loaded yet is found by name

    @classmethod
    def from_environment(
        cls, workers: int, environ: Mapping[str, str] | None = None
    ) -> MultiModelSettings:
        env = os.environ if environ is None else environ
        default_mb = max(1, int(memory_bytes() * MEMORY_SHARE / workers) // 2**20)
        budget_mb = _integer(env, MEMORY_VARIABLE, default_mb, 1, 2**24)
        source = env.get(SOURCE_VARIABLE, "").strip()
        return cls(_boolean(env, MULTI_MODEL_VARIABLE), budget_mb * 2**20,
                   Path(source) if source else None)  # fmt: skip


def memory_bytes() -> int:
    """The container's memory: its cgroup limit, else the machine's."""
    limit = Path("/sys/fs/cgroup/memory.max")
    text = limit.read_text().strip() if limit.exists() else "max"
    if text.isdigit():
        return int(text)
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def resident_bytes() -> int:
    """This process's resident memory (RSS)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def folder_bytes(folder: Path) -> int:
    """A model's estimated size: the bytes of the files in its folder."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


@dataclass
class _Held:
    generation: str
    service: InferenceService


class ModelStore:
    """The models of one multi-model server: the shared registry and this worker's copies."""

    def __init__(
        self, front: InferenceService, registry: Registry, source: Path | None = None
    ) -> None:
        self.front = front  # the algorithm, settings, slot and clock every model's service shares
        self.registry = registry
        self.source = source
        self._held: dict[str, _Held] = {}
        self._loading = threading.Lock()
        self._warm = False  # whether this worker has loaded a model (and set up the framework)

    def load(self, name: str, url: str) -> Entry:
        """``POST /models``: register and load ``name`` from the folder ``url``."""
        folder = Path(url)
        if not folder.exists():
            raise ModelNotLoaded(f"url {url!r}: no such folder; load a model that exists")
        if not folder.is_dir():
            raise BadRequest(f"url {url!r} is not a folder; give the extracted model's folder")
        size = folder_bytes(folder)
        try:
            entry, evicted = self.registry.register(name, str(folder), size)
        except AlreadyLoaded:
            raise ModelConflict(f"model {name!r} is loaded already; unload it first") from None
        except TooLarge:
            raise InsufficientStorage(
                f"model {name!r} ({size / 2**20:.1f} MB on disk) exceeds the whole memory budget "
                f"of {self.registry.budget_bytes / 2**20:.0f} MB ({MEMORY_VARIABLE})"
            ) from None
        try:
            grown = self._hold(entry, measure=True)[1]
            evicted += self._record_size(entry, grown)
        except InferenceError:
            self.registry.remove(name, entry.generation)
            self.release_stale()
            raise
        for old in evicted:
            log.info("evicted model %r (least recently used) to load %r", old.model_name, name)
        log.info("loaded model %r from %s: %d bytes on disk, resident memory grew by %d",
                 name, folder, size, grown)  # fmt: skip
        return entry

    def _record_size(self, entry: Entry, grown: int) -> list[Entry]:
        if grown <= entry.size_bytes:
            return []
        try:
            return self.registry.resize(entry, grown)
        except TooLarge:
            raise InsufficientStorage(
                f"model {entry.model_name!r} took {grown / 2**20:.1f} MB of memory to load, more "
                f"than the whole budget of {self.registry.budget_bytes / 2**20:.0f} MB "
                f"({MEMORY_VARIABLE})"
            ) from None

    def service(self, name: str) -> InferenceService:
        """The service answering for ``name`` in this worker, loaded here on first use."""
        entry = self.registry.touch(name)
        if entry is None:
            self._held.pop(name, None)  # unloaded or evicted elsewhere: free this worker's copy
            entry = self._load_from_source(name)
        held = self._held.get(name)
        if held is not None and held.generation == entry.generation:
            return held.service
        return self._hold(entry)[0]

    def describe(self, name: str) -> Entry:
        entry = self.registry.get(name)
        if entry is None:
            raise ModelNotLoaded(f"model {name!r} is not loaded")
        return entry

    def unload(self, name: str) -> None:
        if not self.registry.remove(name):
            raise ModelNotLoaded(f"model {name!r} is not loaded")
        self.release_stale()
        log.info("unloaded model %r", name)

    def listing(self, token: str, max_results: int) -> tuple[list[Entry], str | None]:
        if not 1 <= max_results <= MAX_PAGE:
            raise BadRequest(f"max_results={max_results} is out of range; allowed: 1..{MAX_PAGE}")
        self.release_stale()
        try:
            return page(self.registry.entries(), token, max_results)
        except ValueError as error:
            raise BadRequest(str(error)) from None

    def release_stale(self) -> None:
        """Drop this worker's copies of models unloaded or evicted (by any worker)."""
        with self._loading:
            for name, held in list(self._held.items()):
                entry = self.registry.get(name)
                if entry is None or entry.generation != held.generation:
                    del self._held[name]

    def _hold(self, entry: Entry, measure: bool = False) -> tuple[InferenceService, int]:
        """This worker's service for ``entry``, and how much resident memory loading it took."""
        self.release_stale()
        with self._loading:
            held = self._held.get(entry.model_name)
            if held is not None and held.generation == entry.generation:
                return held.service, 0
            measure = measure and self._warm
            before = resident_bytes() if measure else 0
            model = self._model_fn(entry)
            grown = resident_bytes() - before if measure else 0
            self._warm = True
            service = dataclasses.replace(self.front, model=model)
            self._held[entry.model_name] = _Held(entry.generation, service)
            return service, grown

    def _model_fn(self, entry: Entry) -> object:
        try:
            return self.front.algorithm.model_fn(Path(entry.url))
        except MemoryError:
            raise InsufficientStorage(
                f"out of memory loading model {entry.model_name!r}; unload other models"
            ) from None
        except Exception as error:
            log.exception("model_fn failed to load %r from %s", entry.model_name, entry.url)
            raise BadRequest(
                f"model_fn cannot load model {entry.model_name!r} from {entry.url}: {error}"
            ) from None

    def _load_from_source(self, name: str) -> Entry:
        """Locally (``byoa serve --models``) load a model not loaded yet, as SageMaker would."""
        folder = self.source / name / "model" if self.source is not None else None
        if folder is None or not folder.is_dir():
            raise ModelNotLoaded(f"model {name!r} is not loaded; load it with POST /models")
        try:
            return self.load(name, str(folder))
        except ModelConflict:
            entry = self.registry.get(name)  # another worker loaded it meanwhile
            if entry is None:
                raise
            return entry
