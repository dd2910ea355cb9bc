"""The real ``train`` entrypoint as a child process on an emulated /opt/ml tree."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from container.metrics import metric_definitions
from tests.conftest import FAST_HYPERPARAMETERS, REPO_ROOT, make_job, run_train
from tests.fixtures.tabular import SPEC

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "contract"


def first_line(path: Path) -> str:
    return path.read_text().splitlines()[0]


def test_success_writes_model_report_and_scrapable_metrics(
    tmp_path: Path, small_bank: dict[str, Path]
) -> None:
    layout = make_job(tmp_path, small_bank)
    result = run_train(layout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert {p.name for p in (layout.base_dir / "model").iterdir()} == {"softmax.json"}
    assert (layout.base_dir / "output" / "data" / "evaluation.json").exists()
    assert not layout.failure_file.exists()
    scraped = {
        d["Name"]: re.findall(d["Regex"], result.stdout) for d in metric_definitions(SPEC.metrics)
    }
    assert len(scraped["validation:accuracy"]) == 1
    assert 0.5 < float(scraped["validation:accuracy"][0]) <= 1.0


def test_sdk_encoded_hyperparameters_and_reserved_keys_are_accepted(
    tmp_path: Path, small_bank: dict[str, Path]
) -> None:
    hyperparameters = {k: json.dumps(v) for k, v in FAST_HYPERPARAMETERS.items()}
    hyperparameters |= {
        "sagemaker_program": '"train.py"',
        "sagemaker_region": '"eu-west-1"',
        "_tuning_objective_metric": '"validation:auc"',
    }
    result = run_train(make_job(tmp_path, small_bank, hyperparameters))
    assert result.returncode == 0, result.stderr
    assert "Set aside reserved hyperparameters" in result.stderr


def test_headerless_gzip_nested_channel_with_label_first(
    tmp_path: Path, small_bank: dict[str, Path]
) -> None:
    frame = pd.read_csv(small_bank["train"])
    frame = frame[["y"] + [c for c in frame.columns if c != "y"]]
    nested = tmp_path / "data" / "2026" / "11"
    nested.mkdir(parents=True)
    half = len(frame) // 2
    frame.iloc[:half].to_csv(
        nested / "part-0.csv.gz", header=False, index=False, compression="gzip"
    )
    frame.iloc[half:].to_csv(tmp_path / "data" / "part-1.csv", header=False, index=False)
    hyperparameters = {k: v for k, v in FAST_HYPERPARAMETERS.items() if k != "label"}
    layout = make_job(tmp_path / "job", {"train": tmp_path / "data"}, hyperparameters)
    result = run_train(layout)
    assert result.returncode == 0, result.stderr
    assert "(1500 rows, 21 columns)" in result.stderr
    model = json.loads((layout.base_dir / "model" / "softmax.json").read_text())
    assert model["classes"] == ["no", "yes"]


@pytest.mark.parametrize(
    ("hyperparameters", "channels", "content_types", "expected_first_line"),
    [
        ({"epoch": "2"}, ("train",), {}, "unknown hyperparameter 'epoch' (did you mean 'epochs'?)"),
        ({"epochs": "0"}, ("train",), {}, "hyperparameter 'epochs': 0 is out of range [1, 100000]"),
        ({}, ("validation",), {}, "required channel 'train' is missing"),
        ({}, ("train",), {"train": "application/x-parquet"},
         "channel 'train': content type 'application/x-parquet' is not supported; use text/csv"),
        ({}, ("train", "valdation"), {},
         "unknown channel 'valdation' (did you mean 'validation'?)"),
    ],
)  # fmt: skip
def test_configuration_errors_reach_the_failure_file_first(
    tmp_path: Path,
    small_bank: dict[str, Path],
    hyperparameters: dict[str, str],
    channels: tuple[str, ...],
    content_types: dict[str, str],
    expected_first_line: str,
) -> None:
    sources = {name: small_bank.get(name, small_bank["validation"]) for name in channels}
    layout = make_job(tmp_path, sources, {"label": "y", **hyperparameters}, content_types)
    result = run_train(layout)
    assert result.returncode == 1
    assert first_line(layout.failure_file).startswith(expected_first_line)
    assert not any((layout.base_dir / "model").iterdir())


def test_empty_channel_is_a_clear_failure(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "part-0.csv").write_text("")
    layout = make_job(tmp_path / "job", {"train": empty})
    assert run_train(layout).returncode == 1
    assert first_line(layout.failure_file).startswith("channel 'train' is empty")


def test_algorithm_that_writes_no_model_fails(tmp_path: Path, small_bank: dict[str, Path]) -> None:
    layout = make_job(tmp_path, small_bank)
    result = run_train(layout, env={"PYTHONPATH": str(FIXTURES), "BYOA_ALGORITHM": "forgetful"})
    assert result.returncode == 1
    assert first_line(layout.failure_file).startswith(
        "the algorithm finished without writing a model"
    )


def test_unexpected_exception_reason_comes_before_the_traceback(
    tmp_path: Path, small_bank: dict[str, Path]
) -> None:
    layout = make_job(tmp_path, small_bank)
    result = run_train(layout, env={"PYTHONPATH": str(FIXTURES), "BYOA_ALGORITHM": "crashing"})
    assert result.returncode == 1
    text = layout.failure_file.read_text()
    assert text.splitlines()[0] == (
        "unexpected error in the algorithm: ZeroDivisionError: "
        "the learning rate schedule divided by zero"
    )
    assert text.index("Traceback") > len(text.splitlines()[0])


def test_missing_algorithm_module_is_a_clear_failure(
    tmp_path: Path, small_bank: dict[str, Path]
) -> None:
    layout = make_job(tmp_path, small_bank)
    assert run_train(layout, env={"BYOA_ALGORITHM": "no_such_algorithm"}).returncode == 1
    assert first_line(layout.failure_file).startswith(
        "cannot import the algorithm module 'no_such_algorithm'"
    )


needs_unshare = pytest.mark.skipif(
    shutil.which("unshare") is None or os.geteuid() != 0,
    reason="needs root and unshare for a PID namespace",
)


def start_as_pid_one(command: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], int]:
    """Start ``command`` as PID 1 of a new PID namespace; return the process and its host PID."""
    process = subprocess.Popen(
        ["unshare", "--pid", "--fork", "--mount-proc", *command],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO_ROOT,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        if children:
            return process, int(children[0])
        time.sleep(0.05)
    process.kill()
    raise AssertionError("the forked child did not appear")


@needs_unshare
def test_pid_one_without_a_handler_ignores_sigterm() -> None:
    """The control: proves the namespace really gives PID-1 signal semantics."""
    process, pid = start_as_pid_one(
        [sys.executable, "-c", "import time; time.sleep(20)"], dict(os.environ)
    )
    try:
        os.kill(pid, signal.SIGTERM)
        with pytest.raises(subprocess.TimeoutExpired):
            process.wait(timeout=1.5)
    finally:
        os.kill(pid, signal.SIGKILL)
        process.wait(timeout=10)


@needs_unshare
def test_sigterm_to_train_as_pid_one_saves_and_exits_within_the_grace_period(
    tmp_path: Path, small_bank: dict[str, Path]
) -> None:
    long_run = {**FAST_HYPERPARAMETERS, "epochs": "100000"}
    layout = make_job(tmp_path, small_bank, long_run)
    env = {**os.environ, "SAGEMAKER_BASE_DIR": str(layout.base_dir)}
    process, pid = start_as_pid_one([sys.executable, "-m", "container.train"], env)
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("#metric"):
            break
    signalled = time.monotonic()
    os.kill(pid, signal.SIGTERM)
    output = process.communicate(timeout=110)[0]
    assert time.monotonic() - signalled < 60
    assert process.returncode == 0, output
    assert "received SIGTERM" in output
    assert (layout.base_dir / "model" / "softmax.json").exists()
    assert not layout.failure_file.exists()
