"""The last step of ``byoa demo``: serve the trained model and predict over HTTP.

The model goes through the path SageMaker takes: ``model.tar.gz`` extracted into a fresh model
folder, the real server started on a free loopback port, ``/ping`` polled until 200, then
requests to ``/invocations``, then SIGTERM.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from container.commands.serve import CONTENT_TYPES, prepare_model_dir
from container.spec import AlgorithmSpec
from serve import client
from serve.process import ServerProcess, ServerStartError, local_server_command

SHOWN_ROWS = 5


def serve_samples(model_archive: Path, spec: AlgorithmSpec, inference: Path) -> int:
    """Every file of ``inference`` answered in every response type the spec declares."""
    files = sorted(p for p in inference.iterdir() if p.suffix.lower() in CONTENT_TYPES)
    if not files:
        print(f"[demo] {inference} holds no file of a known content type", file=sys.stderr)
        return 1
    return _with_server(model_archive, lambda url: _answer_files(url, spec, files))


def score_bank_rows(model_archive: Path, test_csv: Path, label: str) -> int:
    test = pd.read_csv(test_csv)
    features = test.drop(columns=[label])
    return _with_server(model_archive, lambda url: _score(url, features, test[label]))


def _with_server(model_archive: Path, use: Callable[[str], int]) -> int:
    """``use(url)`` of a real server on the extracted model; 1 when it does not start."""
    with tempfile.TemporaryDirectory(prefix="byoa-demo-") as scratch:
        model_dir = prepare_model_dir(model_archive, Path(scratch))
        port = _free_port()
        env = {"BYOA_MODEL_DIR": str(model_dir), "SAGEMAKER_BIND_TO_PORT": str(port)}
        server = ServerProcess(local_server_command(), port, {**os.environ, **env})
        try:
            seconds = server.start().wait_ready()
        except ServerStartError as error:
            print(f"[demo] the server did not start: {error}", file=sys.stderr)
            server.stop()
            return 1
        try:
            print(f"[demo] server ready in {seconds:.1f} s at {server.url}", file=sys.stderr)
            return use(server.url)
        finally:
            server.stop()


def _answer_files(url: str, spec: AlgorithmSpec, files: list[Path]) -> int:
    for path in files:
        body, content_type = path.read_bytes(), CONTENT_TYPES[path.suffix.lower()]
        for accept in spec.response_content_types:
            reply = client.invoke(url, body, content_type, accept)
            print(f"[demo] POST /invocations {path.name} ({content_type}), Accept {accept}: "
                  f"HTTP {reply.status}, {len(reply.body)} bytes")  # fmt: skip
            if reply.status != 200:
                print(f"  {reply.body[:300]!r}", file=sys.stderr)
                return 1
            for line in reply.body.decode(errors="replace").splitlines()[:SHOWN_ROWS]:
                print(f"  {line[:100]}")
    return 0


def _score(url: str, features: pd.DataFrame, labels: pd.Series) -> int:
    head = features.iloc[:SHOWN_ROWS].to_csv(header=False, index=False).encode()
    shown = client.invoke(url, head, "text/csv", "text/csv;verbose=true")
    print(f"[demo] POST /invocations, {SHOWN_ROWS} rows, Accept text/csv;verbose=true:")
    for row, answer in zip(
        head.decode().splitlines(), shown.body.decode().splitlines(), strict=False
    ):
        print(f"  {row[:60]:60s} -> {answer}")
    body = features.to_csv(header=False, index=False).encode()
    reply = client.invoke(url, body, "text/csv")
    if reply.status != 200 or shown.status != 200:
        print(
            f"[demo] the server answered HTTP {reply.status}: {reply.body[:300]!r}", file=sys.stderr
        )
        return 1
    scores = np.array(reply.body.split(), dtype=np.float64)
    positive = (labels.astype(str) == "yes").to_numpy()
    print(
        f"[demo] served {len(scores)} test rows ({len(body) / 1e6:.1f} MB of CSV): "
        f"AUC {roc_auc(positive, scores):.4f}, "
        f"accuracy {np.mean((scores >= 0.5) == positive):.4f}"
    )
    return 0


def roc_auc(positive: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve from ranks (ties share their average rank)."""
    ranks = pd.Series(scores).rank(method="average").to_numpy()
    count = int(positive.sum())
    negatives = len(positive) - count
    if count == 0 or negatives == 0:
        return float("nan")
    return float((ranks[positive].sum() - count * (count + 1) / 2) / (count * negatives))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
