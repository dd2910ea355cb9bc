"""The last step of ``byoa demo``: serve the trained model and score the held-out rows over HTTP.

The model goes through the path SageMaker takes: ``model.tar.gz`` extracted into a fresh model
folder, the real server started on a free loopback port, ``/ping`` polled until 200, then
``text/csv`` requests to ``/invocations``, then SIGTERM.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from container.commands.serve import prepare_model_dir
from serve import client
from serve.process import ServerProcess, ServerStartError, local_server_command

SHOWN_ROWS = 5


def serve_and_score(model_archive: Path, test_csv: Path, label: str) -> int:
    test = pd.read_csv(test_csv)
    features = test.drop(columns=[label])
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
            return _score(server.url, features, test[label])
        finally:
            server.stop()


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
