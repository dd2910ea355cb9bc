"""Bad training inputs, one table: each case lays out an ``/opt/ml`` tree, runs the real ``train``
entrypoint and expects exit 1 and a failure file (within SageMaker's 1,024 characters of
FailureReason) whose first line names the file, variable, channel or line that is wrong.

Most cases fail before any training; the rest train on 40 rows for one epoch.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from container.failure import FAILURE_REASON_LIMIT
from tests.conftest import make_job, run_train

HYPERPARAMETERS = {"label": "y", "epochs": "1"}
HEADER = "y,age,job\n"


def rows(count: int = 40) -> list[str]:
    rng = np.random.default_rng(0)
    return [
        f"{rng.choice(['no', 'yes'])},{rng.integers(18, 90)},{rng.choice(['a', 'b'])}\n"
        for _ in range(count)
    ]


def good_csv() -> str:
    return HEADER + "".join(rows())


@dataclass(frozen=True)
class Case:
    """One bad input: what to change in a good job, and what the first line must say."""

    name: str
    expected: tuple[str, ...]
    files: Callable[[Path], None] = lambda config: None  # edits /opt/ml/input/config
    data: Callable[[Path], None] = lambda train: None  # edits /opt/ml/input/data/train
    env: dict[str, str] = field(default_factory=dict)
    hyperparameters: dict[str, str] = field(default_factory=dict)


def write(name: str, text: str | bytes) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        path = folder / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)

    return edit


def edit_json(name: str, change: Callable[[dict[str, object]], object]) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        path = folder / name
        data = json.loads(path.read_text())
        path.write_text(json.dumps(change(data)))

    return edit


def channel_field(key: str, value: object) -> Callable[[Path], None]:
    def change(data: dict[str, object]) -> object:
        train = data["train"]
        assert isinstance(train, dict)
        train[key] = value
        return data

    return edit_json("inputdataconfig.json", change)


def replace_train(text: str | bytes, name: str = "train.csv") -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        for path in folder.iterdir():
            path.unlink()
        write(name, text)(folder)

    return edit


def as_directory(name: str) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        (folder / name).unlink()
        (folder / name).mkdir()

    return edit


GOOD_GZIP = gzip.compress(good_csv().encode())
LINES = good_csv().splitlines(keepends=True)

CASES = [
    # the config files
    Case("hyperparameters not JSON", ("hyperparameters.json is not valid JSON", "line 1"),
         files=write("hyperparameters.json", '{"epochs": "1",')),
    Case("hyperparameters a list", ("hyperparameters.json holds a JSON array", "JSON object"),
         files=write("hyperparameters.json", '["epochs"]')),
    Case("hyperparameters not UTF-8", ("hyperparameters.json is not UTF-8",),
         files=write("hyperparameters.json", b'{"label": "\xff"}')),
    Case("hyperparameters a folder", ("hyperparameters.json cannot be read",),
         files=as_directory("hyperparameters.json")),
    Case("inputdataconfig not JSON", ("inputdataconfig.json is not valid JSON",),
         files=write("inputdataconfig.json", "train: File")),
    Case("channel entry not an object", ("inputdataconfig.json: channel 'train' is the string",),
         files=write("inputdataconfig.json", '{"train": "File"}')),
    Case("input mode unknown", ("channel 'train': TrainingInputMode 'Stream' is not one of",),
         files=channel_field("TrainingInputMode", "Stream")),
    Case("compression unknown", ("channel 'train': CompressionType 'Zip' is not one of",),
         files=channel_field("CompressionType", "Zip")),
    Case("distribution unknown", ("S3DistributionType 'Sharded' is not one of",),
         files=channel_field("S3DistributionType", "Sharded")),
    Case("content type not a string", ("channel 'train': ContentType is the value 3",),
         files=channel_field("ContentType", 3)),
    Case("resourceconfig not JSON", ("resourceconfig.json is not valid JSON",),
         files=write("resourceconfig.json", "{hosts: [algo-1]}")),
    Case("current_host not among hosts",
         ("resourceconfig.json: current_host 'algo-9' is not among hosts ['algo-1']",),
         files=edit_json("resourceconfig.json", lambda d: {**d, "current_host": "algo-9"})),
    Case("hosts empty", ("resourceconfig.json: hosts is []", "non-empty list"),
         files=edit_json("resourceconfig.json", lambda d: {**d, "hosts": []})),
    Case("hosts twice", ("resourceconfig.json: hosts lists ['algo-1'] more than once",),
         files=edit_json("resourceconfig.json", lambda d: {**d, "hosts": ["algo-1", "algo-1"]})),
    Case("network interface not a string", ("resourceconfig.json: network_interface_name is",),
         files=edit_json("resourceconfig.json", lambda d: {**d, "network_interface_name": 0})),
    Case("checkpointconfig not JSON", ("checkpointconfig.json is not valid JSON",),
         files=write("checkpointconfig.json", "LocalPath=/opt/ml/checkpoints")),
    Case("checkpoint path not a string", ("checkpointconfig.json: LocalPath is null",),
         files=write("checkpointconfig.json", '{"LocalPath": null}')),
    # the variables
    Case("SM_NUM_GPUS not a number", ("SM_NUM_GPUS='one' is not a whole number",),
         env={"SM_NUM_GPUS": "one"}),
    Case("SM_NUM_GPUS negative", ("SM_NUM_GPUS=-1 is out of range",), env={"SM_NUM_GPUS": "-1"}),
    Case("processes per host", ("BYOA_PROCESSES_PER_HOST='two' is not a whole number",),
         env={"BYOA_PROCESSES_PER_HOST": "two"}),
    Case("master port", ("BYOA_MASTER_PORT=70000 is out of range", "1 to 65535"),
         env={"BYOA_MASTER_PORT": "70000"}),
    Case("dist timeout", ("BYOA_DIST_TIMEOUT_SECONDS='soon' is not a number of seconds",),
         env={"BYOA_DIST_TIMEOUT_SECONDS": "soon"}),
    Case("pipe wait", ("BYOA_PIPE_WAIT_SECONDS='-5' is not a number of seconds",),
         env={"BYOA_PIPE_WAIT_SECONDS": "-5"}),
    Case("dns wait", ("BYOA_DNS_WAIT_SECONDS='inf' is not a number of seconds",),
         env={"BYOA_DNS_WAIT_SECONDS": "inf"}),
    Case("host addresses", ("BYOA_HOST_ADDRESSES: 'algo-1' is not HOST=ADDRESS",),
         env={"BYOA_HOST_ADDRESSES": "algo-1"}),
    Case("local rank", ("BYOA_LOCAL_RANK='first' is not a whole number",),
         env={"BYOA_LOCAL_RANK": "first"}),
    Case("log level", ("BYOA_LOG_LEVEL='LOUD' is not a log level",),
         env={"BYOA_LOG_LEVEL": "LOUD"}),
    Case("algorithm module", ("cannot import the algorithm module 'no_such_algorithm'",
                              "BYOA_ALGORITHM"),
         env={"BYOA_ALGORITHM": "no_such_algorithm"}),
    # hyperparameters and channels against the spec
    Case("unknown hyperparameter", ("unknown hyperparameter 'epoch' (did you mean 'epochs'?)",),
         hyperparameters={"epoch": "1"}),
    Case("epochs not an integer", ("hyperparameter 'epochs': 'many' is not an integer",),
         hyperparameters={"epochs": "many"}),
    Case("unsupported content type", ("channel 'train': content type 'application/x-parquet'",),
         files=channel_field("ContentType", "application/x-parquet")),
    # the data
    Case("corrupt gzip", ("channel 'train', file train.csv.gz: corrupt gzip compression",),
         data=replace_train(GOOD_GZIP[:10] + b"\x00" * 40 + GOOD_GZIP[50:], "train.csv.gz")),
    Case("truncated gzip", ("file train.csv.gz: corrupt gzip compression, it is truncated",),
         data=replace_train(GOOD_GZIP[: len(GOOD_GZIP) // 2], "train.csv.gz")),
    Case("short row", ("channel 'train', file train.csv, line 6: 2 fields where line 1 has 3",),
         data=replace_train("".join(LINES[:5]) + "yes,40\n" + "".join(LINES[5:]))),
    Case("long row", ("channel 'train', file train.csv, line 4: 4 fields where line 1 has 3",),
         data=replace_train("".join(LINES[:3]) + "yes,40,a,7\n" + "".join(LINES[3:]))),
    Case("short last row without newline", ("file train.csv, line 42: 1 fields where line 1",),
         data=replace_train(good_csv() + "no")),
    Case("empty channel", ("channel 'train' is empty",), data=replace_train("", "empty.csv")),
    Case("header only", ("channel 'train' has a header but no data rows",),
         data=replace_train(HEADER)),
    Case("label missing in a row", ("channel 'train': the label is missing in row 3",),
         data=replace_train("".join(LINES[:3]) + ",40,a\n" + "".join(LINES[3:]))),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_training_input_ends_in_a_failure_file_that_names_it(
    case: Case, tmp_path: Path
) -> None:
    source = tmp_path / "train.csv"
    source.write_text(good_csv())
    layout = make_job(
        tmp_path / "job", {"train": source}, {**HYPERPARAMETERS, **case.hyperparameters}
    )
    case.files(layout.base_dir / "input" / "config")
    case.data(layout.data_dir / "train")
    result = run_train(layout, case.env, timeout=120)
    assert result.returncode == 1, result.stderr[-2000:]
    assert layout.failure_file.is_file(), result.stderr[-2000:]
    text = layout.failure_file.read_text()
    first_line = text.splitlines()[0]
    assert len(first_line) <= FAILURE_REASON_LIMIT
    for expected in case.expected:
        assert expected in first_line, text[:FAILURE_REASON_LIMIT]
    assert "unexpected error in the algorithm" not in first_line
    assert not any((layout.base_dir / "model").iterdir())


def test_the_corpus_has_at_least_thirty_cases() -> None:
    assert len(CASES) >= 30
    assert len({case.name for case in CASES}) == len(CASES)


def test_the_good_job_the_cases_start_from_trains(tmp_path: Path) -> None:
    """Without the change, each case's job succeeds: the failures come from the bad input."""
    source = tmp_path / "train.csv"
    source.write_text(good_csv())
    layout = make_job(tmp_path / "job", {"train": source}, HYPERPARAMETERS)
    result = run_train(layout, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert not layout.failure_file.exists()
    assert pd.read_csv(source).shape == (40, 3)
