"""Helpers for the serving tests (not a test module): a model trained once, servers on loopback."""

from __future__ import annotations

import os
import socket
import tarfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from serve.process import ServerProcess, local_server_command
from tests.conftest import REPO_ROOT, make_job, run_train

PROBE_ALGORITHM = "tests.fixtures.serve_probe_algorithm"


@dataclass(frozen=True)
class TrainedModel:
    model_dir: Path
    archive: Path
    rows: pd.DataFrame  # held-out feature rows, label dropped, training column order
    labels: pd.Series

    def csv(self, count: int, start: int = 0) -> bytes:
        """``count`` headerless CSV rows (repeating the held-out rows when more are asked for)."""
        frame = self.rows.iloc[[(start + i) % len(self.rows) for i in range(count)]]
        return frame.to_csv(header=False, index=False).encode()


_cache: dict[str, TrainedModel] = {}


def trained_model(
    tmp_path_factory: pytest.TempPathFactory, small_bank: dict[str, Path]
) -> TrainedModel:
    """A model of the toolkit tests' algorithm on bank rows, trained once per session through
    the real ``train`` entrypoint."""
    if "model" not in _cache:
        layout = make_job(tmp_path_factory.mktemp("serve-model"), small_bank)
        result = run_train(layout)
        assert result.returncode == 0, result.stderr[-3000:]
        model_dir = layout.base_dir / "model"
        archive = layout.root / "model.tar.gz"
        with tarfile.open(archive, "w:gz") as packed:
            for path in model_dir.iterdir():
                packed.add(path, arcname=path.name)
        validation = pd.read_csv(small_bank["validation"])
        _cache["model"] = TrainedModel(
            model_dir, archive, validation.drop(columns=["y"]), validation["y"]
        )
    return _cache["model"]


def raw_invocation(body: bytes, headers: Mapping[str, str]) -> bytes:
    """One ``POST /invocations`` as it goes on the wire, ``Host`` and ``Content-Length`` added."""
    lines = [f"{name}: {value}\r\n" for name, value in headers.items()]
    head = f"POST /invocations HTTP/1.1\r\nHost: x\r\n{''.join(lines)}"
    return f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def server_env(
    model_dir: Path, port: int, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    path = os.environ.get("PYTHONPATH")
    return {
        **os.environ,
        "PYTHONPATH": f"{REPO_ROOT}{os.pathsep}{path}" if path else str(REPO_ROOT),
        "BYOA_MODEL_DIR": str(model_dir),
        "SAGEMAKER_BIND_TO_PORT": str(port),
        "SAGEMAKER_MODEL_SERVER_WORKERS": "2",
        **(extra or {}),
    }


def running_server(
    model_dir: Path, extra: Mapping[str, str] | None = None
) -> Iterator[ServerProcess]:
    """A real gunicorn server on a free loopback port, ready (``/ping`` said 200); stopped after."""
    port = free_port()
    server = ServerProcess(local_server_command(), port, server_env(model_dir, port, extra),
                           cwd=str(REPO_ROOT))  # fmt: skip
    server.start()
    try:
        server.wait_ready(timeout=120)
        yield server
    finally:
        server.stop(grace=30)
