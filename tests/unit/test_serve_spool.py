"""Asynchronous inference's pieces: its settings, the spooled body, the cut into record chunks."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from serve.codecs import csv_codec
from serve.errors import BadRequest, PayloadTooLarge
from serve.settings import ServerSettings, SettingsError
from serve.spool import StreamedAnswer, record_chunks, spooled


def settings(**env: str) -> ServerSettings:
    return ServerSettings.from_environment(env)


def test_async_mode_raises_the_payload_limit_and_the_timeout() -> None:
    result = settings(BYOA_ASYNC_INFERENCE="true")
    assert result.asynchronous
    assert (result.max_payload_mb, result.timeout) == (1024, 3600)
    assert (
        settings(BYOA_ASYNC_INFERENCE="true", SAGEMAKER_MAX_PAYLOAD_IN_MB="500").max_payload_mb
        == 500
    )
    assert settings().max_payload_mb == 6


def test_1_gb_is_refused_outside_async_mode() -> None:
    with pytest.raises(SettingsError, match=r"allowed: 1\.\.100$"):
        settings(SAGEMAKER_MAX_PAYLOAD_IN_MB="1024")
    with pytest.raises(SettingsError, match=r"allowed: 1\.\.1024$"):
        settings(BYOA_ASYNC_INFERENCE="true", SAGEMAKER_MAX_PAYLOAD_IN_MB="1025")


def test_batch_transform_ignores_async_mode(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        result = settings(BYOA_ASYNC_INFERENCE="true", SAGEMAKER_BATCH="true")
    assert not result.asynchronous and result.max_payload_mb == 6
    assert "BYOA_ASYNC_INFERENCE is ignored in a batch transform job" in caplog.text


def test_the_spool_folder_must_exist(tmp_path: Path) -> None:
    assert settings(BYOA_ASYNC_SPOOL_DIR=str(tmp_path)).spool_dir == tmp_path
    with pytest.raises(SettingsError, match="BYOA_ASYNC_SPOOL_DIR='/no/such' is not a folder"):
        settings(BYOA_ASYNC_SPOOL_DIR="/no/such")


def chunks(body: bytes, size: int, quoted: bool = True) -> list[tuple[int, bytes]]:
    return list(record_chunks(io.BytesIO(body), quoted, size))


def test_chunks_hold_whole_records_and_their_first_line() -> None:
    body = b"".join(b"%d,a,b\n" % i for i in range(1, 101))
    found = chunks(body, 50)
    assert b"".join(chunk for _, chunk in found) == body
    assert all(chunk.endswith(b"\n") for _, chunk in found)
    for line, chunk in found:
        assert chunk.startswith(b"%d," % line)


def test_a_line_end_inside_quotes_is_not_a_record_end() -> None:
    body = b'1,"two\nlines"\n' * 20
    found = chunks(body, 16)
    assert b"".join(chunk for _, chunk in found) == body
    assert all(chunk.count(b'"') % 2 == 0 for _, chunk in found)
    assert [line for line, _ in found][:3] == [1, 3, 5]


@pytest.mark.parametrize("size", range(4, 40))
def test_a_blank_line_is_never_at_a_chunk_edge(size: int) -> None:
    """Inside a chunk the codec refuses it; at an edge it would be stripped, so it is refused."""
    body = b"1,2\n" * 10 + b"\n" + b"3,4\n" * 10
    try:
        found = chunks(body, size)
    except BadRequest as error:
        assert error.message == "line 11 is empty: send one record per line"
        return
    holding = [chunk for _, chunk in found if b"\n\n" in chunk]
    assert len(holding) == 1 and b"\n\n" in holding[0].strip(b"\n")


def test_trailing_blank_lines_and_crlf_are_kept_as_the_codecs_take_them() -> None:
    body = b"1,2\r\n" * 10 + b"\r\n\r\n"
    found = chunks(body, 8)
    assert b"".join(chunk for _, chunk in found) == body
    assert sum(len(csv_codec.decode(chunk, {})) for _, chunk in found) == 10


def test_the_spooled_body_is_the_body_and_the_limit_holds(tmp_path: Path) -> None:
    body = b"x" * 3000
    with spooled(io.BytesIO(body), len(body), 4000, tmp_path) as file:
        assert file.read() == body
        assert list(tmp_path.iterdir()) == []  # unnamed
    with pytest.raises(PayloadTooLarge), spooled(io.BytesIO(body), None, 2000, tmp_path):
        pass
    with (
        pytest.raises(BadRequest, match="ended after 3000 of the 5000 bytes"),
        spooled(io.BytesIO(body), 5000, 9000, tmp_path),
    ):
        pass


def test_the_answer_file_is_closed_when_the_server_closes_the_body(tmp_path: Path) -> None:
    with spooled(io.BytesIO(b"x" * 3000), 3000, 4000, tmp_path) as file:
        body = StreamedAnswer(file, 3000, "text/csv", 1).blocks()
        body.close()  # before the first block: the client went away
        assert file.closed
