"""The image's ENTRYPOINT: ``train``, ``serve``, or nothing (then the ``/opt/ml`` tree decides);
a usage message and exit 2 otherwise."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from container import entrypoint
from container.environment import BASE_DIR_VARIABLE


@pytest.fixture
def commands(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """``train`` and ``serve`` replaced by recorders (exit 0 and 3): the calls, in order."""
    calls: list[str] = []

    def recorder(name: str, code: int) -> Callable[[], int]:
        def command() -> int:
            calls.append(name)
            return code

        return command

    monkeypatch.setitem(entrypoint.COMMANDS, "train", recorder("train", 0))
    monkeypatch.setitem(entrypoint.COMMANDS, "serve", recorder("serve", 3))
    return calls


@pytest.fixture
def base_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty ``/opt/ml`` stand-in, named by ``SAGEMAKER_BASE_DIR``."""
    monkeypatch.setenv(BASE_DIR_VARIABLE, str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("argv", [["predict"], ["train", "extra"], ["TRAIN"]])
def test_anything_but_train_or_serve_is_a_usage_error(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert entrypoint.main(argv) == entrypoint.EXIT_USAGE
    error = capsys.readouterr().err
    assert "expected 'train' or 'serve'" in error
    assert "usage: byoa-entrypoint [train | serve]" in error


def test_no_argument_without_a_training_job_is_a_usage_error(
    base_dir: Path, commands: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    (base_dir / "model").mkdir()  # a hosting tree: a model, no input/config
    assert entrypoint.main([]) == entrypoint.EXIT_USAGE
    error = capsys.readouterr().err
    assert f"no training job configuration in {base_dir / 'input' / 'config'}" in error
    assert "usage: byoa-entrypoint [train | serve]" in error
    assert commands == []


@pytest.mark.parametrize("config_file", entrypoint.TRAINING_CONFIG_FILES)
def test_no_argument_trains_when_the_tree_holds_a_training_job(
    config_file: str, base_dir: Path, commands: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    config_dir = base_dir / "input" / "config"
    config_dir.mkdir(parents=True)
    (config_dir / config_file).write_text("{}")
    assert entrypoint.main([]) == 0
    assert commands == ["train"]
    assert f"training ({config_dir} found)" in capsys.readouterr().err


def test_a_config_folder_without_the_job_files_does_not_train(
    base_dir: Path, commands: list[str]
) -> None:
    (base_dir / "input" / "config" / "resourceconfig.json").mkdir(parents=True)  # not a file
    assert entrypoint.main([]) == entrypoint.EXIT_USAGE
    assert commands == []


def test_help_is_not_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert entrypoint.main(["--help"]) == 0
    assert "SAGEMAKER_BIND_TO_PORT" in capsys.readouterr().out


def test_train_and_serve_run_in_this_process(commands: list[str]) -> None:
    assert entrypoint.main(["train"]) == 0
    assert entrypoint.main(["serve"]) == 3
    assert commands == ["train", "serve"]
