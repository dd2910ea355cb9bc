"""The codecs: request bodies to Records, predictions to line-aligned bodies."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from serve.codecs import csv_codec, json_codec, jsonlines_codec, npy_codec
from serve.errors import BadRequest, InferenceError, UnsupportedMediaType
from serve.records import Predictions, Records


def test_numeric_csv_takes_the_float32_path() -> None:
    records = csv_codec.decode(b"1,2.5,-3e2\n4,,6\n", {})
    assert records.values.dtype == np.float32
    np.testing.assert_array_equal(records.values, [[1, 2.5, -300], [4, np.nan, 6]])


@pytest.mark.parametrize("count", [3, 300, 3000], ids=["small", "medium", "large"])
def test_numeric_csv_of_every_size_is_parsed_exactly(count: int) -> None:
    rows = np.round(np.random.default_rng(count).normal(size=(count, 12)), 3)
    rows[1, 4] = np.nan
    buffer = io.StringIO()
    np.savetxt(buffer, rows, delimiter=",", fmt="%.3f")
    body = buffer.getvalue().replace("nan", "").encode()
    size = {3: (0, csv_codec.SMALL_BODY), 300: (csv_codec.SMALL_BODY, csv_codec.LARGE_BODY),
            3000: (csv_codec.LARGE_BODY, 10**9)}[count]  # fmt: skip
    assert size[0] <= len(body) < size[1]
    values = csv_codec.decode(body, {}).values
    assert values.dtype == np.float32
    np.testing.assert_array_equal(values, rows.astype(np.float32))


def test_text_fields_give_string_records() -> None:
    records = csv_codec.decode(b'56,housemaid,"a, b"\n57,services,\n', {"charset": "utf-8"})
    assert records.values.dtype.kind == "U"
    assert records.values.tolist() == [["56", "housemaid", "a, b"], ["57", "services", ""]]


@pytest.mark.parametrize("rows", [1, 2, 50, 3000])
def test_unquoted_text_bodies_split_as_the_csv_module_splits_them(rows: int) -> None:
    generator = np.random.default_rng(rows)
    words = ["housemaid", "", "admin.", " spaced ", "café", "日本", "x" * 40, "1.5", "\t"]
    lines = [",".join(generator.choice(words, 5)) + ",7" for _ in range(rows)]
    body = "\r\n".join(lines).encode()
    values = csv_codec.decode(body, {}).values
    assert values.dtype.kind == "U"
    assert values.tolist() == [line.split(",") for line in lines]
    assert values.dtype == csv_codec._general("\n".join(lines)).dtype


def test_unquoted_text_bodies_keep_their_text_for_readers_of_their_own() -> None:
    records = csv_codec.decode(b"56,housemaid\r\n57,\r\n", {})
    assert records.text == "56,housemaid\n57,"
    assert csv_codec.decode(b'56,"house, maid"\n', {}).text is None  # quoted: the csv module
    assert csv_codec.decode(b"56,a\x00b\n", {}).text is None  # C readers end a field at NUL
    assert csv_codec.decode(b"1,2\n", {}).text is None  # numbers: float32 values say it all


@pytest.mark.parametrize("quoted", [False, True])
def test_one_long_csv_field_cannot_pad_every_field_to_its_length(quoted: bool) -> None:
    long = '"' + "x" * 3000 + '"' if quoted else "x" * 3000
    with pytest.raises(BadRequest, match="a value of 3000 characters would pad all 20001 values"):
        csv_codec.decode((long + "\n" + "y\n" * 20_000).encode(), {})
    assert csv_codec.decode((long + "\n" + "y\n" * 20).encode(), {}).values.shape == (21, 1)


def test_records_read_their_fields_as_float_reads_them() -> None:
    records = Records(np.array([["1.5", "", "x"], [" 2 ", "1_0", "nan"]]))
    np.testing.assert_array_equal(records.floats([0, 1]), [[1.5, np.nan], [2.0, 10.0]])
    assert np.isnan(Records(records.values[1:]).floats([2])[0, 0])
    with pytest.raises(BadRequest, match="row 1, column 'kind': 'x' is not a number"):
        records.floats([0, 2], ["size", "kind"])
    with pytest.raises(BadRequest, match="row 1, column '3': 'x' is not a number"):
        records.floats([2])
    assert Records(np.ones((2, 3), np.float32)).floats([2, 0]).dtype == np.float64


def test_numbers_after_a_first_text_row_stay_text_and_numbers_numpy_reads_are_numbers() -> None:
    assert csv_codec.decode(b"a,1\n2,3\n", {}).values.tolist() == [["a", "1"], ["2", "3"]]
    assert csv_codec.decode(b"1,x\n2,3\n", {}).values.tolist() == [["1", "x"], ["2", "3"]]
    records = csv_codec.decode(
        b"1_000,nan\n2, 3 \n", {}
    )  # pandas refuses these, float() reads them
    assert records.values.dtype == np.float32
    np.testing.assert_array_equal(records.values, [[1000, np.nan], [2, 3]])


def test_charset_is_honoured() -> None:
    body = "1,café\n".encode("latin-1")
    assert csv_codec.decode(body, {"charset": "latin-1"}).values[0, 1] == "café"
    with pytest.raises(BadRequest, match="not valid utf-8"):
        csv_codec.decode(body, {})
    with pytest.raises(UnsupportedMediaType, match="unknown charset"):
        csv_codec.decode(body, {"charset": "klingon"})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty text/csv body"),
        (b"\n\n", "empty text/csv body"),
        (b"1,2\n3,4,5\n", "row 2 has 3 columns but row 1 has 2"),
        (b"1,2,3\n4\n5,6\n", "row 2 has 1 columns but row 1 has 3"),
        (b"1,2\n\n3,4\n", "row 2 is empty"),
        (b'1,"2\n', "row 1: malformed CSV"),
        (b"a,b\nc,d\ne\n", "row 3 has 1 columns but row 1 has 2"),
        (b"a\nb,c\nd\n", "row 2 has 2 columns but row 1 has 1"),
        (b"a,b\n\nc,d\n", "row 2 is empty"),
    ],
)
def test_malformed_csv_names_the_row(body: bytes, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        csv_codec.decode(body, {})


def test_ragged_rows_that_balance_out_are_still_caught() -> None:
    with pytest.raises(BadRequest, match="row 2 has 1 columns"):
        csv_codec.decode(b"1,2\n3\n4,5,6\n", {})


@pytest.mark.parametrize(
    "body",
    [b"[[1, 2], [3, 4]]", b'{"instances": [[1, 2], [3, 4]]}',
     b'{"instances": [{"features": [1, 2]}, {"features": [3, 4]}]}'],
)  # fmt: skip
def test_json_positional_rows(body: bytes) -> None:
    records = json_codec.decode(body, {})
    assert records.columns is None
    np.testing.assert_array_equal(records.values, [[1, 2], [3, 4]])


def test_json_single_row_and_named_rows() -> None:
    assert json_codec.decode(b"[1, 2, 3]", {}).values.shape == (1, 3)
    named = json_codec.decode(b'[{"a": 1, "b": "x"}, {"b": "y", "a": null}]', {})
    assert named.columns == ("a", "b")
    assert named.values.tolist() == [["1", "x"], ["", "y"]]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[[1, 2], [3]]", "instance 2 has 1 values but instance 1 has 2"),
        (b'{"rows": []}', '"instances"'),
        (b"[]", "no instances"),
        (b'"text"', "not a string"),
        (b'[[1, 2], {"a": 1}]', "each instance must be a list"),
        (b"[[1, [2]]]", "instance 1, column 2: nested list"),
        (b"[[1, 2],", "not valid JSON"),
    ],
)
def test_bad_json_says_what_is_wrong(body: bytes, message: str) -> None:
    with pytest.raises(BadRequest, match=message.replace("[", r"\[")):
        json_codec.decode(body, {})


def test_jsonlines_rows_and_errors() -> None:
    records = jsonlines_codec.decode(b'{"a": 1}\r\n{"a": 2}\n', {})
    assert records.columns == ("a",)
    assert records.values.tolist() == [[1.0], [2.0]]
    with pytest.raises(BadRequest, match="line 2 is not valid JSON"):
        jsonlines_codec.decode(b"[1]\n[2,\n", {})
    with pytest.raises(BadRequest, match="line 2 is empty"):
        jsonlines_codec.decode(b"[1]\n \n[2]\n", {})


def npy(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def test_npy_numeric_strings_and_structured() -> None:
    assert npy_codec.decode(npy(np.arange(6).reshape(2, 3)), {}).values.dtype == np.float32
    assert npy_codec.decode(npy(np.arange(3.0)), {}).values.shape == (1, 3)
    assert npy_codec.decode(npy(np.array([["a", "b"]])), {}).values.dtype.kind == "U"
    table = np.array([(1.0, 2), (3.0, 4)], dtype=[("x", "f8"), ("y", "i4")])
    records = npy_codec.decode(npy(table), {})
    assert records.columns == ("x", "y")
    np.testing.assert_array_equal(records.values, [[1, 2], [3, 4]])


def test_npy_never_unpickles() -> None:
    with pytest.raises(BadRequest, match="allow_pickle"):
        npy_codec.decode(npy(np.array([{"x": 1}], dtype=object), allow_pickle=True), {})


@pytest.mark.parametrize(
    ("body", "message"),
    [(b"", "empty"), (b"not npy", "not a"), (npy(np.zeros((2, 2, 2))), "1-D or 2-D")],
)
def test_bad_npy(body: bytes, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        npy_codec.decode(body, {})


BINARY = Predictions(
    scores=np.array([0.25, 0.875], dtype=np.float32),
    labels=np.array(["no", "yes"]),
    probabilities=np.array([[0.75, 0.25], [0.125, 0.875]], dtype=np.float32),
    classes=("no", "yes"),
)


def test_csv_output_one_line_per_record() -> None:
    assert csv_codec.encode(BINARY, False) == b"0.25\n0.875\n"
    assert csv_codec.encode(BINARY, True) == b"no,0.75,0.25\nyes,0.125,0.875\n"
    regression = Predictions(scores=np.array([1.5, -2.0], dtype=np.float32))
    assert csv_codec.encode(regression, True) == b"1.5\n-2\n"


def test_csv_output_quotes_labels_that_need_it() -> None:
    quoted = Predictions(np.array([0.5]), np.array(['a,"b"']), np.array([[0.5, 0.5]]), ("x", "y"))
    assert csv_codec.encode(quoted, True) == b'"a,""b""",0.5,0.5\n'


def test_plain_arrays_are_written_as_rows() -> None:
    assert csv_codec.encode(np.array([[1.0, 2.0], [3.0, 4.0]]), False) == b"1,2\n3,4\n"
    assert json.loads(json_codec.encode([0.5, 1.5], False)) == {
        "predictions": [{"score": 0.5}, {"score": 1.5}]
    }
    with pytest.raises(InferenceError, match="predict_fn returned dict"):
        csv_codec.encode({"oops": 1}, False)


def test_json_and_jsonlines_output() -> None:
    assert json.loads(json_codec.encode(BINARY, False))["predictions"][1] == {
        "score": 0.875, "predicted_label": "yes",
    }  # fmt: skip
    lines = jsonlines_codec.encode(BINARY, True).decode().splitlines()
    assert json.loads(lines[0])["probabilities"] == {"no": 0.75, "yes": 0.25}
    assert len(lines) == 2


@pytest.mark.parametrize("count", [100, 1000, 20_000], ids=["small", "medium", "large"])
def test_ragged_rows_that_balance_the_comma_count_are_caught(count: int) -> None:
    rows = ["1.5,2.5,3.5"] * count
    rows[count // 2], rows[count // 2 + 10] = "1.5,2.5", "1.5,2.5,3.5,4.5"
    with pytest.raises(BadRequest, match=f"row {count // 2 + 1} has 2 columns but row 1 has 3"):
        csv_codec.decode("\n".join(rows).encode(), {})


def test_a_leading_byte_order_mark_is_not_part_of_the_first_field() -> None:
    records = csv_codec.decode("\ufeff1.5,2\n".encode(), {})
    assert records.values.tolist() == [[1.5, 2.0]]
