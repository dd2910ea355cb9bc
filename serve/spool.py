"""Asynchronous inference's large bodies: kept on disk and answered a chunk of records at a time.

With ``BYOA_ASYNC_INFERENCE=true`` a body of more than ``CHUNK_BYTES`` (or of unknown length) is
copied from the socket, ``READ_BYTES`` at a time, into an unnamed temporary file in
``BYOA_ASYNC_SPOOL_DIR`` (tempfile's folder by default): on Linux it has no name at all
(``O_TMPFILE``), so it is gone once closed, even when the watchdog ends the worker mid-request.
Smaller bodies are read and answered as real-time ones are.

Bodies of one record per line (``text/csv``, JSON Lines) are then cut at record ends into chunks
of about ``CHUNK_BYTES``: each chunk is decoded by the default codec, passed to ``predict_fn`` as
its own :class:`~serve.records.Records` and encoded, and the encoded chunks are concatenated into
a second unnamed file that is streamed back. CSV and JSON Lines answers hold one line per record,
so the concatenation is the answer of one call on the whole body, line for line; a JSON answer
is one ``{"predictions": [...]}`` around every chunk's entries, as one call writes it. So memory
follows the chunk, not the body. This asks of ``predict_fn`` what batch transform's mini-batches
already ask: a record's prediction must not depend on the other records sent with it.

Not cut: ``application/json`` and ``application/x-npy`` bodies (one document each) and an
algorithm with its own ``input_fn`` or ``output_fn`` (only it knows whether its records end at
line ends). Those bodies are read back from the file into memory once and answered whole.

In a CSV body a line end inside a quoted field is not a record end (an odd number of quotes
before it); a blank line between records is refused as the whole body would be, naming its line;
a codec's error in a later chunk names the body line its rows are counted from. The watchdog's
clock runs once over every chunk: ``SAGEMAKER_MODEL_SERVER_TIMEOUT`` bounds the whole invocation.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from serve import codecs
from serve.codecs.json_codec import ENVELOPE
from serve.context import RequestContext
from serve.errors import BadRequest, PayloadTooLarge
from serve.media import MediaType
from serve.records import Records
from serve.service import Answer, InferenceService

READ_BYTES = 1024 * 1024
CHUNK_BYTES = 1024 * 1024  # bank rows: about 9,000 records, 40-50 MB of decoding at its peak
LINE_DECODERS = (codecs.DECODERS[codecs.CSV], codecs.DECODERS[codecs.JSON_LINES])
LINE_RECORDS = frozenset(e for e, decode in codecs.DECODERS.items() if decode in LINE_DECODERS)
LINE_ENDS = b"\r\n"


@dataclass(frozen=True)
class StreamedAnswer:
    """An answer written to ``file`` (at its start, ``length`` bytes), for ``records`` records."""

    file: IO[bytes]
    length: int
    content_type: str
    records: int

    def blocks(self) -> FileBlocks:
        return FileBlocks(self.file)


class FileBlocks:
    """A WSGI response body read from a file; the server's ``close()`` closes the file, also
    when the client left before the first block (a generator's ``finally`` would not run then)."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file

    def __iter__(self) -> Iterator[bytes]:
        while block := self.file.read(READ_BYTES):
            yield block

    def close(self) -> None:
        self.file.close()


def takes(length: int | None) -> bool:
    """Whether a body of ``length`` bytes (None: unknown) is spooled rather than read whole."""
    return length is None or length > CHUNK_BYTES


@contextmanager
def spooled(
    stream: Any, length: int | None, limit: int, folder: Path | None
) -> Iterator[IO[bytes]]:
    """The body, copied from ``stream`` into an unnamed file (read from its start); closed after.

    PayloadTooLarge past ``limit`` bytes; BadRequest when the client sent less than it declared.
    """
    with tempfile.TemporaryFile(dir=folder) as file:
        remaining = limit + 1 if length is None else length
        while remaining > 0:
            block = stream.read(min(READ_BYTES, remaining))
            if not block:
                break
            file.write(block)
            remaining -= len(block)
        size = file.tell()
        if size > limit:
            raise PayloadTooLarge(
                f"the body exceeds the payload limit of {limit // (1024 * 1024)} MB "
                "(SAGEMAKER_MAX_PAYLOAD_IN_MB); send fewer records"
            )
        if length is not None and size < length:
            raise BadRequest(f"the body ended after {size} of the {length} bytes declared")
        file.seek(0)
        yield file


def answer(
    service: InferenceService, body: IO[bytes], context: RequestContext, folder: Path | None
) -> Answer | StreamedAnswer:
    """The answer to a spooled body: chunk by chunk where its records allow, else whole."""
    request_type, response_type = service.media_types(context)
    if not (service.default_codecs and request_type.essence in LINE_RECORDS):
        return service.invoke(body.read(), context)
    output = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115 (FileBlocks closes it)
    try:
        with service.slot:
            service.clock.begin(context.request_id)
            try:
                records = _answer_chunks(service, body, request_type, response_type, context,
                                         output)  # fmt: skip
            finally:
                service.clock.end()
        length = output.tell()
        output.seek(0)
    except BaseException:
        output.close()
        raise
    return StreamedAnswer(output, length, response_type.essence, records)


def _answer_chunks(
    service: InferenceService,
    body: IO[bytes],
    request_type: MediaType,
    response_type: MediaType,
    context: RequestContext,
    output: IO[bytes],
) -> int:
    """Writes the answer to ``output``; returns how many records it answered."""
    enveloped = response_type.essence == codecs.JSON
    if enveloped:
        output.write(ENVELOPE[0])
    width: int | None = None
    count = 0
    for line, chunk in record_chunks(body, quoted=request_type.essence == codecs.CSV):
        try:
            data = service.decode(chunk, request_type, context)
        except BadRequest as error:
            if line == 1:
                raise
            raise BadRequest(
                f"{error.message} (rows counted from line {line} of the body)"
            ) from None
        width = _check_width(data, width, line)
        encoded = service.encode(service.predict(data, context), data, response_type, context).body
        if enveloped:
            encoded = encoded[len(ENVELOPE[0]) : -len(ENVELOPE[1])]
            if count:
                output.write(b",")
        output.write(encoded)
        count += len(data)
    if enveloped:
        output.write(ENVELOPE[1])
    return count


def record_chunks(
    body: IO[bytes], quoted: bool, size: int = CHUNK_BYTES
) -> Iterator[tuple[int, bytes]]:
    """Whole records of about ``size`` bytes each, with the body line each one starts at.

    A chunk ends after a line end that a record follows (not another line end), so blank lines
    never fall between two chunks, where the codecs would drop them silently.
    """
    carry = b""
    line = 1
    while block := body.read(size):
        data = carry + block if carry else block
        cut = _record_end(data, quoted)
        if cut < 0:
            carry = data
            continue
        chunk, carry = data[:cut], data[cut:]
        if chunk.endswith((b"\n\n", b"\n\r\n")):
            blank = line + chunk.rstrip(LINE_ENDS).count(b"\n") + 1
            raise BadRequest(f"line {blank} is empty: send one record per line")
        yield line, chunk
        line += chunk.count(b"\n")
    if carry.strip(LINE_ENDS) or line == 1:
        yield line, carry


def _record_end(data: bytes, quoted: bool) -> int:
    """Just after the last line end in ``data`` that ends a record and precedes one; -1: none."""
    end = len(data) - 1
    while (newline := data.rfind(b"\n", 0, end)) >= 0:
        if data[newline + 1] not in LINE_ENDS and not (quoted and data.count(b'"', 0, newline) % 2):
            return newline + 1
        end = newline
    return -1


def _check_width(data: Any, width: int | None, line: int) -> int | None:
    """Every chunk's rows as wide as the first chunk's, as the codecs require within one."""
    if not isinstance(data, Records) or data.columns is not None:
        return width
    found = int(data.values.shape[1])
    if width is not None and found != width:
        raise BadRequest(
            f"the rows from line {line} have {found} columns but row 1 has {width}; "
            "every row needs the same columns"
        )
    return found
