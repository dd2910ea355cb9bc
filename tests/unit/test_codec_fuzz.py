"""Every request decoder is total and bounded: on arbitrary bytes and on generated near-valid
bodies it returns Records no larger than the body, or raises a 4xx InferenceError; nothing else."""

from __future__ import annotations

import io
import json
import math
import struct
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from serve.codecs import CSV, DECODERS, JSON, JSON_LINES, NPY, Decoder
from serve.errors import InferenceError
from serve.records import Records

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TEXT_CHARSETS = ["utf-8", "UTF-8", "latin-1", "utf-16", "ascii", "utf-7", "cp1252", "nope", "zlib"]
ODD_CHARSETS = ["punycode", "idna", "undefined", "unicode_escape", "utf-8\x00", "\udc80"]
"""Python codecs that are not charsets, or names codecs.lookup cannot take: csv_codec (being
rewritten elsewhere) still answers them with a 500, see test_csv_odd_charsets."""


def outcome(decoder: Decoder, body: bytes, parameters: dict[str, str]) -> Records | None:
    """The decoder's Records, or None for a 4xx; any other exception fails the test."""
    try:
        records = decoder(body, parameters)
    except InferenceError as error:
        assert 400 <= error.status_code < 500, (error.status_code, error.message)
        assert error.message
        return None
    assert isinstance(records, Records)
    values = records.values
    assert values.ndim == 2
    assert values.dtype == np.float32 or values.dtype.kind == "U"
    assert 1 <= len(records) <= len(body) + 1
    assert values.size <= len(body) + 1
    assert records.columns is None or len(records.columns) == values.shape[1]
    assert values.nbytes <= memory_bound(body)
    return records


def mutated(data: st.DataObject, body: bytes) -> bytes:
    """The body as generated, or cut short, or with a few bytes changed, dropped or added."""
    edit = data.draw(st.sampled_from(["none", "truncate", "flip", "insert", "append"]))
    if edit == "none" or not body:
        return body
    at = data.draw(st.integers(0, len(body) - 1))
    if edit == "truncate":
        return body[:at]
    if edit == "flip":
        return body[:at] + bytes([body[at] ^ data.draw(st.integers(1, 255))]) + body[at + 1 :]
    extra = data.draw(st.binary(min_size=1, max_size=8))
    return body[:at] + extra + body[at:] if edit == "insert" else body + extra


@pytest.mark.parametrize("essence", sorted(DECODERS))
@FUZZ
@given(body=st.binary(max_size=512), charset=st.sampled_from(TEXT_CHARSETS + ODD_CHARSETS))
def test_arbitrary_bytes(essence: str, body: bytes, charset: str) -> None:
    outcome(DECODERS[essence], body, {"charset": charset})


@pytest.mark.parametrize("charset", ["punycode", "undefined", "utf-8\x00", "\udc80"])
def test_csv_odd_charsets(charset: str) -> None:
    outcome(DECODERS[CSV], b"1,2\n", {"charset": charset})


JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**300, max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=6), children, max_size=5)
    ),
    max_leaves=30,
)
FEATURE_NAMES = st.sampled_from(["age", "job", "x", "features", "instances", ""])
ROWS = st.lists(
    st.lists(JSON_SCALARS, min_size=1, max_size=6)
    | st.dictionaries(FEATURE_NAMES, JSON_SCALARS, max_size=6)
    | st.fixed_dictionaries({"features": st.lists(JSON_SCALARS, max_size=6)}),
    max_size=8,
)


def json_text(value: Any) -> str:
    return json.dumps(value)


@FUZZ
@given(data=st.data(), value=ROWS | JSON_VALUES, wrap=st.booleans(), nesting=st.integers(0, 3000))
def test_json_near_valid(data: st.DataObject, value: Any, wrap: bool, nesting: int) -> None:
    document = {"instances": value} if wrap else value
    text = json_text(document) if nesting < 2000 else "[" * nesting + json_text(document)
    outcome(DECODERS[JSON], mutated(data, text.encode()), {})


@FUZZ
@given(
    data=st.data(),
    lines=st.lists(ROWS | JSON_VALUES, max_size=6),
    newline=st.sampled_from(["\n", "\r\n", "\r", "\n\n"]),
)
def test_jsonlines_near_valid(data: st.DataObject, lines: list[Any], newline: str) -> None:
    body = newline.join(json_text(line) for line in lines).encode()
    outcome(DECODERS[JSON_LINES], mutated(data, body), {})


CSV_FIELDS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers().map(str),
    st.sampled_from(
        ["", "nan", "NaN", "inf", "-Infinity", "1e999", "housemaid", '"a,b"', '"', '""', " 1 "]
    ),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=6),
)


@FUZZ
@given(
    data=st.data(),
    rows=st.lists(st.lists(CSV_FIELDS, min_size=1, max_size=6), min_size=1, max_size=8),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_csv_near_valid(data: st.DataObject, rows: list[list[str]], newline: str) -> None:
    body = newline.join(",".join(row) for row in rows).encode()
    outcome(DECODERS[CSV], mutated(data, body), {})


SCALAR_DTYPES = hnp.scalar_dtypes() | hnp.byte_string_dtypes() | hnp.unicode_string_dtypes()
NPY_DTYPES = SCALAR_DTYPES | hnp.array_dtypes(SCALAR_DTYPES, max_size=3)
DESCRS = st.sampled_from(["'<f8'", "'|O'", "'V0'", "'<U0'", "'|S0'", "'<c16'", "'<M8[s]'", "[]",
                          "'<U1000000000'", "[('a', '<f4', (0,))]", "[('a', '|V0')]",
                          "[('a', [('b', '<i4')])]", "('<f4', (3,))", "{}", "[('a', '|O')]",
                          "[('a', '<f4'), ('b', '<U2')]"])  # fmt: skip
SHAPES = st.lists(st.integers(-2, 10**12) | st.integers(0, 4) | st.booleans(), max_size=4).map(
    tuple
)


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def npy_with_header(header: str, data: bytes, version: int = 1) -> bytes:
    encoded = header.encode("latin-1")
    length_format = "<H" if version == 1 else "<I"
    head = b"\x93NUMPY" + bytes([version, 0])
    return head + struct.pack(length_format, len(encoded)) + encoded + data


@pytest.mark.filterwarnings("ignore:Stored array in format 3.0")
@FUZZ
@given(
    data=st.data(),
    array=hnp.arrays(NPY_DTYPES, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4)),
)
def test_npy_near_valid(data: st.DataObject, array: np.ndarray) -> None:
    outcome(DECODERS[NPY], mutated(data, npy_bytes(array)), {})


@FUZZ
@given(
    descr=DESCRS | SCALAR_DTYPES.map(lambda dtype: repr(dtype.str)),
    shape=SHAPES,
    fortran=st.sampled_from(["False", "True", "0", "None"]),
    data=st.binary(max_size=256),
    version=st.sampled_from([1, 2, 3]),
)
def test_npy_lying_headers(
    descr: str, shape: tuple[int, ...], fortran: str, data: bytes, version: int
) -> None:
    header = f"{{'descr': {descr}, 'fortran_order': {fortran}, 'shape': {shape!r}, }}\n"
    body = npy_with_header(header, data, version)
    records = outcome(DECODERS[NPY], body, {})
    if records is not None:
        assert records.values.size <= max(1, len(data))
        assert math.prod(shape) <= len(data)


def memory_bound(body: bytes) -> int:
    """What a decoded body may take: a fixed allowance plus a constant per byte sent."""
    return 4 * 1024 * 1024 + 256 * len(body)


def one_long_value_among_short_ones(essence: str) -> bytes:
    long, rows = "x" * 2000, 5000
    if essence == CSV:
        return (long + "\n" + "y\n" * rows).encode()
    if essence == JSON:
        return json.dumps([[long]] + [["y"]] * rows).encode()
    return ("\n".join([json.dumps([long])] + ['["y"]'] * rows)).encode()


@pytest.mark.parametrize(
    "essence",
    [
        JSON,
        JSON_LINES,
        CSV,
    ],
)
def test_one_long_value_cannot_pad_every_value_to_its_length(essence: str) -> None:
    body = one_long_value_among_short_ones(essence)
    records = outcome(DECODERS[essence], body, {})
    assert records is None or records.values.nbytes <= memory_bound(body)


def test_records_with_disjoint_keys_cannot_grow_the_table_quadratically() -> None:
    body = json.dumps([{f"feature{i}": i} for i in range(3000)]).encode()
    assert outcome(DECODERS[JSON], body, {}) is None
    sparse = [{"a": 1, "b": 2, "c": 3}, {"a": 1}, {"b": 2}, {"c": 3, "d": 4}]
    records = outcome(DECODERS[JSON], json.dumps(sparse * 500).encode(), {})
    assert records is not None and records.values.shape == (2000, 4)
