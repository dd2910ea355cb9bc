"""Server lifecycle against real gunicorn: readiness, ping under load, handler bugs, SIGTERM."""

from __future__ import annotations

import http.client
import signal
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from serve.process import ServerProcess, local_server_command, ping
from tests.conftest import REPO_ROOT
from tests.integration.serve_support import (
    PROBE_ALGORITHM,
    TrainedModel,
    free_port,
    raw_invocation,
    running_server,
    server_env,
)

CSV = {"Content-Type": "text/csv"}
ATTRIBUTES = "X-Amzn-SageMaker-Custom-Attributes"
SAGEMAKER_PING_TIMEOUT_S = 2.0


@pytest.fixture(scope="module")
def probe(model: TrainedModel) -> Iterator[ServerProcess]:
    yield from running_server(model.model_dir, {"BYOA_ALGORITHM": PROBE_ALGORITHM})


def post(server: ServerProcess, body: bytes, **headers: str) -> requests.Response:
    return requests.post(f"{server.url}/invocations", data=body, headers=headers, timeout=60)


def timed_ping(server: ServerProcess) -> tuple[int, float]:
    started = time.perf_counter()
    response = requests.get(f"{server.url}/ping", timeout=SAGEMAKER_PING_TIMEOUT_S)
    return response.status_code, time.perf_counter() - started


def test_ping_answers_while_every_worker_runs_a_long_inference(
    probe: ServerProcess, model: TrainedModel
) -> None:
    body = model.csv(10_000)
    finished: list[float] = []

    def long_request() -> int:
        response = post(probe, body, **CSV, **{ATTRIBUTES: "busy=6"})
        finished.append(time.monotonic())
        return response.status_code

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(long_request) for _ in range(4)]
        time.sleep(1.0)
        pings = [timed_ping(probe) for _ in range(10)]
        last_ping = time.monotonic()
        assert [f.result() for f in futures] == [200] * 4
    assert not [t for t in finished if t < last_ping], "the inferences ended before the pings"
    assert [status for status, _ in pings] == [200] * 10
    slowest = max(seconds for _, seconds in pings)
    print(f"slowest /ping while 4 inferences ran on 2 workers: {slowest * 1000:.1f} ms")


def test_handler_bug_is_500_with_request_id_and_the_worker_keeps_serving(
    probe: ServerProcess, model: TrainedModel
) -> None:
    broken = post(probe, model.csv(2), **CSV, **{ATTRIBUTES: "fail=1"})
    assert broken.status_code == 500
    request_id = broken.json()["request_id"]
    assert broken.headers["X-Request-Id"] == request_id
    time.sleep(0.2)
    log = probe.log_tail(200)
    assert f"request {request_id}: the handler failed" in log
    assert "RuntimeError: probe: a bug in the handler" in log
    assert [post(probe, model.csv(2), **CSV).status_code for _ in range(20)] == [200] * 20


def test_sagemaker_inference_id_becomes_the_request_id(
    probe: ServerProcess, model: TrainedModel
) -> None:
    headers = {ATTRIBUTES: "fail=1", "X-Amzn-SageMaker-Inference-Id": "abc-123"}
    response = post(probe, model.csv(1), **CSV, **headers)
    assert response.json()["request_id"] == "abc-123"


def test_custom_attributes_reach_the_handler_which_may_answer_them(
    probe: ServerProcess, model: TrainedModel
) -> None:
    response = post(probe, model.csv(1), **CSV, **{ATTRIBUTES: "reply=seen-by-handler"})
    assert response.status_code == 200
    assert response.headers[ATTRIBUTES] == "seen-by-handler"
    plain = post(probe, model.csv(1), **CSV)
    assert ATTRIBUTES not in plain.headers


def test_workers_collect_garbage_once_the_paused_start_up_is_over(
    probe: ServerProcess, model: TrainedModel
) -> None:
    """The entrypoint pauses the cyclic collector while it imports and loads; the workers
    run with it on, the loaded heap frozen out of its way."""
    response = post(probe, model.csv(1), **CSV, **{ATTRIBUTES: "reply=gc"})
    enabled, frozen = (entry.split("=")[1] for entry in response.headers[ATTRIBUTES].split(";"))
    assert enabled == "True"
    assert int(frozen) > 100_000


def start(model: TrainedModel, extra: dict[str, str]) -> ServerProcess:
    port = free_port()
    env = server_env(model.model_dir, port, {"BYOA_ALGORITHM": PROBE_ALGORITHM, **extra})
    return ServerProcess(local_server_command(), port, env, cwd=str(REPO_ROOT)).start()


def test_sigterm_finishes_in_flight_requests_then_exits(model: TrainedModel) -> None:
    server = start(model, {})
    try:
        server.wait_ready(timeout=120)
        with ThreadPoolExecutor(2) as pool:
            in_flight = [
                pool.submit(post, server, model.csv(5), **CSV, **{ATTRIBUTES: "sleep=3"})
                for _ in range(2)
            ]
            time.sleep(1.0)
            stopped_at = time.monotonic()
            server.signal(signal.SIGTERM)
            answers = [future.result() for future in in_flight]
        assert [a.status_code for a in answers] == [200, 200]
        assert all(len(a.text.splitlines()) == 5 for a in answers)
        assert server.process is not None
        assert server.process.wait(timeout=30) == 0
        assert time.monotonic() - stopped_at < 30
        assert ping("127.0.0.1", server.port) is None
    finally:
        server.stop(grace=5)


def test_ping_is_503_until_the_model_is_loaded(model: TrainedModel) -> None:
    server = start(model, {"BYOA_PROBE_LOAD_DELAY": "4"})
    try:
        started = time.monotonic()
        first = None
        while first is None and time.monotonic() - started < 60:
            first = ping("127.0.0.1", server.port, timeout=0.5)
            time.sleep(0.02)
        assert first == 503, "the port should answer 503 while the model loads"
        loading = requests.post(f"{server.url}/invocations", data=b"1\n", headers=CSV, timeout=5)
        assert loading.status_code == 503
        assert loading.json()["error"] == "the model is loading"
        server.wait_ready(timeout=120)
        assert "loading the model" in server.log_tail(200)
    finally:
        server.stop()


BAD_SETTINGS = [
    ("SAGEMAKER_MODEL_SERVER_WORKERS", "many", "WORKERS='many' is not an integer"),
    ("SAGEMAKER_MAX_PAYLOAD_IN_MB", "200", "IN_MB=200 is out of range; allowed: 1..100"),
    ("SAGEMAKER_BATCH_STRATEGY", "ALL", "allowed: MULTI_RECORD, SINGLE_RECORD"),
    ("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", "text/html", "allowed: text/csv, application/json"),
    ("BYOA_MODEL_DIR", "/nonexistent/model", "the model folder /nonexistent/model does not"),
]


@pytest.mark.parametrize(("variable", "value", "message"), BAD_SETTINGS)
def test_bad_settings_stop_the_server_with_a_clear_message(
    model: TrainedModel, variable: str, value: str, message: str
) -> None:
    server = start(model, {variable: value})
    try:
        assert server.process is not None
        assert server.process.wait(timeout=60) == 2
        time.sleep(0.2)
        assert message in server.log_tail()
    finally:
        server.stop()


def test_batch_payload_limit_and_execution_parameters(model: TrainedModel) -> None:
    extra = {"SAGEMAKER_BATCH": "true", "SAGEMAKER_MAX_PAYLOAD_IN_MB": "1",
             "SAGEMAKER_BATCH_STRATEGY": "SINGLE_RECORD"}  # fmt: skip
    for server in running_server(model.model_dir, extra):
        parameters = requests.get(f"{server.url}/execution-parameters", timeout=5).json()
        assert parameters == {"MaxConcurrentTransforms": 4, "BatchStrategy": "SINGLE_RECORD",
                              "MaxPayloadInMB": 1}  # fmt: skip
        fits = model.csv(8000)[: 1024 * 1024].rsplit(b"\n", 1)[0] + b"\n"
        assert post(server, fits, **CSV).status_code == 200
        too_big = post(server, model.csv(12_000), **CSV)
        assert too_big.status_code == 413
        assert "1 MB" in too_big.json()["error"]
        chunked = requests.post(f"{server.url}/invocations", headers=CSV, timeout=30,
                                data=iter([model.csv(6000)] * 2))  # fmt: skip
        assert chunked.status_code == 413
        assert ping("127.0.0.1", server.port) == 200


def test_binds_all_interfaces_on_the_given_port(probe: ServerProcess) -> None:
    assert f"Listening at: http://0.0.0.0:{probe.port}" in "".join(probe.lines)


def test_an_inference_past_the_timeout_restarts_its_worker(model: TrainedModel) -> None:
    server = start(model, {"SAGEMAKER_MODEL_SERVER_TIMEOUT": "2",
                           "SAGEMAKER_MODEL_SERVER_WORKERS": "1"})  # fmt: skip
    try:
        server.wait_ready(timeout=120)
        headers = {**CSV, ATTRIBUTES: "sleep=6", "X-Amzn-SageMaker-Inference-Id": "slow-1"}
        with pytest.raises(requests.ConnectionError):
            requests.post(f"{server.url}/invocations", data=model.csv(1), headers=headers,
                          timeout=30)  # fmt: skip
        assert "request slow-1: inference ran past SAGEMAKER_MODEL_SERVER_TIMEOUT=2 s" in (
            server.log_tail(100)
        )
        server.wait_ready(timeout=60)
        assert post(server, model.csv(3), **CSV).status_code == 200
    finally:
        server.stop()


def test_a_burst_of_kept_alive_connections_is_spread_over_the_workers(
    probe: ServerProcess, model: TrainedModel
) -> None:
    body = model.csv(1)
    assert probe.process is not None
    deadline = time.monotonic() + 30
    while len(children(probe.process.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)  # both workers past their start-up, polling their sockets
    for _ in range(3):
        connections = [http.client.HTTPConnection("127.0.0.1", probe.port) for _ in range(4)]
        for connection in connections:
            connection.connect()
        pids = []
        for connection in connections:
            connection.request("POST", "/invocations", body, {**CSV, ATTRIBUTES: "reply=pid"})
            response = connection.getresponse()
            response.read()
            pids.append(response.getheader(ATTRIBUTES))
        for connection in connections:
            connection.close()
        assert len(set(pids)) == 2, f"4 connections served by workers {pids}"
        time.sleep(0.5)


def children(pid: int) -> list[int]:
    """The worker processes a gunicorn master forked (from its main thread)."""
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def test_pipelined_requests_on_one_connection_are_answered_in_order(
    probe: ServerProcess, model: TrainedModel
) -> None:
    """Two requests in one write: the second is read ahead with the first and still served."""
    bodies = [model.csv(1), model.csv(2)]
    requests_bytes = b"".join(raw_invocation(body, CSV) for body in bodies)
    with socket.create_connection(("127.0.0.1", probe.port), timeout=10) as connection:
        connection.sendall(requests_bytes)
        reader = connection.makefile("rb")
        for body in bodies:
            status = reader.readline()
            headers = dict(
                line.decode().rstrip("\r\n").split(": ", 1)
                for line in iter(reader.readline, b"\r\n")
            )
            answer = reader.read(int(headers["Content-Length"]))
            assert status.startswith(b"HTTP/1.1 200"), status
            assert len(answer.splitlines()) == len(body.splitlines())


def _busy_client(port: int, body: bytes, seconds: float) -> int:
    """Requests back to back on one kept-alive connection (a process of its own: no GIL shared
    with the other clients, so the next request follows the last answer at once)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    served, stop = 0, time.monotonic() + seconds
    while time.monotonic() < stop:
        connection.request("POST", "/invocations", body, CSV)
        response = connection.getresponse()
        response.read()
        assert response.status == 200
        served += 1
    connection.close()
    return served


def test_more_busy_kept_alive_clients_than_threads_are_all_served(model: TrainedModel) -> None:
    """A thread keeps serving its connection only while no other connection waits for one."""
    server = start(model, {"SAGEMAKER_MODEL_SERVER_WORKERS": "1", "BYOA_SERVER_THREADS": "2"})
    try:
        server.wait_ready(timeout=120)
        with ProcessPoolExecutor(4) as pool:
            clients = [pool.submit(_busy_client, server.port, model.csv(1), 4.0) for _ in range(4)]
            served = [client.result() for client in clients]
        assert min(served) >= max(served) / 4, f"requests served per client: {served}"
    finally:
        server.stop()
