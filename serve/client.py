"""A client of the SageMaker serving contract: one invocation, or a local batch transform.

The batch transform behaves as SageMaker's does with ``SplitType=Line``,
``BatchStrategy=MultiRecord`` and ``AssembleWith=Line``: it asks ``/execution-parameters`` for
``MaxPayloadInMB`` and ``MaxConcurrentTransforms`` (SageMaker's defaults, 6 MB and 1, when the
server does not say), packs whole lines into mini-batches under the payload limit, sends up to
``MaxConcurrentTransforms`` at a time, and writes ``<input-name>.out`` with the answers' lines in
input order. Files are processed one by one, never merged.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_PAYLOAD_MB = 6
DEFAULT_CONCURRENCY = 1


class InvocationError(RuntimeError):
    """The server answered with an error status; the message holds its body."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str]


def request(
    url: str, method: str, path: str, body: bytes | None = None,
    headers: dict[str, str] | None = None, timeout: float = 600.0,
) -> Reply:  # fmt: skip
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(
        parts.hostname or "127.0.0.1", parts.port or 80, timeout=timeout
    )
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        answer_headers = {k.lower(): v for k, v in response.getheaders()}
        return Reply(response.status, response.getheader("Content-Type", ""), data, answer_headers)
    finally:
        connection.close()


def invoke(
    url: str,
    body: bytes,
    content_type: str,
    accept: str | None = None,
    attributes: str | None = None,
) -> Reply:
    headers = {"Content-Type": content_type}
    if accept:
        headers["Accept"] = accept
    if attributes:
        headers["X-Amzn-SageMaker-Custom-Attributes"] = attributes
    return request(url, "POST", "/invocations", body, headers)


@dataclass(frozen=True)
class ExecutionParameters:
    max_payload_mb: int = DEFAULT_PAYLOAD_MB
    max_concurrent_transforms: int = DEFAULT_CONCURRENCY
    batch_strategy: str = "MULTI_RECORD"

    @property
    def max_payload_bytes(self) -> int:
        return self.max_payload_mb * 1024 * 1024


def execution_parameters(url: str) -> ExecutionParameters:
    reply = request(url, "GET", "/execution-parameters")
    if reply.status != 200:
        return ExecutionParameters()
    data = json.loads(reply.body)
    return ExecutionParameters(
        int(data.get("MaxPayloadInMB", DEFAULT_PAYLOAD_MB)),
        int(data.get("MaxConcurrentTransforms", DEFAULT_CONCURRENCY)),
        str(data.get("BatchStrategy", "MULTI_RECORD")),
    )


def mini_batches(lines: list[bytes], limit: int, single_record: bool = False) -> Iterator[bytes]:
    """Whole lines packed into bodies of at most ``limit`` bytes (one line each if asked)."""
    batch: list[bytes] = []
    size = 0
    for number, line in enumerate(lines, start=1):
        record = line if line.endswith(b"\n") else line + b"\n"
        if len(record) > limit:
            raise ValueError(f"line {number} alone ({len(record)} bytes) exceeds MaxPayloadInMB")
        if batch and (single_record or size + len(record) > limit):
            yield b"".join(batch)
            batch, size = [], 0
        batch.append(record)
        size += len(record)
    if batch:
        yield b"".join(batch)


ASSEMBLE_WITH = ("Line", "None")


def transform_file(
    url: str, source: Path, target: Path, content_type: str, accept: str | None,
    parameters: ExecutionParameters, assemble_with: str = "Line",
) -> int:  # fmt: skip
    """Transform one file into ``target``; the number of records sent.

    As SageMaker's ``AssembleWith``: ``Line`` needs one answer line per input line and ends
    each answer with a newline; ``None`` writes the answers as they came, one after another
    (an answer may then be any document, e.g. one JSON object per mini-batch).
    """
    lines = [line for line in source.read_bytes().splitlines(keepends=True) if line.strip()]
    single = parameters.batch_strategy == "SINGLE_RECORD"
    batches = list(mini_batches(lines, parameters.max_payload_bytes, single))
    with ThreadPoolExecutor(max(1, parameters.max_concurrent_transforms)) as pool:
        replies = list(pool.map(lambda body: invoke(url, body, content_type, accept), batches))
    with target.open("wb") as out:
        for body, reply in zip(batches, replies, strict=True):
            if reply.status != 200:
                raise InvocationError(reply.status, reply.body.decode(errors="replace"))
            if assemble_with == "None":
                out.write(reply.body)
                continue
            _check_lines(body, reply.body, source)
            out.write(reply.body if reply.body.endswith(b"\n") else reply.body + b"\n")
    return len(lines)


def _check_lines(body: bytes, answer: bytes, source: Path) -> None:
    sent, received = body.count(b"\n"), answer.rstrip(b"\n").count(b"\n") + 1
    if sent != received:
        raise InvocationError(
            200,
            f"{source.name}: {sent} lines sent but {received} came back; AssembleWith=Line "
            "needs one output line per input line (--assemble-with None keeps answers whole)",
        )


def input_files(source: Path) -> list[Path]:
    if source.is_file():
        return [source]
    return sorted(p for p in source.rglob("*") if p.is_file() and not p.name.startswith("."))
