"""The loaded models of a multi-model endpoint, shared by every gunicorn worker as files.

One folder (made by the master before it forks) holds one JSON file per loaded model: its
name, its folder, its estimated size and a generation that changes on every load. The file's
modification time is the model's last use; a worker touches it on each invocation, so the
least recently used model is the one whose file is oldest, whichever worker served it.
Registering, evicting and unloading take an exclusive ``flock`` on the folder's lock file, so
two workers loading at once cannot both overrun the budget or both load the same name.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

LOCK_NAME = ".lock"


@dataclass(frozen=True)
class Entry:
    model_name: str
    url: str
    size_bytes: int
    generation: str


class AlreadyLoaded(Exception):
    """The name is registered already."""


class TooLarge(Exception):
    """The model alone exceeds the whole budget."""


@dataclass(frozen=True)
class Registry:
    folder: Path
    budget_bytes: int

    @classmethod
    def create(cls, budget_bytes: int) -> Registry:
        """A fresh registry folder, removed when the creating process exits (not its forks)."""
        folder = Path(tempfile.mkdtemp(prefix="byoa-models-"))
        (folder / LOCK_NAME).touch()
        atexit.register(_remove_in, os.getpid(), folder)
        return cls(folder, budget_bytes)

    def register(self, name: str, url: str, size_bytes: int) -> tuple[Entry, list[Entry]]:
        """Register ``name``, evicting least recently used models until it fits.

        Returns the new entry and the entries evicted for it; raises AlreadyLoaded or TooLarge.
        """
        if size_bytes > self.budget_bytes:
            raise TooLarge(name)
        with self._locked():
            if self._path(name).exists():
                raise AlreadyLoaded(name)
            evicted = self._make_room(size_bytes)
            entry = Entry(name, url, size_bytes, uuid.uuid4().hex)
            self._write(entry)
        return entry, evicted

    def resize(self, entry: Entry, size_bytes: int) -> list[Entry]:
        """Record a loaded model's measured size, evicting others until it fits; TooLarge if it
        alone exceeds the budget. Returns the entries evicted (none when it was unloaded)."""
        if size_bytes > self.budget_bytes:
            raise TooLarge(entry.model_name)
        with self._locked():
            current = self.get(entry.model_name)
            if current is None or current.generation != entry.generation:
                return []
            keep = self._path(entry.model_name)
            evicted = self._make_room(size_bytes, keep)
            self._write(dataclasses.replace(entry, size_bytes=size_bytes))
        return evicted

    def touch(self, name: str) -> Entry | None:
        """The model's entry, marked as used now; None when it is not loaded."""
        path = self._path(name)
        try:
            os.utime(path)
        except FileNotFoundError:
            return None
        return _entry_at(path)

    def get(self, name: str) -> Entry | None:
        return _entry_at(self._path(name))

    def remove(self, name: str, generation: str | None = None) -> bool:
        """Unregister ``name`` (only that generation of it, when given); False if not there."""
        with self._locked():
            entry = self.get(name)
            if entry is None or (generation is not None and entry.generation != generation):
                return False
            self._path(name).unlink(missing_ok=True)
            return True

    def entries(self) -> list[Entry]:
        """Every registered model, in name order."""
        found = (_entry_at(path) for path in self.folder.glob("*.json"))
        return sorted((entry for entry in found if entry is not None), key=_by_name)

    def _make_room(self, size_bytes: int, keep: Path | None = None) -> list[Entry]:
        by_age = sorted((p for p in self.folder.glob("*.json") if p != keep), key=_mtime)
        used = {path: _entry_at(path) for path in by_age}
        total = sum(entry.size_bytes for entry in used.values() if entry is not None)
        evicted: list[Entry] = []
        for path, entry in used.items():
            if total + size_bytes <= self.budget_bytes:
                break
            path.unlink(missing_ok=True)
            if entry is not None:
                total -= entry.size_bytes
                evicted.append(entry)
        return evicted

    def _write(self, entry: Entry) -> None:
        staging = self.folder / f".{entry.generation}.tmp"
        staging.write_text(json.dumps(asdict(entry)))
        os.replace(staging, self._path(entry.model_name))

    def _path(self, name: str) -> Path:
        return self.folder / f"{hashlib.sha256(name.encode()).hexdigest()[:40]}.json"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self.folder / LOCK_NAME) as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def page(entries: list[Entry], token: str, max_results: int) -> tuple[list[Entry], str | None]:
    """One page of ``entries`` (in name order) after ``token``, and the next page's token.

    The token is the last name of the previous page, base64url-encoded, so a page stays right
    when models are loaded or unloaded between calls. ValueError for a token not made here.
    """
    after = _decode_token(token) if token else None
    remaining = [entry for entry in entries if after is None or entry.model_name > after]
    chosen = remaining[:max_results]
    more = len(remaining) > max_results
    return chosen, _encode_token(chosen[-1].model_name) if more else None


def _encode_token(name: str) -> str:
    return base64.urlsafe_b64encode(name.encode()).decode()


def _decode_token(token: str) -> str:
    try:
        name = base64.b64decode(token.encode(), altchars=b"-_", validate=True).decode()
    except (ValueError, UnicodeError):
        name = ""
    if not name:
        raise ValueError(f"next_page_token {token!r} was not issued by this server")
    return name


def _remove_in(creator: int, folder: Path) -> None:
    """At exit, in the creating process only: workers forked from it exit through atexit too."""
    if os.getpid() == creator:
        shutil.rmtree(folder, ignore_errors=True)


def _entry_at(path: Path) -> Entry | None:
    """The entry in ``path``; None once it is gone (unloaded or evicted meanwhile)."""
    try:
        return Entry(**json.loads(path.read_text()))
    except FileNotFoundError:
        return None


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _by_name(entry: Entry) -> str:
    return entry.model_name
