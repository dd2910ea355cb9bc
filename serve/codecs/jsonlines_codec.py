"""``application/jsonlines``: one JSON record (a list or an object) per line, and one per line back.

Line for line, in order, so batch transform's ``SplitType=Line`` + ``AssembleWith=Line`` work.
"""

from __future__ import annotations

import json

from serve.codecs.json_codec import parse
from serve.codecs.output import records
from serve.codecs.rows import rows_to_records
from serve.errors import BadRequest, UnsupportedMediaType
from serve.records import Records


def decode(body: bytes, parameters: dict[str, str]) -> Records:
    charset = parameters.get("charset", "utf-8")
    try:
        text = body.decode(charset)
    except LookupError:
        raise UnsupportedMediaType(f"unknown charset {charset!r} in Content-Type") from None
    except UnicodeDecodeError as error:
        raise BadRequest(f"the body is not valid {charset}: byte {error.start}") from None
    lines = text.replace("\r\n", "\n").strip("\n").split("\n")
    if lines == [""]:
        raise BadRequest("empty application/jsonlines body: send one JSON record per line")
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            raise BadRequest(f"line {number} is empty: send one JSON record per line")
        rows.append(parse(line, charset, f"line {number}"))
    return rows_to_records(rows, unit="line")


def encode(prediction: object, verbose: bool) -> bytes:
    lines = [json.dumps(entry, separators=(",", ":")) for entry in records(prediction, verbose)]
    return ("\n".join(lines) + "\n").encode()
