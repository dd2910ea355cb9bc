"""``application/json``: a list of rows, one row, or ``{"instances": [...]}``.

Rows are lists (positional, in the training data's feature order) or objects keyed by feature
name. The response is ``{"predictions": [...]}``, one entry per record in request order.

The parser is the standard library's ``json.loads`` (``NaN`` and ``Infinity`` are numbers, as
Python writes them); its limits are the interpreter's, both 400s that say so:
:data:`MAX_NESTING` and :data:`MAX_INTEGER_DIGITS`.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from serve.codecs.output import records
from serve.codecs.rows import rows_to_records
from serve.codecs.text import body_text
from serve.errors import BadRequest
from serve.records import Records

MAX_NESTING = sys.getrecursionlimit()
"""Arrays and objects nest at most this deep (1,000 by default, less the server's own frames):
``json.loads`` recurses once per level. A record needs at most four levels, and a value nested
in a record is refused anyway, so the limit only bounds the parser's work. Checking the depth
exactly beforehand would add 40-90 % to the parse time of a large body."""

MAX_INTEGER_DIGITS = sys.get_int_max_str_digits()
"""An integer has at most this many digits (4,300 by default): Python's own limit on ``int(text)``,
which keeps converting one linear in its length. Integers beyond float64 (309 digits) are
refused by the rows; a fraction or an exponent makes a float, which has no digit limit."""


def decode(body: bytes, parameters: dict[str, str]) -> Records:
    where = "the JSON body"
    data = parse(body_text(body, parameters.get("charset", "utf-8"), where), where)
    if isinstance(data, dict):
        if "instances" not in data or not isinstance(data["instances"], list):
            raise BadRequest('a JSON object body needs "instances": a list of records')
        return rows_to_records(data["instances"])
    if isinstance(data, list):
        if data and not any(isinstance(item, list | dict) for item in data):
            return rows_to_records([data])
        return rows_to_records(data)
    raise BadRequest(f"a JSON body must be a list of records or an object, not {_kind(data)}")


def _kind(value: Any) -> str:
    """The JSON name of a parsed scalar's type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a string" if isinstance(value, str) else "a number"


def parse(text: str, where: str) -> Any:
    """One JSON document; ``where`` names it in the BadRequest for a bad one."""
    if not text.strip():
        raise BadRequest(f"{where} is empty: send at least one record")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise BadRequest(
            f"{where} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except RecursionError:
        raise BadRequest(
            f"{where} nests arrays or objects deeper than the parser's limit of about "
            f"{MAX_NESTING} levels; a record needs at most four"
        ) from None
    except ValueError:  # the only other ValueError json.loads raises: int(text) refused it
        raise BadRequest(
            f"{where} has an integer of more than {MAX_INTEGER_DIGITS} digits; "
            "features are float32, so write it with an exponent (e.g. 1.5e300)"
        ) from None


ENVELOPE = (b'{"predictions":[', b"]}")
"""What surrounds the entries of an answer (:mod:`serve.spool` writes them a chunk at a time)."""


def encode(prediction: object, verbose: bool) -> bytes:
    entries = json.dumps(records(prediction, verbose), separators=(",", ":")).encode()
    return ENVELOPE[0] + entries[1:-1] + ENVELOPE[1]
