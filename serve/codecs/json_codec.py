"""``application/json``: a list of rows, one row, or ``{"instances": [...]}``.

Rows are lists (positional, in the training data's feature order) or objects keyed by feature
name. The response is ``{"predictions": [...]}``, one entry per record in request order.
"""

from __future__ import annotations

import json
from typing import Any

from serve.codecs.output import records
from serve.codecs.rows import rows_to_records
from serve.errors import BadRequest
from serve.records import Records


def decode(body: bytes, parameters: dict[str, str]) -> Records:
    data = parse(body, parameters.get("charset", "utf-8"), "the JSON body")
    if isinstance(data, dict):
        if "instances" not in data or not isinstance(data["instances"], list):
            raise BadRequest('a JSON object body needs "instances": a list of records')
        return rows_to_records(data["instances"])
    if isinstance(data, list):
        if data and not any(isinstance(item, list | dict) for item in data):
            return rows_to_records([data])
        return rows_to_records(data)
    raise BadRequest(
        f"a JSON body must be a list of records or an object, not {type(data).__name__}"
    )


def parse(body: bytes | str, charset: str, where: str) -> Any:
    if not body.strip():
        raise BadRequest(f"{where} is empty: send at least one record")
    try:
        return json.loads(body.decode(charset) if isinstance(body, bytes) else body)
    except LookupError:
        raise BadRequest(f"unknown charset {charset!r} in Content-Type") from None
    except UnicodeDecodeError as error:
        raise BadRequest(f"{where} is not valid {charset}: byte {error.start}") from None
    except json.JSONDecodeError as error:
        raise BadRequest(
            f"{where} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None


ENVELOPE = (b'{"predictions":[', b"]}")
"""What surrounds the entries of an answer (:mod:`serve.spool` writes them a chunk at a time)."""


def encode(prediction: object, verbose: bool) -> bytes:
    entries = json.dumps(records(prediction, verbose), separators=(",", ":")).encode()
    return ENVELOPE[0] + entries[1:-1] + ENVELOPE[1]
