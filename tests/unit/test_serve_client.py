"""Batch transform's line splitting: whole lines, under MaxPayloadInMB, order kept."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from unittest.mock import PropertyMock, patch

import pytest

from serve.client import (
    ExecutionParameters,
    InvocationError,
    file_batches,
    mini_batches,
    records,
    transform_file,
)


def test_lines_are_packed_under_the_limit_in_order() -> None:
    lines = [f"{i},{'x' * 5}\n".encode() for i in range(100)]
    batches = list(mini_batches(lines, 50))
    assert all(len(b) <= 50 for b in batches)
    assert b"".join(batches) == b"".join(lines)
    assert all(b.endswith(b"\n") for b in batches)


def test_single_record_sends_one_line_each_and_adds_missing_newlines() -> None:
    assert list(mini_batches([b"1,2\n", b"3,4"], 1000, single_record=True)) == [b"1,2\n", b"3,4\n"]


def test_a_line_over_the_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="line 2 alone"):
        list(mini_batches([b"1\n", b"x" * 100 + b"\n"], 50))


@pytest.mark.parametrize("chunk_bytes", [1, 2, 3, 7, 1024])
def test_records_read_in_chunks_match_the_whole_file_split(
    tmp_path: Path, chunk_bytes: int
) -> None:
    text = b"1,a\r\n2,b\n\n  \n3,c\r4,d\r\n\r\n5,e"
    source = tmp_path / "rows.csv"
    source.write_bytes(text)
    whole = [line for line in text.splitlines(keepends=True) if line.strip()]
    streamed = list(records(source, chunk_bytes))
    assert list(mini_batches(streamed, 1000, single_record=True)) == list(
        mini_batches(whole, 1000, single_record=True)
    )


def _batches_of_the_whole_file(text: bytes, limit: int) -> list[bytes] | str:
    lines = [line for line in text.splitlines(keepends=True) if line.strip()]
    try:
        return list(mini_batches(lines, limit))
    except ValueError as error:
        return str(error)


def _file_batches(source: Path, limit: int, chunk_bytes: int) -> list[bytes] | str:
    try:
        return list(file_batches(source, limit, chunk_bytes=chunk_bytes))
    except ValueError as error:
        return str(error)


def test_file_batches_cut_the_bytes_as_the_lines_would_be_packed(tmp_path: Path) -> None:
    generator = random.Random(14)
    source = tmp_path / "rows.csv"
    for _ in range(3000):
        alphabet = generator.choice([b"ab,\n", b"ab,\n\r", b"ab, \t\n\r", b"a\n"])
        text = bytes(generator.choice(alphabet) for _ in range(generator.randrange(0, 80)))
        limit, chunk_bytes = generator.randrange(1, 40), generator.randrange(1, 100)
        source.write_bytes(text)
        expected = _batches_of_the_whole_file(text, limit)
        assert _file_batches(source, limit, chunk_bytes) == expected, (text, limit, chunk_bytes)


def test_file_batches_of_plain_rows_are_whole_lines_under_the_limit(tmp_path: Path) -> None:
    source = tmp_path / "rows.csv"
    source.write_bytes(b"".join(f"{i},{'x' * (i % 7)}\r\n".encode() for i in range(5000)))
    batches = list(file_batches(source, 1000))
    assert all(len(b) <= 1000 and b.endswith(b"\r\n") for b in batches)
    assert batches == list(mini_batches(records(source), 1000))


class _Echo(BaseHTTPRequestHandler):
    """Answers each line with its first field; the batch holding row 0 answers last; a batch
    holding ``fail`` answers 500."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if b"fail" in body:
            status, answer = 500, b"broken batch"
        else:
            status, answer = (
                200,
                b"".join(line.split(b",")[0] + b"\n" for line in body.splitlines()),
            )
            if body.startswith(b"0,"):
                time.sleep(0.3)
        self.send_response(status)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def echo_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_answers_are_written_in_input_order_whatever_order_they_come_in(
    echo_url: str, tmp_path: Path
) -> None:
    source, target = tmp_path / "rows.csv", tmp_path / "rows.csv.out"
    source.write_bytes(b"".join(f"{i},x\n".encode() for i in range(300)))
    parameters = ExecutionParameters(max_payload_mb=1, max_concurrent_transforms=3)
    with patch.object(
        ExecutionParameters, "max_payload_bytes", new_callable=PropertyMock, return_value=100
    ):
        count = transform_file(echo_url, source, target, "text/csv", None, parameters)
    assert count == 300
    assert target.read_bytes() == b"".join(f"{i}\n".encode() for i in range(300))


def test_a_failed_batch_stops_the_file_with_the_servers_message(
    echo_url: str, tmp_path: Path
) -> None:
    source, target = tmp_path / "rows.csv", tmp_path / "rows.csv.out"
    rows = [f"{i},x\n".encode() for i in range(300)]
    rows[150] = b"fail,x\n"
    source.write_bytes(b"".join(rows))
    parameters = ExecutionParameters(max_payload_mb=1, max_concurrent_transforms=2)
    with (
        patch.object(
            ExecutionParameters, "max_payload_bytes", new_callable=PropertyMock, return_value=100
        ),
        pytest.raises(InvocationError, match="HTTP 500: broken batch"),
    ):
        transform_file(echo_url, source, target, "text/csv", None, parameters)
