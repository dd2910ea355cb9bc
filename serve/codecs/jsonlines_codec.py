"""``application/jsonlines``: one JSON record (a list or an object) per line, and one per line back.

Line for line, in order, so batch transform's ``SplitType=Line`` + ``AssembleWith=Line`` work.
"""

from __future__ import annotations

import json

from serve.codecs.json_codec import parse
from serve.codecs.output import records
from serve.codecs.rows import rows_to_records
from serve.codecs.text import body_text
from serve.errors import BadRequest
from serve.records import Records


def decode(body: bytes, parameters: dict[str, str]) -> Records:
    text = body_text(body, parameters.get("charset", "utf-8"), "the body")
    lines = text.replace("\r\n", "\n").strip("\n").split("\n")
    if lines == [""]:
        raise BadRequest("empty application/jsonlines body: send one JSON record per line")
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            raise BadRequest(f"line {number} is empty: send one JSON record per line")
        rows.append(parse(line, f"line {number}"))
    return rows_to_records(rows, unit="line")


def encode(prediction: object, verbose: bool) -> bytes:
    lines = [json.dumps(entry, separators=(",", ":")) for entry in records(prediction, verbose)]
    return ("\n".join(lines) + "\n").encode()
