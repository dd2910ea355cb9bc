"""The image's ENTRYPOINT: exactly ``train`` or ``serve``, a usage message and exit 2 otherwise."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from container import entrypoint


@pytest.mark.parametrize("argv", [[], ["predict"], ["train", "extra"], ["TRAIN"]])
def test_anything_but_train_or_serve_is_a_usage_error(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert entrypoint.main(argv) == entrypoint.EXIT_USAGE
    error = capsys.readouterr().err
    assert "expected 'train' or 'serve'" in error
    assert "usage: byoa-entrypoint train | serve" in error


def test_help_is_not_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert entrypoint.main(["--help"]) == 0
    assert "SAGEMAKER_BIND_TO_PORT" in capsys.readouterr().out


def test_train_and_serve_run_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def recorder(name: str, code: int) -> Callable[[], int]:
        def command() -> int:
            calls.append(name)
            return code

        return command

    monkeypatch.setitem(entrypoint.COMMANDS, "train", recorder("train", 0))
    monkeypatch.setitem(entrypoint.COMMANDS, "serve", recorder("serve", 3))
    assert entrypoint.main(["train"]) == 0
    assert entrypoint.main(["serve"]) == 3
    assert calls == ["train", "serve"]
