"""``/ping``, ``/invocations`` and ``/execution-parameters`` against a real gunicorn on loopback."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import numpy as np
import pytest
import requests

from serve.codecs.csv_codec import decode
from serve.process import ServerProcess
from tests.fixtures.tabular import model_fn, predict_fn
from tests.integration.serve_support import TrainedModel, running_server

CSV = {"Content-Type": "text/csv"}


@pytest.fixture(scope="module")
def server(model: TrainedModel) -> Iterator[ServerProcess]:
    yield from running_server(model.model_dir)


@pytest.fixture(scope="module")
def expected(model: TrainedModel) -> np.ndarray:
    """The positive-class probabilities of the first 50 rows, computed in this process."""
    scores: np.ndarray = predict_fn(decode(model.csv(50), {}), model_fn(model.model_dir)).scores
    return scores


def post(server: ServerProcess, body: bytes, **headers: str) -> requests.Response:
    return requests.post(f"{server.url}/invocations", data=body, headers=headers, timeout=30)


def error_of(response: requests.Response) -> str:
    assert response.headers["Content-Type"] == "application/json"
    message: str = response.json()["error"]
    return message


def test_ping_is_200_once_loaded(server: ServerProcess) -> None:
    assert requests.get(f"{server.url}/ping", timeout=2).status_code == 200


def test_csv_default_is_one_positive_probability_per_line(
    server: ServerProcess, model: TrainedModel, expected: np.ndarray
) -> None:
    response = post(server, model.csv(50), **CSV)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv"
    lines = response.text.splitlines()
    assert len(lines) == 50
    np.testing.assert_allclose([float(x) for x in lines], expected, rtol=1e-5)


def test_csv_with_charset_and_crlf(server: ServerProcess, model: TrainedModel) -> None:
    body = model.csv(3).replace(b"\n", b"\r\n")
    response = post(server, body, **{"Content-Type": "text/csv; charset=utf-8"})
    assert response.status_code == 200
    assert len(response.text.splitlines()) == 3


def test_json_rows_objects_and_instances(
    server: ServerProcess, model: TrainedModel, expected: np.ndarray
) -> None:
    frame = model.rows.iloc[:5]
    lists = json.loads(frame.to_json(orient="values"))
    objects = json.loads(frame.to_json(orient="records"))
    for body in (lists, {"instances": lists}, {"instances": objects}, objects):
        response = post(server, json.dumps(body).encode(), **{"Content-Type": "application/json"})
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"] == "text/csv"
        np.testing.assert_allclose(
            [float(x) for x in response.text.split()], expected[:5], rtol=1e-5
        )


def test_objects_in_any_key_order_give_the_same_answer(
    server: ServerProcess, model: TrainedModel, expected: np.ndarray
) -> None:
    records = json.loads(model.rows.iloc[:3].to_json(orient="records"))
    shuffled = [dict(reversed(list(r.items()))) for r in records]
    response = post(server, json.dumps(shuffled).encode(), **{"Content-Type": "application/json"})
    np.testing.assert_allclose([float(x) for x in response.text.split()], expected[:3], rtol=1e-5)


def test_jsonlines_in_and_out_line_for_line(server: ServerProcess, model: TrainedModel) -> None:
    body = model.rows.iloc[:7].to_json(orient="records", lines=True).encode()
    response = post(server, body, **{"Content-Type": "application/jsonlines",
                                     "Accept": "application/jsonlines"})  # fmt: skip
    assert response.headers["Content-Type"] == "application/jsonlines"
    lines = response.text.splitlines()
    assert len(lines) == 7
    assert set(json.loads(lines[0])) == {"score", "predicted_label"}


def test_npy_numeric_model_input_is_decoded_without_pickle(server: ServerProcess) -> None:
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    response = post(server, buffer.getvalue(), **{"Content-Type": "application/x-npy"})
    assert response.status_code == 400
    assert "allow_pickle" in error_of(response) or "Object arrays" in error_of(response)


def test_npy_string_rows_are_served(server: ServerProcess, model: TrainedModel) -> None:
    buffer = io.BytesIO()
    np.save(buffer, model.rows.iloc[:4].to_numpy(dtype=str))
    response = post(server, buffer.getvalue(), **{"Content-Type": "application/x-npy"})
    assert response.status_code == 200, response.text
    assert len(response.text.splitlines()) == 4


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("application/json", "application/json"),
        ("application/xml, application/jsonlines;q=0.5", "application/jsonlines"),
        ("application/json;q=0.2, text/csv;q=0.9", "text/csv"),
        ("*/*", "text/csv"),
        ("application/*", "application/json"),
        ("text/csv;q=0, */*;q=0.1", "application/json"),
    ],
)
def test_accept_negotiation(
    server: ServerProcess, model: TrainedModel, accept: str, content_type: str
) -> None:
    response = post(server, model.csv(2), Accept=accept, **CSV)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type


def test_verbose_csv_through_accept_or_custom_attribute(
    server: ServerProcess, model: TrainedModel
) -> None:
    by_accept = post(server, model.csv(4), Accept="text/csv; verbose=true", **CSV)
    by_attribute = post(server, model.csv(4), **CSV,
                        **{"X-Amzn-SageMaker-Custom-Attributes": "verbose=true"})  # fmt: skip
    assert by_accept.text == by_attribute.text
    for line in by_accept.text.splitlines():
        label, no, yes = line.split(",")
        assert label in ("no", "yes")
        assert abs(float(no) + float(yes) - 1) < 1e-5
        assert label == ("yes" if float(yes) >= 0.5 else "no")
    assert by_attribute.headers["X-Amzn-SageMaker-Custom-Attributes"] == "verbose=true"


def test_verbose_json_names_classes(server: ServerProcess, model: TrainedModel) -> None:
    response = post(server, model.csv(2), Accept="application/json;verbose=true", **CSV)
    entry = response.json()["predictions"][0]
    assert set(entry["probabilities"]) == {"no", "yes"}


def test_execution_parameters_fit_the_workers_and_the_limit(server: ServerProcess) -> None:
    response = requests.get(f"{server.url}/execution-parameters", timeout=5)
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {
        "MaxConcurrentTransforms": 4, "BatchStrategy": "MULTI_RECORD", "MaxPayloadInMB": 6,
    }  # fmt: skip


def test_unsupported_content_type_is_415(server: ServerProcess, model: TrainedModel) -> None:
    response = post(server, model.csv(1), **{"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert "text/csv" in error_of(response)


def test_missing_content_type_is_415(server: ServerProcess, model: TrainedModel) -> None:
    response = requests.post(f"{server.url}/invocations", data=model.csv(1),
                             headers={"Content-Type": ""}, timeout=10)  # fmt: skip
    assert response.status_code == 415


def test_unacceptable_accept_is_406(server: ServerProcess, model: TrainedModel) -> None:
    response = post(server, model.csv(1), Accept="application/xml, text/html", **CSV)
    assert response.status_code == 406
    assert "application/jsonlines" in error_of(response)


def test_empty_body_is_400(server: ServerProcess) -> None:
    response = post(server, b"", **CSV)
    assert response.status_code == 400
    assert "empty" in error_of(response)


def test_wrong_column_count_names_the_expected_columns(server: ServerProcess) -> None:
    response = post(server, b"1,2,3\n", **CSV)
    assert response.status_code == 400
    assert "expected 20 columns per row, got 3" in error_of(response)


def test_ragged_csv_names_the_row(server: ServerProcess, model: TrainedModel) -> None:
    rows = model.csv(3).splitlines()
    body = b"\n".join([rows[0], rows[1] + b",extra", rows[2]])
    response = post(server, body, **CSV)
    assert response.status_code == 400
    assert error_of(response).startswith("row 2 has 21 columns but row 1 has 20")


def test_malformed_csv_quote_names_the_row(server: ServerProcess, model: TrainedModel) -> None:
    body = model.csv(2) + b'56,"housemaid\n'
    response = post(server, body, **CSV)
    assert response.status_code == 400
    assert error_of(response).startswith("row 3: malformed CSV")


def test_text_in_a_numeric_column_names_row_and_column(
    server: ServerProcess, model: TrainedModel
) -> None:
    rows = model.csv(3).splitlines()
    rows[2] = b"forty," + rows[2].split(b",", 1)[1]
    response = post(server, b"\n".join(rows), **CSV)
    assert response.status_code == 400
    assert "row 3, column 'age'" in error_of(response)


def test_malformed_json_says_where(server: ServerProcess) -> None:
    response = post(server, b"[[1, 2], [3,", **{"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "line 1 column" in error_of(response)


def test_malformed_jsonlines_names_the_line(server: ServerProcess, model: TrainedModel) -> None:
    body = model.rows.iloc[:2].to_json(orient="records", lines=True).encode() + b"{oops\n"
    response = post(server, body, **{"Content-Type": "application/jsonlines"})
    assert response.status_code == 400
    assert error_of(response).startswith("line 3 is not valid JSON")


def test_missing_feature_in_objects_is_named(server: ServerProcess, model: TrainedModel) -> None:
    record = json.loads(model.rows.iloc[:1].to_json(orient="records"))[0]
    del record["euribor3m"]
    response = post(server, json.dumps([record]).encode(), **{"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "euribor3m" in error_of(response)


def test_request_over_the_payload_limit_is_413(server: ServerProcess) -> None:
    response = post(server, b"1," * (3 * 1024 * 1024 + 1), **CSV)
    assert response.status_code == 413
    assert "6 MB" in error_of(response)
    assert requests.get(f"{server.url}/ping", timeout=2).status_code == 200


def test_unknown_headers_are_ignored(server: ServerProcess, model: TrainedModel) -> None:
    headers = {"X-Amzn-SageMaker-Target-Variant": "AllTraffic", "X-Whatever": "1", **CSV}
    assert post(server, model.csv(1), **headers).status_code == 200


def test_other_methods_on_invocations_are_405_and_unknown_paths_404(server: ServerProcess) -> None:
    response = requests.get(f"{server.url}/invocations", timeout=5)
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert "POST" in error_of(response)
    assert requests.post(f"{server.url}/nowhere", data=b"1", timeout=5).status_code == 404
    assert requests.post(f"{server.url}/ping", data=b"1", timeout=5).status_code == 405


def test_chunked_body_without_content_length_is_served(
    server: ServerProcess, model: TrainedModel
) -> None:
    lines = model.csv(3).splitlines(keepends=True)
    response = requests.post(
        f"{server.url}/invocations", data=iter(lines), headers=CSV, timeout=30
    )  # a generator body goes out with Transfer-Encoding: chunked
    assert response.status_code == 200
    assert len(response.text.splitlines()) == 3
