"""The multi-model API (``SAGEMAKER_MULTI_MODEL=true``) over real HTTP, on a real 2-worker server.

The server runs the probe algorithm (the bundled one; ``reply=pid`` answers with the worker's
pid) with ballast (a model may hold extra memory). Two distinct bank models are trained; each
model folder is padded to 1,200 KiB on disk, so two fit the 3 MiB budget and a third evicts the
least recently used one.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from serve import client
from serve.codecs.csv_codec import decode
from serve.process import ServerProcess
from tests.conftest import FAST_HYPERPARAMETERS, REPO_ROOT, make_job, run_train
from tests.fixtures.tabular import model_fn, predict_fn
from tests.integration.serve_support import (
    TrainedModel,
    free_port,
    raw_invocation,
    running_server,
)

MODEL_BYTES = 1200 * 1024
CSV = {"Content-Type": "text/csv"}
ALGORITHM = "tests.fixtures.ballast_algorithm"
BYOA = [sys.executable, "-m", "container.cli"]


@pytest.fixture(scope="module")
def other_model(tmp_path_factory: pytest.TempPathFactory, small_bank: dict[str, Path]) -> Path:
    """A second bank model, unlike the first (fewer steps, a stronger penalty)."""
    hyperparameters = {**FAST_HYPERPARAMETERS, "epochs": "5", "l2": "1.0"}
    layout = make_job(tmp_path_factory.mktemp("other-model"), small_bank, hyperparameters)
    result = run_train(layout)
    assert result.returncode == 0, result.stderr[-3000:]
    return layout.base_dir / "model"


@pytest.fixture(scope="module")
def folders(
    tmp_path_factory: pytest.TempPathFactory, model: TrainedModel, other_model: Path
) -> dict[str, Path]:
    """Model folders padded to ``MODEL_BYTES``: a, b, c (copies of the two models); huge (four
    times as large on disk); heavy and hungry (as small on disk, holding 2 and 4 MB loaded)."""
    root = tmp_path_factory.mktemp("models")
    sources = {"a": model.model_dir, "b": other_model, "c": model.model_dir, "huge": other_model,
               "heavy": model.model_dir, "hungry": model.model_dir}  # fmt: skip
    made = {}
    for name, source in sources.items():
        folder = root / name / "model"
        shutil.copytree(source, folder)
        ballast = {"heavy": "2", "hungry": "4"}.get(name)
        if ballast is not None:
            (folder / "ballast_mb").write_text(ballast)
        size = MODEL_BYTES * (4 if name == "huge" else 1)
        (folder / "padding.bin").write_bytes(b"\0" * (size - _folder_bytes(folder)))
        made[name] = folder
    return made


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    extra = {"SAGEMAKER_MULTI_MODEL": "true", "BYOA_MULTI_MODEL_MEMORY_MB": "3",
             "BYOA_ALGORITHM": ALGORITHM}  # fmt: skip
    yield from running_server(tmp_path_factory.mktemp("no-model") / "absent", extra)


@pytest.fixture(autouse=True)
def nothing_loaded(server: ServerProcess) -> Iterator[None]:
    yield
    for entry in listing(server)["models"]:
        assert call(server, "DELETE", f"/models/{entry['modelName']}").status == 200


def call(server: ServerProcess, method: str, path: str, payload: object = None) -> client.Reply:
    body = None if payload is None else json.dumps(payload).encode()
    return client.request(server.url, method, path, body, {"Content-Type": "application/json"})


def load(server: ServerProcess, name: str, folder: Path) -> client.Reply:
    return call(server, "POST", "/models", {"model_name": name, "url": str(folder)})


def listing(server: ServerProcess, query: str = "") -> dict[str, object]:
    reply = call(server, "GET", f"/models{query}")
    assert reply.status == 200, reply.body
    answer: dict[str, object] = json.loads(reply.body)
    return answer


def names(server: ServerProcess) -> list[str]:
    return [entry["modelName"] for entry in listing(server)["models"]]  # type: ignore[attr-defined]


def invoke(server: ServerProcess, name: str, body: bytes, via_header: bool = False) -> client.Reply:
    """One inference on a fresh connection (so the workers take turns), asking for the pid."""
    headers = {**CSV, "X-Amzn-SageMaker-Custom-Attributes": "reply=pid"}
    if via_header:
        headers["X-Amzn-SageMaker-Target-Model"] = name
        return client.request(server.url, "POST", "/invocations", body, headers)
    return client.request(server.url, "POST", f"/models/{name}/invoke", body, headers)


def invoke_everywhere(
    server: ServerProcess, name: str, body: bytes, expected: np.ndarray
) -> set[str]:
    """Invoke ``name`` on four connections held open together: a worker accepts only while it
    holds no more than the other, so they are shared out whatever the timing. Every answer must
    be ``expected``; the workers' pids."""
    headers = {**CSV, "X-Amzn-SageMaker-Custom-Attributes": "reply=pid",
               "X-Amzn-SageMaker-Target-Model": name}  # fmt: skip
    pids = set()
    with contextlib.ExitStack() as held:
        for _ in range(4):
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            held.callback(connection.close)
            connection.request("POST", "/invocations", body, headers)
            response = connection.getresponse()
            reply = response.read()
            assert response.status == 200, reply
            np.testing.assert_allclose([float(x) for x in reply.split()], expected, rtol=1e-5)
            pids.add(response.headers["X-Amzn-SageMaker-Custom-Attributes"])
    return pids


def scores(folder: Path, body: bytes) -> np.ndarray:
    result: np.ndarray = predict_fn(decode(body, {}), model_fn(folder)).scores
    return result


def answered(reply: client.Reply) -> np.ndarray:
    assert reply.status == 200, reply.body
    return np.array([float(line) for line in reply.body.split()])


def test_load_invoke_describe_and_unload(
    server: ServerProcess, folders: dict[str, Path], model: TrainedModel
) -> None:
    body = model.csv(5)
    assert load(server, "a", folders["a"]).status == 200
    assert load(server, "b", folders["b"]).status == 200
    conflict = load(server, "a", folders["b"])
    assert conflict.status == 409 and "loaded already" in json.loads(conflict.body)["error"]
    described = json.loads(call(server, "GET", "/models/a").body)
    assert described == {"modelName": "a", "modelUrl": str(folders["a"])}
    expected_a, expected_b = scores(folders["a"], body), scores(folders["b"], body)
    assert not np.allclose(expected_a, expected_b, rtol=1e-3)
    np.testing.assert_allclose(answered(invoke(server, "a", body)), expected_a, rtol=1e-5)
    np.testing.assert_allclose(answered(invoke(server, "b", body)), expected_b, rtol=1e-5)
    np.testing.assert_allclose(answered(invoke(server, "b", body, True)), expected_b, rtol=1e-5)
    assert call(server, "DELETE", "/models/a").status == 200
    assert call(server, "DELETE", "/models/a").status == 404
    assert call(server, "GET", "/models/a").status == 404
    gone = invoke(server, "a", body)
    assert gone.status == 404 and "not loaded" in json.loads(gone.body)["error"]
    assert names(server) == ["b"]


def test_every_worker_answers_for_a_model_loaded_on_one(
    server: ServerProcess, folders: dict[str, Path], model: TrainedModel
) -> None:
    body = model.csv(3)
    assert load(server, "b", folders["b"]).status == 200
    assert len(invoke_everywhere(server, "b", body, scores(folders["b"], body))) == 2
    assert call(server, "DELETE", "/models/b").status == 200
    for _ in range(6):
        assert invoke(server, "b", body).status == 404  # on both workers at once


def test_a_kept_alive_connection_invokes_the_named_model(
    server: ServerProcess, folders: dict[str, Path], model: TrainedModel
) -> None:
    """The second request on a connection takes the kept-alive fast path; it honours the header."""
    body = model.csv(2)
    assert load(server, "a", folders["a"]).status == 200
    assert load(server, "b", folders["b"]).status == 200
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        stream = connection.makefile("rb")
        for name in ("a", "b", "a", "b"):
            headers = {**CSV, "X-Amzn-SageMaker-Target-Model": name}
            connection.sendall(raw_invocation(body, headers))
            status, length = _read_head(stream)
            assert status == 200
            got = np.array([float(x) for x in stream.read(length).split()])
            np.testing.assert_allclose(got, scores(folders[name], body), rtol=1e-5)


def test_least_recently_used_model_is_evicted_and_a_model_too_large_is_507(
    server: ServerProcess, folders: dict[str, Path], model: TrainedModel
) -> None:
    body = model.csv(1)
    assert load(server, "a", folders["a"]).status == 200
    assert load(server, "b", folders["b"]).status == 200
    assert invoke(server, "a", body).status == 200  # now b is the least recently used
    assert load(server, "c", folders["c"]).status == 200
    assert names(server) == ["a", "c"]
    assert invoke(server, "b", body).status == 404
    assert invoke(server, "a", body).status == 200
    too_large = load(server, "huge", folders["huge"])
    assert too_large.status == 507
    assert "exceeds the whole memory budget of 3 MB" in json.loads(too_large.body)["error"]
    assert names(server) == ["a", "c"]


def test_a_model_measured_larger_than_its_files_evicts_more_or_is_507(
    server: ServerProcess, folders: dict[str, Path], model: TrainedModel
) -> None:
    """heavy is 1,200 KiB on disk, so it fits beside a; loaded, it holds over 2 MB and a goes.
    (a is loaded by both workers first: a worker's first load counts its size on disk only.)"""
    assert load(server, "a", folders["a"]).status == 200
    body = model.csv(2)
    assert len(invoke_everywhere(server, "a", body, scores(folders["a"], body))) == 2
    assert load(server, "heavy", folders["heavy"]).status == 200
    assert names(server) == ["heavy"]
    assert answered(invoke(server, "heavy", body)).shape == (2,)
    hungry = load(server, "hungry", folders["hungry"])
    assert hungry.status == 507
    assert "of memory to load, more than the whole budget" in json.loads(hungry.body)["error"]
    assert names(server) == []  # heavy made room for hungry, which then did not fit at all
    assert invoke(server, "hungry", model.csv(1)).status == 404


def test_pages_of_the_listing(server: ServerProcess, folders: dict[str, Path]) -> None:
    assert load(server, "a", folders["a"]).status == 200
    assert load(server, "b", folders["b"]).status == 200
    first = listing(server, "?max_results=1")
    assert [m["modelName"] for m in first["models"]] == ["a"]  # type: ignore[attr-defined]
    second = listing(server, f"?max_results=1&next_page_token={first['nextPageToken']}")
    assert [m["modelName"] for m in second["models"]] == ["b"]  # type: ignore[attr-defined]
    assert "nextPageToken" not in second
    assert "nextPageToken" not in listing(server)
    assert call(server, "GET", "/models?next_page_token=%25%25").status == 400
    assert call(server, "GET", "/models?max_results=0").status == 400


def test_bad_loads_and_invocations_are_clear_4xx(
    server: ServerProcess, folders: dict[str, Path], tmp_path: Path, model: TrainedModel
) -> None:
    missing = load(server, "x", tmp_path / "nowhere")
    assert missing.status == 404 and "no such folder" in json.loads(missing.body)["error"]
    assert call(server, "POST", "/models", {"model_name": "x"}).status == 400
    assert call(server, "POST", "/models", ["x"]).status == 400
    (tmp_path / "empty").mkdir()
    broken = load(server, "empty", tmp_path / "empty")
    assert broken.status == 400 and "model_fn cannot load" in json.loads(broken.body)["error"]
    assert names(server) == []
    unnamed = client.request(server.url, "POST", "/invocations", model.csv(1), CSV)
    assert unnamed.status == 400 and "multi-model endpoint" in json.loads(unnamed.body)["error"]
    assert client.request(server.url, "GET", "/ping").status == 200


def test_serve_models_dir_serves_folders_and_archives(
    folders: dict[str, Path], model: TrainedModel, tmp_path: Path
) -> None:
    """``byoa serve --models DIR``: an archive and a folder, loaded at start, named by file."""
    source = tmp_path / "source"
    source.mkdir()
    shutil.copy(model.archive, source / "bank.tar.gz")
    os.symlink(folders["b"], source / "other")
    port = free_port()
    command = [*BYOA, "serve", "--models", str(source), "--port", str(port), "--workers", "2"]
    process = subprocess.Popen(command, cwd=REPO_ROOT, stderr=subprocess.PIPE, text=True,
                               preexec_fn=_interruptible)  # fmt: skip
    try:
        log = _until_ready(process)
        assert "model bank.tar.gz: HTTP 200" in log and "model other: HTTP 200" in log, log
        url = f"http://127.0.0.1:{port}"
        body = model.csv(4)
        headers = {**CSV, "X-Amzn-SageMaker-Target-Model": "bank.tar.gz"}
        reply = client.request(url, "POST", "/invocations", body, headers)
        np.testing.assert_allclose(answered(reply), scores(model.model_dir, body), rtol=1e-5)
        assert client.request(url, "DELETE", "/models/other").status == 200
        again = client.request(url, "POST", "/models/other/invoke", body, CSV)  # loaded on demand
        np.testing.assert_allclose(answered(again), scores(folders["b"], body), rtol=1e-5)
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=40) == 0


def _interruptible() -> None:
    """Ctrl-C stops the child even when these tests run with SIGINT ignored (in the background)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _until_ready(process: subprocess.Popen[str]) -> str:
    assert process.stderr is not None
    lines = []
    for line in process.stderr:
        lines.append(line)
        if "[serve] ready" in line:
            return "".join(lines)
    raise AssertionError("".join(lines))


def _read_head(stream: object) -> tuple[int, int]:
    status_line = stream.readline()  # type: ignore[attr-defined]
    length = 0
    while (line := stream.readline()) not in (b"\r\n", b""):  # type: ignore[attr-defined]
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    return int(status_line.split()[1]), length


def _folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def test_a_single_model_server_refuses_a_target_model(model: TrainedModel) -> None:
    """Without SAGEMAKER_MULTI_MODEL a named model is a mistake (400), and /models is not served."""
    one_worker = {"SAGEMAKER_MODEL_SERVER_WORKERS": "1"}
    with contextlib.contextmanager(running_server)(model.model_dir, one_worker) as single:
        headers = {**CSV, "X-Amzn-SageMaker-Target-Model": "bank.tar.gz"}
        named = client.request(single.url, "POST", "/invocations", model.csv(1), headers)
        assert named.status == 400 and "serves one model" in json.loads(named.body)["error"]
        assert client.request(single.url, "POST", "/invocations", model.csv(1), CSV).status == 200
        assert client.request(single.url, "GET", "/models").status == 404
        assert client.request(single.url, "POST", "/models/bank/invoke", b"1", CSV).status == 404
