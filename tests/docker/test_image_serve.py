"""``docker run IMAGE serve``: same predictions as in-process, ``/ping`` fast under load.

The serve containers run with ``--network none``; the host reaches them through
``docker exec`` (:mod:`container.http_relay`), which times each request inside the container.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path

import pytest

from container.docker_http import HttpClient, RelayClient
from container.docker_runner import (
    HOSTING_GRACE_SECONDS,
    STARTUP_TIMEOUT_SECONDS,
    ContainerOptions,
    ServeContainer,
)
from tests.docker.conftest import SampleRequest, TrainedJob, extract_model, in_process_answer

pytestmark = pytest.mark.docker

PING_LIMIT_SECONDS = 2.0
BATCH_BYTES = 4 * 1024 * 1024  # about what batch transform sends (MaxPayloadInMB 6)


@pytest.fixture(scope="module")
def model_dir(trained: TrainedJob, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return extract_model(trained.layout.model_archive, tmp_path_factory.mktemp("serve") / "model")


def invoke(client: HttpClient, request: SampleRequest, body: bytes | None = None) -> bytes:
    headers = {"Content-Type": request.content_type, "Accept": request.accept}
    response = client.request("POST", "/invocations", request.body if body is None else body,
                              headers)  # fmt: skip
    assert response.status == 200, response.body[:500]
    return response.body


def test_serve_container_predicts_like_the_in_process_path(
    image: str, model_dir: Path, sample_request: SampleRequest
) -> None:
    container = ServeContainer(model_dir, ContainerOptions(image))
    with container:
        started = time.monotonic()
        client = container.wait_until_healthy(STARTUP_TIMEOUT_SECONDS)
        assert time.monotonic() - started < STARTUP_TIMEOUT_SECONDS
        served = invoke(client, sample_request)
        client.close()
        code = container.stop()
    assert served == in_process_answer(model_dir, sample_request).body
    assert code == 0


def test_serve_honours_bind_to_port_with_python_as_pid_1(image: str, model_dir: Path) -> None:
    options = ContainerOptions(image, environment={"SAGEMAKER_BIND_TO_PORT": "9090"})
    with ServeContainer(model_dir, options) as container:
        client = container.wait_until_healthy()
        client.close()
        pid1 = subprocess.run(
            ["docker", "exec", container.name, "cat", "/proc/1/cmdline"],
            capture_output=True, check=True,
        ).stdout.split(b"\0")  # fmt: skip
        started = time.monotonic()
        code = container.stop()
        stop_seconds = time.monotonic() - started
    assert pid1[0].rsplit(b"/", 1)[-1].startswith(b"python")
    assert pid1[1:3] == [b"/opt/venv/bin/byoa-entrypoint", b"serve"]
    assert code == 0
    assert stop_seconds < HOSTING_GRACE_SECONDS, f"SIGTERM to exit took {stop_seconds:.1f} s"


def test_ping_stays_under_two_seconds_while_long_batches_run(
    image: str, model_dir: Path, sample_request: SampleRequest
) -> None:
    """As many 4 MB batches in flight as ``/execution-parameters`` invites batch transform to
    send, back to back; every ``/ping`` meanwhile answers 200 within SageMaker's 2 s (timed by
    the relay next to the server, so the docker exec pipe is not counted)."""
    if not sample_request.line_aligned:
        pytest.skip("the algorithm declares no line-per-record request and response type")
    lines = sample_request.body.rstrip(b"\n") + b"\n"
    batch = lines * max(1, BATCH_BYTES // len(lines))
    rows = batch.count(b"\n")
    container = ServeContainer(model_dir, ContainerOptions(image))
    with container:
        client = container.wait_until_healthy()
        parameters = json.loads(client.request("GET", "/execution-parameters").body)
        client.close()
        concurrency = int(parameters.get("MaxConcurrentTransforms", 1))
        in_flight = threading.Semaphore(0)
        done = threading.Event()
        batch_counts: list[int] = []

        def send_batches() -> None:
            relay = RelayClient(container.name)
            try:
                in_flight.release()
                while not done.is_set():
                    batch_counts.append(len(invoke(relay, sample_request, batch).splitlines()))
            finally:
                relay.close()

        senders = [threading.Thread(target=send_batches) for _ in range(concurrency)]
        for sender in senders:
            sender.start()
        for _ in senders:
            assert in_flight.acquire(timeout=30)
        pinger = RelayClient(container.name)
        pings = []
        deadline = time.monotonic() + 8.0
        while time.monotonic() < deadline:
            started = time.monotonic()
            response = pinger.request("GET", "/ping", timeout=PING_LIMIT_SECONDS)
            pings.append((response.status, response.seconds, time.monotonic() - started))
            time.sleep(0.05)
        pinger.close()
        batches_during_pings = len(batch_counts)
        done.set()
        for sender in senders:
            sender.join(timeout=120)
    assert set(batch_counts) == {rows}
    assert batches_during_pings >= concurrency, "the batches did not keep the server busy"
    assert all(status == 200 for status, _, _ in pings)
    slowest = max(seconds for _, seconds, _ in pings)
    slowest_wall = max(wall for _, _, wall in pings)
    print(f"{len(pings)} pings with {concurrency} batches of {rows} rows in flight: "
          f"slowest {slowest * 1000:.0f} ms at the server, {slowest_wall * 1000:.0f} ms through "
          f"docker exec; {len(batch_counts)} batches answered")  # fmt: skip
    assert slowest < PING_LIMIT_SECONDS, f"slowest /ping took {slowest:.2f} s under load"
