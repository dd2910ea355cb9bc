"""A client of the SageMaker serving contract: one invocation, or a local batch transform.

The batch transform behaves as SageMaker's does with ``SplitType=Line``,
``BatchStrategy=MultiRecord`` and ``AssembleWith=Line``: it asks ``/execution-parameters`` for
``MaxPayloadInMB`` and ``MaxConcurrentTransforms`` (SageMaker's defaults, 6 MB and 1, when the
server does not say), packs whole lines into mini-batches under the payload limit, sends up to
``MaxConcurrentTransforms`` at a time, and writes ``<input-name>.out`` with the answers' lines in
input order. Files are processed one by one, never merged, and streamed: a file is read as its
mini-batches go out and its answers are written as they come back in order, so the client holds
a few mini-batches rather than the file and every answer.
"""

from __future__ import annotations

import http.client
import json
import re
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from itertools import chain
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

DEFAULT_PAYLOAD_MB = 6
DEFAULT_CONCURRENCY = 1
READ_CHUNK_BYTES = 1024 * 1024


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


def mini_batches(
    lines: Iterable[bytes], limit: int, single_record: bool = False, first: int = 1
) -> Iterator[bytes]:
    """Whole lines packed into bodies of at most ``limit`` bytes (one line each if asked);
    ``first`` is the number of the first line, for the error naming a line over the limit."""
    batch: list[bytes] = []
    size = 0
    for number, line in enumerate(lines, start=first):
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


def records(source: Path, chunk_bytes: int = READ_CHUNK_BYTES) -> Iterator[bytes]:
    """The file's non-blank lines, read a chunk at a time (never the whole file at once)."""
    with source.open("rb") as stream:
        yield from _lines(iter(partial(stream.read, chunk_bytes), b""))


def _lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Non-blank lines, ended where ``bytes.splitlines`` ends them (``\\n``, ``\\r\\n``, ``\\r``),
    across chunks: a ``\\r\\n`` cut between two chunks yields its line, then a blank one."""
    rest = b""
    for chunk in chunks:
        if not chunk:
            continue
        lines = (rest + chunk).splitlines(keepends=True)
        rest = b"" if lines[-1].endswith((b"\n", b"\r")) else lines.pop()
        yield from (line for line in lines if line.strip())
    if rest.strip():
        yield rest


def file_batches(
    source: Path, limit: int, single_record: bool = False, chunk_bytes: int = READ_CHUNK_BYTES
) -> Iterator[bytes]:
    """The mini-batches of ``mini_batches(records(source), ...)``, cut straight from the file's
    bytes at the last line end under the limit while the next ``limit`` bytes are plain (see
    ``_plain``; a blank line or a lone ``\\r`` there would change what fits): the same bodies,
    without a loop over the lines. From the first window that is not plain on (or a last line
    without its newline), the rest goes line by line."""
    if single_record:
        yield from mini_batches(records(source), limit, single_record=True)
        return
    with source.open("rb") as stream:
        buffer, number, plain = b"", 0, True
        while plain and (chunk := stream.read(max(chunk_bytes, limit + 1 - len(buffer)))):
            buffer += chunk
            while plain and len(buffer) > limit:
                body = buffer[: buffer.rfind(b"\n", 0, limit) + 1]
                plain = bool(body) and _plain(buffer[:limit])
                if plain:
                    yield body
                    number += body.count(b"\n")
                    buffer = buffer[len(body) :]
        if buffer.endswith(b"\n") and len(buffer) <= limit and _plain(buffer):
            yield buffer
            return
        rest = _lines(chain([buffer], iter(partial(stream.read, chunk_bytes), b"")))
        yield from mini_batches(rest, limit, first=number + 1)


BLANK_OR_INDENTED = re.compile(rb"\n[\n \t\r\x0b\x0c]")  # a literal first: a fast scan


def _plain(body: bytes) -> bool:
    """No line blank or starting with whitespace, every ``\\r`` in a ``\\r\\n``: lines that
    ``records`` keeps as they are (a few scans at C speed instead of a loop)."""
    return (
        body[:1] not in b" \t\r\n\x0b\x0c"
        and (b"\r" not in body or body.count(b"\r") == body.count(b"\r\n"))
        and BLANK_OR_INDENTED.search(body) is None
    )


ASSEMBLE_WITH = ("Line", "None")


def transform_file(
    url: str, source: Path, target: Path, content_type: str, accept: str | None,
    parameters: ExecutionParameters, assemble_with: str = "Line",
) -> int:  # fmt: skip
    """Transform one file into ``target``; the number of records sent.

    As SageMaker's ``AssembleWith``: ``Line`` needs one answer line per input line and ends
    each answer with a newline; ``None`` writes the answers as they came, one after another
    (an answer may then be any document, e.g. one JSON object per mini-batch).

    The input is read as it is sent and each answer written as soon as those before it are:
    ``MaxConcurrentTransforms`` requests in flight, as many more cut and queued behind them
    (so a worker that finishes early finds the next batch ready), none of the rest held.
    """
    single = parameters.batch_strategy == "SINGLE_RECORD"
    concurrency = max(1, parameters.max_concurrent_transforms)
    pending: deque[tuple[bytes, Future[Reply]]] = deque()
    count = 0
    pool = ThreadPoolExecutor(concurrency)
    try:
        with target.open("wb") as out:
            for body in file_batches(source, parameters.max_payload_bytes, single):
                if len(pending) == 2 * concurrency:
                    _write_answer(out, *pending.popleft(), source, assemble_with)
                pending.append((body, pool.submit(invoke, url, body, content_type, accept)))
                count += body.count(b"\n")
            while pending:
                _write_answer(out, *pending.popleft(), source, assemble_with)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return count


def _write_answer(
    out: BinaryIO, body: bytes, answer: Future[Reply], source: Path, assemble_with: str
) -> None:
    reply = answer.result()
    if reply.status != 200:
        raise InvocationError(reply.status, reply.body.decode(errors="replace"))
    if assemble_with == "None":
        out.write(reply.body)
        return
    _check_lines(body, reply.body, source)
    out.write(reply.body if reply.body.endswith(b"\n") else reply.body + b"\n")


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
