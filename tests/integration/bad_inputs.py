"""The bad-input corpus for ``/invocations`` with the bundled bank model (not a test module).

Each case is what a careless client or an attacker sends, with the exact 4xx the server must
answer and a piece of the JSON error message that names the problem. The server under test runs
with a payload limit of :data:`PAYLOAD_LIMIT_MB`, so oversized bodies stay cheap to send.
"""

from __future__ import annotations

import io
import json
import struct
from dataclasses import dataclass, field

import numpy as np

PAYLOAD_LIMIT_MB = 1
CSV = "text/csv"
JSON = "application/json"
JSON_LINES = "application/jsonlines"
NPY = "application/x-npy"

COLUMNS = ("age", "job", "marital", "education", "default", "housing", "loan", "contact", "month",
           "day_of_week", "duration", "campaign", "pdays", "previous", "poutcome", "emp.var.rate",
           "cons.price.idx", "cons.conf.idx", "euribor3m", "nr.employed")  # fmt: skip
SAMPLE = (
    "29,blue-collar,married,basic.9y,no,no,no,telephone,jun,tue,170,2,999,0,nonexistent,1.4,94.465,"
    "-41.8,4.961,5228.1"
)  # a held-out row of the bank data
ROW = SAMPLE.split(",")
NUMERIC = frozenset(
    i for i, value in enumerate(ROW) if value.lstrip("-").replace(".", "").isdigit()
)
VALUES: list[object] = [float(v) if i in NUMERIC else v for i, v in enumerate(ROW)]
RECORD = dict(zip(COLUMNS, VALUES, strict=True))
CSV_ROW = ",".join(ROW).encode()
CSV_BODY = CSV_ROW + b"\n" + CSV_ROW + b"\n"
JSON_BODY = json.dumps([VALUES, VALUES]).encode()
JSON_LINES_BODY = (json.dumps(RECORD) + "\n" + json.dumps(RECORD) + "\n").encode()


@dataclass(frozen=True)
class Case:
    name: str
    body: bytes
    content_type: str | None  # None: no Content-Type header at all
    status: int
    message: str  # a part of the JSON "error" that names the problem
    accept: str = "text/csv"
    headers: dict[str, str] = field(default_factory=dict)

    def request_headers(self) -> dict[str, str]:
        headers = {"Accept": self.accept, **self.headers}
        if self.content_type is not None:
            headers["Content-Type"] = self.content_type
        return headers


def with_row(fields: list[str]) -> bytes:
    return ",".join(fields).encode()


def replaced(index: int, value: str) -> list[str]:
    return [value if i == index else v for i, v in enumerate(ROW)]


def record_with(**changes: object) -> dict[str, object]:
    return {**RECORD, **changes}


def without(name: str) -> dict[str, object]:
    return {k: v for k, v in RECORD.items() if k != name}


def odd_length(body: bytes) -> bytes:
    return body if len(body) % 2 else body + b"\n"


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def npy_header(header: str, data: bytes = b"", version: int = 1) -> bytes:
    encoded = header.encode("latin-1") + b"\n"
    length = struct.pack("<H" if version == 1 else "<I", len(encoded))
    return b"\x93NUMPY" + bytes([version, 0]) + length + encoded + data


def npy_claiming(descr: str, shape: tuple[int, ...], data: bytes, fortran: str = "False") -> bytes:
    return npy_header(f"{{'descr': {descr}, 'fortran_order': {fortran}, 'shape': {shape}, }}", data)


TABLE = np.array([ROW, ROW])
NUMBERS = np.ones((2, len(COLUMNS)))
STRUCTURED = np.zeros(2, dtype=[(name, "<U12") for name in COLUMNS])
GOOD_NPY = npy(TABLE)
OVER_LIMIT = PAYLOAD_LIMIT_MB * 1024 * 1024 + 1
LIMIT = "exceeds the payload limit"
NOT_A_NUMBER = "is not a number"
COLUMN_COUNT = f"expected {len(COLUMNS)} columns per row"


def csv_cases() -> list[Case]:
    def case(name: str, body: bytes, status: int, message: str, **extra: str) -> Case:
        return Case(f"csv-{name}", body, extra.pop("content_type", CSV), status, message, **extra)

    return [
        case("empty", b"", 400, "empty body"),
        case("only-newlines", b"\n\n\n", 400, "empty text/csv body"),
        case("only-crlf", b"\r\n\r\n", 400, "empty text/csv body"),
        case("only-spaces", b"   ", 400, "empty text/csv body"),
        case("three-columns", b"1,2,3\n", 400, f"{COLUMN_COUNT}, got 3"),
        case("one-column", b"1\n", 400, f"{COLUMN_COUNT}, got 1"),
        case("one-number-per-line", b"1\n2\n3\n", 400, f"{COLUMN_COUNT}, got 1"),
        case("twenty-one-columns", CSV_ROW + b",1\n", 400, f"{COLUMN_COUNT}, got 21"),
        case("nineteen-columns", with_row(ROW[:-1]), 400, f"{COLUMN_COUNT}, got 19"),
        case("100000-columns", b",".join([b"1"] * 100_000), 400, f"{COLUMN_COUNT}, got 100000"),
        case("many-short-rows", b"1,2\n" * 20_000, 400, f"{COLUMN_COUNT}, got 2"),
        case(
            "row-2-longer",
            CSV_ROW + b"\n" + CSV_ROW + b",x\n",
            400,
            "row 2 has 21 columns but row 1 has 20",
        ),
        case(
            "row-3-shorter",
            CSV_BODY + with_row(ROW[:-2]),
            400,
            "row 3 has 18 columns but row 1 has 20",
        ),
        case("blank-line-between-rows", CSV_ROW + b"\n\n" + CSV_ROW, 400, "row 2 is empty"),
        case("unclosed-quote", CSV_ROW + b'\n29,"blue-collar\n', 400, "row 2: malformed CSV"),
        case(
            "text-after-closing-quote", with_row(replaced(1, '"blue"collar')), 400, "malformed CSV"
        ),
        case(
            "header-row",
            ",".join(COLUMNS).encode() + b"\n" + CSV_ROW,
            400,
            "row 1, column 'age': 'age' is not a number",
        ),
        case(
            "word-for-age",
            with_row(replaced(0, "forty")),
            400,
            "row 1, column 'age': 'forty' is not a number",
        ),
        case(
            "word-in-last-row",
            CSV_BODY + with_row(replaced(19, "lots")),
            400,
            "row 3, column 'nr.employed': 'lots' is not a number",
        ),
        case(
            "comma-decimal",
            with_row(replaced(15, '"1,4"')),
            400,
            "column 'emp.var.rate': '1,4' is not a number",
        ),
        case("thousands-separator", with_row(replaced(10, '"1,170"')), 400, NOT_A_NUMBER),
        case("currency", with_row(replaced(10, "$170")), 400, "'$170' is not a number"),
        case("percent", with_row(replaced(15, "1.4%")), 400, "'1.4%' is not a number"),
        case("hex-number", with_row(replaced(0, "0x1d")), 400, "'0x1d' is not a number"),
        case("nan-spelled-NA", with_row(replaced(0, "NA")), 400, "'NA' is not a number"),
        case("null-spelled", with_row(replaced(0, "null")), 400, "'null' is not a number"),
        case("infinity-spelled-oo", with_row(replaced(0, "∞")), 400, "'∞' is not a number"),
        case(
            "bad-utf8",
            CSV_ROW.replace(b"blue-collar", b"blue-coll\xffar"),
            400,
            "the body is not valid utf-8: byte 12",
        ),
        case(
            "latin1-sent-as-utf8",
            CSV_ROW.replace(b"blue-collar", b"caf\xe9"),
            400,
            "the body is not valid utf-8: byte 6",
        ),
        case(
            "utf16-sent-as-utf8",
            "\ufeff".encode("utf-16-le") + CSV_ROW.decode().encode("utf-16-le"),
            400,
            "not valid utf-8: byte 0",
        ),
        case("nul-bytes", b"\x00" * 64, 400, f"{COLUMN_COUNT}, got 1"),
        case("binary-garbage", bytes(range(128, 256)) * 4, 400, "not valid utf-8: byte 0"),
        case("tab-separated", "\t".join(ROW).encode(), 400, f"{COLUMN_COUNT}, got 1"),
        case("semicolon-separated", ";".join(ROW).encode(), 400, f"{COLUMN_COUNT}, got 1"),
        case("json-sent-as-csv", JSON_BODY, 400, f"{COLUMN_COUNT}, got 40"),
        case(
            "unknown-charset",
            CSV_BODY,
            415,
            "unknown charset 'klingon'",
            content_type="text/csv; charset=klingon",
        ),
        case(
            "charset-not-text",
            CSV_BODY,
            415,
            "unknown charset 'base64'",
            content_type="text/csv; charset=base64",
        ),
        case(
            "utf16-odd-length",
            odd_length(CSV_ROW),
            400,
            "not valid utf-16",
            content_type="text/csv; charset=utf-16",
        ),
        case(
            "ascii-with-high-bytes",
            CSV_ROW.replace(b"blue-collar", b"caf\xe9"),
            400,
            "the body is not valid ascii: byte 6",
            content_type="text/csv; charset=ascii",
        ),
        case("over-the-limit", (CSV_ROW + b"\n") * (OVER_LIMIT // len(CSV_ROW) + 1), 413, LIMIT),
    ]


def json_cases() -> list[Case]:
    def case(name: str, body: bytes, status: int, message: str, **extra: str) -> Case:
        return Case(f"json-{name}", body, extra.pop("content_type", JSON), status, message, **extra)

    deep = 100_000
    return [
        case("empty", b"", 400, "empty body"),
        case("whitespace", b" \n\t ", 400, "the JSON body is empty"),
        case("truncated", JSON_BODY[:-7], 400, "the JSON body is not valid JSON"),
        case("unclosed-object", b"{", 400, "not valid JSON: Expecting property name"),
        case(
            "single-quotes", json.dumps([VALUES]).replace('"', "'").encode(), 400, "not valid JSON"
        ),
        case("trailing-comma", b"[[1, 2,]]", 400, "not valid JSON"),
        case("two-documents", JSON_BODY + JSON_BODY, 400, "not valid JSON: Extra data"),
        case("comment", b"// rows\n" + JSON_BODY, 400, "not valid JSON"),
        case(
            "lowercase-nan",
            json.dumps([VALUES]).replace("29.0", "nan").encode(),
            400,
            "not valid JSON: Expecting value",
        ),
        case(
            "uppercase-NAN",
            json.dumps([VALUES]).replace("29.0", "NAN").encode(),
            400,
            "not valid JSON",
        ),
        case(
            "plus-infinity",
            json.dumps([VALUES]).replace("29.0", "+Infinity").encode(),
            400,
            "not valid JSON",
        ),
        case(
            "inf-abbreviated",
            json.dumps([VALUES]).replace("29.0", "Inf").encode(),
            400,
            "not valid JSON",
        ),
        case(
            "hex-number",
            json.dumps([VALUES]).replace("29.0", "0x1d").encode(),
            400,
            "not valid JSON",
        ),
        case(
            "leading-zero",
            json.dumps([VALUES]).replace("29.0", "029").encode(),
            400,
            "not valid JSON",
        ),
        case("bare-word", b"rows", 400, "not valid JSON"),
        case("bad-utf8", b'[["\xff"]]', 400, "the JSON body is not valid utf-8: byte 3"),
        case(
            "utf16-sent-as-utf8",
            json.dumps([VALUES]).encode("utf-16"),
            400,
            "not valid utf-8: byte 0",
        ),
        case("nul-bytes", b"\x00" * 16, 400, "not valid JSON"),
        case(
            "unknown-charset",
            JSON_BODY,
            415,
            "unknown charset 'klingon'",
            content_type="application/json; charset=klingon",
        ),
        case(
            "charset-zlib",
            JSON_BODY,
            415,
            "unknown charset 'zlib'",
            content_type="application/json; charset=zlib",
        ),
        case(
            "charset-punycode",
            JSON_BODY,
            415,
            "'punycode' is not a character encoding",
            content_type="application/json; charset=punycode",
        ),
        case(
            "charset-undefined",
            JSON_BODY,
            415,
            "'undefined' is not a character encoding",
            content_type="application/json; charset=undefined",
        ),
        case(
            "charset-unicode-escape",
            JSON_BODY,
            415,
            "'unicode_escape' is not a character",
            content_type="application/json; charset=unicode_escape",
        ),
        case("deep-arrays", b"[" * deep + b"]" * deep, 400, "nests arrays or objects deeper"),
        case("deep-unclosed", b"[" * deep, 400, "nests arrays or objects deeper"),
        case("deep-objects", b'{"a":' * 5000 + b"1" + b"}" * 5000, 400, "deeper than the parser"),
        case(
            "deep-inside-a-row",
            json.dumps([[*VALUES[:-1], [[[[[1]]]]]]]).encode(),
            400,
            "instance 1, column 20: nested list values are not features",
        ),
        case(
            "fifty-levels", b"[" * 50 + b"1" + b"]" * 50, 400, "nested list values are not features"
        ),
        case(
            "seventy-levels",
            b"[" * 70 + b"1" + b"]" * 70,
            400,
            "nested list values are not features",
        ),
        case(
            "integer-5000-digits",
            b"[[" + b"9" * 5000 + b"]]",
            400,
            "has an integer of more than 4300 digits",
        ),
        case(
            "integer-400-digits",
            json.dumps([[10**400, *VALUES[1:]]]).encode(),
            400,
            "instance 1, column 1: an integer of 401 digits is beyond float64",
        ),
        case(
            "integer-400-digits-named",
            json.dumps([record_with(age=10**400)]).encode(),
            400,
            "column 'age': an integer of 401 digits is beyond float64",
        ),
        case("three-values", b"[1, 2, 3]", 400, f"{COLUMN_COUNT}, got 3"),
        case("rows-of-three", b"[[1, 2, 3], [4, 5, 6]]", 400, f"{COLUMN_COUNT}, got 3"),
        case("empty-row", b"[[]]", 400, f"{COLUMN_COUNT}, got 0"),
        case(
            "ragged-rows",
            json.dumps([VALUES, VALUES[:3]]).encode(),
            400,
            "instance 2 has 3 values but instance 1 has 20",
        ),
        case(
            "string",
            b'"29,blue-collar"',
            400,
            "must be a list of records or an object, not a string",
        ),
        case("number", b"42", 400, "not a number"),
        case("null", b"null", 400, "not null"),
        case("boolean", b"true", 400, "not a boolean"),
        case(
            "object-without-instances",
            json.dumps({"rows": [VALUES]}).encode(),
            400,
            'needs "instances": a list of records',
        ),
        case(
            "instances-not-a-list",
            json.dumps({"instances": RECORD}).encode(),
            400,
            'needs "instances"',
        ),
        case("no-instances", b'{"instances": []}', 400, "no instances in the request"),
        case("empty-list", b"[]", 400, "no instances in the request"),
        case("empty-object-record", b"[{}]", 400, "records lack the features age, job"),
        case(
            "missing-feature",
            json.dumps([without("euribor3m")]).encode(),
            400,
            "records lack the features euribor3m",
        ),
        case(
            "misspelled-features",
            json.dumps([{k.upper(): v for k, v in RECORD.items()}]).encode(),
            400,
            "records lack the features age",
        ),
        case(
            "lists-and-objects",
            json.dumps([VALUES, RECORD]).encode(),
            400,
            "each instance must be a list of values or an object keyed by feature name; "
            "got ['dict', 'list']",
        ),
        case("numbers-and-lists", b"[1, [2]]", 400, "got ['int', 'list']"),
        case(
            "object-value-in-record",
            json.dumps([record_with(job={"name": "x"})]).encode(),
            400,
            "column 'job': nested dict values are not features",
        ),
        case(
            "list-value-in-record",
            json.dumps([record_with(age=[29])]).encode(),
            400,
            "column 'age': nested list values are not features",
        ),
        case(
            "word-for-age",
            json.dumps([record_with(age="forty")]).encode(),
            400,
            "row 1, column 'age': 'forty' is not a number",
        ),
        case(
            "boolean-for-age",
            json.dumps([record_with(age=True)]).encode(),
            400,
            "column 'age': 'True' is not a number",
        ),
        case("features-too-short", b'[{"features": [1, 2]}]', 400, f"{COLUMN_COUNT}, got 2"),
        case(
            "disjoint-keys",
            json.dumps([{f"f{i}": i} for i in range(3000)]).encode(),
            400,
            "send records that share their features",
        ),
        case(
            "one-long-string",
            json.dumps([["x" * 50_000]] + [["y"]] * 5000).encode(),
            400,
            "would pad all 5001 values",
        ),
        case(
            "over-the-limit",
            json.dumps([VALUES] * (OVER_LIMIT // len(JSON_BODY) * 3)).encode(),
            413,
            LIMIT,
        ),
    ]


def jsonlines_cases() -> list[Case]:
    def case(name: str, body: bytes, status: int, message: str, **extra: str) -> Case:
        extra_type = extra.pop("content_type", JSON_LINES)
        return Case(f"jsonlines-{name}", body, extra_type, status, message, **extra)

    line = json.dumps(RECORD).encode()
    return [
        case("empty", b"", 400, "empty body"),
        case("only-newlines", b"\n\n", 400, "empty application/jsonlines body"),
        case("only-spaces", b"  ", 400, "line 1 is empty"),
        case("blank-line", line + b"\n\n" + line, 400, "line 2 is empty"),
        case("whitespace-line", line + b"\n \t\n" + line, 400, "line 2 is empty"),
        case("bad-third-line", line + b"\n" + line + b"\n{oops\n", 400, "line 3 is not valid JSON"),
        case("cr-separated", line + b"\r" + line, 400, "line 1 is not valid JSON: Extra data"),
        case(
            "pretty-printed", json.dumps(RECORD, indent=2).encode(), 400, "line 1 is not valid JSON"
        ),
        case("scalar-lines", b"1\n2\n", 400, "each line must be a list of values or an object"),
        case("string-lines", b'"a"\n"b"\n', 400, "got ['str']"),
        case("json-array-of-rows", JSON_BODY, 400, "line 1, column 1: nested list values"),
        case(
            "lists-and-objects",
            line + b"\n" + json.dumps(VALUES).encode(),
            400,
            "got ['dict', 'list']",
        ),
        case(
            "deep-line", line + b"\n" + b"[" * 100_000, 400, "line 2 nests arrays or objects deeper"
        ),
        case(
            "integer-5000-digits",
            line + b"\n[" + b"9" * 5000 + b"]",
            400,
            "line 2 has an integer of more than 4300 digits",
        ),
        case(
            "integer-400-digits",
            json.dumps(record_with(age=10**400)).encode(),
            400,
            "line 1, column 'age': an integer of 401 digits is beyond float64",
        ),
        case("two-values", b"[1, 2]\n[3, 4]\n", 400, f"{COLUMN_COUNT}, got 2"),
        case(
            "ragged-lines",
            json.dumps(VALUES).encode() + b"\n[1, 2, 3]\n",
            400,
            "line 2 has 3 values but line 1 has 20",
        ),
        case(
            "missing-feature",
            json.dumps(without("age")).encode(),
            400,
            "records lack the features age",
        ),
        case(
            "word-for-age",
            json.dumps(record_with(age="forty")).encode(),
            400,
            "row 1, column 'age': 'forty' is not a number",
        ),
        case(
            "nested-value",
            json.dumps(record_with(job=["a"])).encode(),
            400,
            "line 1, column 'job': nested list values are not features",
        ),
        case("lowercase-nan", line.replace(b"29.0", b"nan"), 400, "line 1 is not valid JSON"),
        case("bad-utf8", line.replace(b"blue", b"bl\xffe"), 400, "the body is not valid utf-8"),
        case(
            "unknown-charset",
            JSON_LINES_BODY,
            415,
            "unknown charset 'klingon'",
            content_type="application/jsonlines; charset=klingon",
        ),
        case(
            "charset-idna",
            JSON_LINES_BODY,
            415,
            "'idna' is not a character encoding",
            content_type="application/jsonlines; charset=idna",
        ),
        case(
            "utf16-odd-length",
            odd_length(JSON_LINES_BODY),
            400,
            "the body is not valid utf-16",
            content_type="application/jsonlines; charset=utf-16",
        ),
        case(
            "alias-not-served",
            JSON_LINES_BODY,
            415,
            "'application/json-lines' is not served",
            content_type="application/json-lines",
        ),
        case(
            "over-the-limit", JSON_LINES_BODY * (OVER_LIMIT // len(JSON_LINES_BODY) + 1), 413, LIMIT
        ),
    ]


def npy_cases() -> list[Case]:
    def case(name: str, body: bytes, status: int, message: str) -> Case:
        return Case(f"npy-{name}", body, NPY, status, message)

    header_end = GOOD_NPY.index(b"\n") + 1
    f8 = "'<f8'"
    return [
        case("empty", b"", 400, "empty body"),
        case("text", CSV_BODY, 400, "not a .npy file: it must start with \\x93NUMPY"),
        case("npz-archive", b"PK\x03\x04" + b"\x00" * 60, 400, "not an .npz archive"),
        case("magic-only", b"\x93NUMPY", 400, "not a .npy file"),
        case("header-cut", GOOD_NPY[:20], 400, "the .npy header is not valid"),
        case("data-one-byte-short", GOOD_NPY[:-1], 400, "but the body holds"),
        case("data-missing", GOOD_NPY[:header_end], 400, "but the body holds 0 bytes of data"),
        case("trailing-bytes", GOOD_NPY + b"junk", 400, "but the body holds"),
        case("two-arrays", GOOD_NPY + GOOD_NPY, 400, "but the body holds"),
        case(
            "claims-terabytes",
            npy_claiming(f8, (10**12,), b"\x00" * 16),
            400,
            "claims shape (1000000000000,) of float64 (8000000000000 bytes) but the body holds 16",
        ),
        case("claims-huge-2d", npy_claiming(f8, (2**40, 2**20), b"\x00" * 64), 400, "claims shape"),
        case(
            "claims-more-rows",
            npy_claiming(f8, (10, 20), NUMBERS.tobytes()),
            400,
            "(1600 bytes) but the body holds 320",
        ),
        case(
            "void-zero-size",
            npy_claiming("'V0'", (250_000,), b""),
            400,
            "dtype |V0, which cannot be features",
        ),
        case(
            "unicode-zero-size",
            npy_claiming("'<U0'", (250_000, 20), b""),
            400,
            "zero-size dtype <U0",
        ),
        case(
            "bytes-zero-size", npy_claiming("'|S0'", (250_000, 20), b""), 400, "zero-size dtype |S0"
        ),
        case(
            "zero-size-subarray-field",
            npy_claiming("[('a', '<f4', (0,))]", (250_000,), b""),
            400,
            "field 'a' has the nested dtype",
        ),
        case(
            "nested-structure",
            npy_claiming("[('a', [('b', '<i4')])]", (2,), b"\x00" * 8),
            400,
            "field 'a' has the nested dtype",
        ),
        case(
            "subarray-dtype",
            npy_claiming("[('a', '<f8', (20,))]", (2,), NUMBERS.tobytes()),
            400,
            "field 'a' has the nested dtype",
        ),
        case(
            "no-fields", npy_claiming("[]", (250_000,), b""), 400, "structured dtype has no fields"
        ),
        case(
            "object-pickled",
            npy_claiming("'|O'", (2,), b"\x80\x04N."),
            400,
            "never unpickled here (allow_pickle=False)",
        ),
        case(
            "object-field",
            npy_claiming("[('a', '|O')]", (1,), b"\x00" * 8),
            400,
            "field 'a' holds Python objects",
        ),
        case(
            "complex",
            npy(NUMBERS.astype(complex)),
            400,
            "dtype complex128, which cannot be features",
        ),
        case("datetime", npy(np.zeros((2, 20), dtype="M8[s]")), 400, "dtype datetime64[s]"),
        case("timedelta", npy(np.zeros((2, 20), dtype="m8[s]")), 400, "dtype timedelta64[s]"),
        case("void-bytes", npy(np.zeros((2, 20), dtype="V4")), 400, "dtype |V4, which cannot"),
        case(
            "three-dimensions",
            npy(np.ones((2, 20, 1))),
            400,
            "expected a 1-D or 2-D array, got shape (2, 20, 1)",
        ),
        case("scalar", npy(np.float64(1.0)), 400, "expected a 1-D or 2-D array, got shape ()"),
        case("no-rows", npy(np.ones((0, 20))), 400, "shape (0, 20) holds no values"),
        case("no-columns", npy(np.ones((5, 0))), 400, "shape (5, 0) holds no values"),
        case("empty-vector", npy(np.ones(0)), 400, "shape (0,) holds no values"),
        case(
            "boolean-in-shape",
            npy_claiming(f8, (True, 20), NUMBERS[0].tobytes()),
            400,
            "the .npy shape (True, 20) must hold whole numbers",
        ),
        case(
            "negative-shape",
            npy_claiming(f8, (-1, 20), NUMBERS.tobytes()),
            400,
            "has a negative size",
        ),
        case(
            "header-not-a-dict", npy_header("[" * 50 + "]" * 50), 400, "Header is not a dictionary"
        ),
        case("header-not-python", npy_header("(" * 3000), 400, "the .npy header is not valid"),
        case(
            "header-extra-key",
            npy_header(
                "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'x': 1}", b"\x00" * 16
            ),
            400,
            "correct keys",
        ),
        case(
            "header-fortran-not-bool",
            npy_claiming(f8, (2,), b"\x00" * 16, fortran="'yes'"),
            400,
            "fortran_order is not a valid bool",
        ),
        case(
            "header-bad-descr", npy_claiming("'<q9'", (2,), b"\x00" * 16), 400, "not a valid dtype"
        ),
        case(
            "header-huge-string-dtype",
            npy_claiming("'<U1000000000'", (1, 1), b"\x00" * 8),
            400,
            "not a valid dtype",
        ),
        case(
            "header-too-long",
            npy_header("{" + " " * 20_000 + "}", version=2),
            400,
            "the .npy header is not valid",
        ),
        case(
            "header-length-lies", b"\x93NUMPY\x02\x00\xff\xff\xff\x7f{}", 400, "header is not valid"
        ),
        case(
            "version-3",
            npy_header(
                "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", b"\x00" * 16, version=3
            ),
            400,
            "version (3, 0) is not read here",
        ),
        case("version-9", b"\x93NUMPY\x09\x00" + GOOD_NPY[8:], 400, "is not read here"),
        case(
            "code-points-beyond-unicode",
            npy_claiming("'<U1'", (1, 20), b"\xff\xff\xff\xff" * 20),
            400,
            "code points beyond U+10FFFF",
        ),
        case("non-ascii-bytes", npy(np.array([[b"caf\xe9"] * 20])), 400, "must be ASCII"),
        case("three-columns", npy(np.ones((2, 3))), 400, f"{COLUMN_COUNT}, got 3"),
        case("vector-of-five", npy(np.ones(5)), 400, f"{COLUMN_COUNT}, got 5"),
        case(
            "words-for-numbers",
            npy(np.array([["forty"] * 20])),
            400,
            "row 1, column 'age': 'forty' is not a number",
        ),
        case(
            "structured-missing-features",
            npy(STRUCTURED[["age", "job"]].copy()),
            400,
            "records lack the features marital",
        ),
        case("over-the-limit", npy(np.ones(OVER_LIMIT // 8 + 1)), 413, LIMIT),
    ]


def media_cases() -> list[Case]:
    def case(
        name: str, content_type: str | None, status: int, message: str, accept: str = CSV
    ) -> Case:
        return Case(f"media-{name}", CSV_BODY, content_type, status, message, accept=accept)

    return [
        case("no-content-type", None, 415, "the request has no Content-Type"),
        case("blank-content-type", "  ", 415, "the request has no Content-Type"),
        case("xml", "application/xml", 415, "Content-Type 'application/xml' is not served"),
        case("text-plain", "text/plain", 415, "'text/plain' is not served"),
        case("octet-stream", "application/octet-stream", 415, "is not served"),
        case("form", "application/x-www-form-urlencoded", 415, "is not served"),
        case(
            "multipart",
            "multipart/form-data; boundary=x",
            415,
            "'multipart/form-data' is not served",
        ),
        case("jsonl", "application/jsonl", 415, "'application/jsonl' is not served"),
        case("csv-wildcard", "text/*", 415, "'text/*' is not served"),
        case("no-subtype", "text", 400, "malformed media type 'text': expected type/subtype"),
        case("no-type", "/csv", 400, "malformed media type"),
        case("space-in-type", "text /csv", 400, "malformed media type"),
        case(
            "parameter-without-value",
            "text/csv; charset",
            400,
            "malformed media-type parameter 'charset': expected name=value",
        ),
        case("parameter-without-name", "text/csv; =utf-8", 400, "malformed media-type parameter"),
        case(
            "accept-png",
            CSV,
            406,
            "cannot answer with any type in Accept 'image/png'",
            accept="image/png",
        ),
        case(
            "accept-npy", CSV, 406, "this model answers with text/csv", accept="application/x-npy"
        ),
        case("accept-html-or-xml", CSV, 406, "cannot answer", accept="text/html, application/xml"),
        case("accept-csv-q0", CSV, 406, "cannot answer", accept="text/csv;q=0"),
        case("accept-nothing", CSV, 406, "cannot answer", accept="*/*;q=0"),
        case("accept-q-above-one", CSV, 400, "q-value '2' is outside 0..1", accept="text/csv;q=2"),
        case("accept-q-negative", CSV, 400, "outside 0..1", accept="text/csv;q=-1"),
        case("accept-q-word", CSV, 400, "malformed q-value 'high'", accept="text/csv;q=high"),
        case("accept-garbage", CSV, 400, "malformed media type 'garbage'", accept="garbage"),
        case(
            "accept-parameter-without-value",
            CSV,
            400,
            "malformed media-type parameter",
            accept="text/csv; verbose",
        ),
    ]


CSV_CHARSETS = [
    Case(f"csv-charset-{name}", CSV_BODY, f"text/csv; charset={name}", 415, "charset")
    for name in ("undefined", "punycode")
]
CASES: list[Case] = [
    *csv_cases(), *CSV_CHARSETS, *json_cases(), *jsonlines_cases(), *npy_cases(), *media_cases()
]  # fmt: skip
GOOD = Case("good", CSV_BODY, CSV, 200, "")
