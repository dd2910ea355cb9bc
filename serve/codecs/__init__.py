"""The codec registry: request decoders and response encoders by media type.

A decoder turns a body (and the ``Content-Type`` parameters, e.g. ``charset``) into
:class:`~serve.records.Records`; an encoder turns what ``predict_fn`` returned into bytes,
``verbose`` asking for the label and class probabilities besides the score. An algorithm that
defines ``input_fn``/``output_fn`` bypasses them.
"""

from __future__ import annotations

from collections.abc import Callable

from serve.codecs import csv_codec, json_codec, jsonlines_codec, npy_codec
from serve.records import Records

Decoder = Callable[[bytes, dict[str, str]], Records]
Encoder = Callable[[object, bool], bytes]

CSV = "text/csv"
JSON = "application/json"
JSON_LINES = "application/jsonlines"
NPY = "application/x-npy"

DECODERS: dict[str, Decoder] = {
    CSV: csv_codec.decode,
    JSON: json_codec.decode,
    JSON_LINES: jsonlines_codec.decode,
    "application/json-lines": jsonlines_codec.decode,
    "application/x-jsonlines": jsonlines_codec.decode,
    NPY: npy_codec.decode,
}

ENCODERS: dict[str, Encoder] = {
    CSV: csv_codec.encode,
    JSON: json_codec.encode,
    JSON_LINES: jsonlines_codec.encode,
}

LINE_ALIGNED = frozenset({CSV, JSON_LINES})
"""Outputs with one line per input record: batch transform's ``AssembleWith=Line`` needs it."""


def decoder(essence: str) -> Decoder | None:
    return DECODERS.get(essence)


def encoder(essence: str) -> Encoder | None:
    return ENCODERS.get(essence)
