"""Checkpoints: atomic files, newest complete one wins, a stopped job resumes identically."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
import torch

from container.checkpoints import CheckpointSchedule, CheckpointStore, checkpoint_name
from container.local_job import run_job
from container.local_tree import ChannelInput, JobLayout
from tests.conftest import stop_after_first_checkpoint
from tests.fixtures.ddp_algorithm import SPEC
from tests.integration.scale_support import (
    hyperparameters,
    model_weights,
    use_fixture_algorithm,
    write_numeric_csv,
)


def test_save_is_atomic_and_keeps_the_newest(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path, keep=2)
    for step in (1, 2, 3):
        saved = store.save(step, {"weights": torch.full((3,), float(step)), "step": step})
        assert saved.size_bytes > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [checkpoint_name(2), checkpoint_name(3)]
    latest = store.latest()
    assert latest is not None and latest.step == 3
    assert torch.equal(latest.state["weights"], torch.full((3,), 3.0))


def test_a_corrupt_newest_checkpoint_is_skipped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = CheckpointStore(tmp_path)
    store.save(5, {"step": 5})
    good = (tmp_path / checkpoint_name(5)).read_bytes()
    (tmp_path / checkpoint_name(6)).write_bytes(good[: len(good) // 2])
    (tmp_path / f".{checkpoint_name(7)}.123.tmp").write_bytes(good)
    with caplog.at_level(logging.WARNING):
        latest = store.latest()
    assert latest is not None and latest.step == 5
    assert f"skipping checkpoint {tmp_path / checkpoint_name(6)}" in caplog.text


def test_no_checkpoint_means_a_fresh_start(tmp_path: Path) -> None:
    assert CheckpointStore(tmp_path / "absent").latest() is None


def test_schedule_saves_at_the_interval_and_always_on_stop() -> None:
    now = [0.0]
    every_two = CheckpointSchedule(every_epochs=2)
    assert [every_two.due(epoch, stopping=False) for epoch in (1, 2, 3, 4)] == [0, 1, 0, 1]
    assert every_two.due(3, stopping=True)
    timed = CheckpointSchedule(every_epochs=0, every_seconds=10, clock=lambda: now[0])
    assert not timed.due(1, stopping=False)
    now[0] = 11.0
    assert timed.due(2, stopping=False)
    timed.saved()
    assert not timed.due(3, stopping=False)


def _layout(root: Path, data: Path, checkpoints: Path, **values: object) -> JobLayout:
    layout = JobLayout(root, checkpoint_dir=checkpoints)
    layout.create([ChannelInput("train", data, "text/csv")], hyperparameters(**values))
    return layout


def test_stopped_and_restarted_job_ends_with_the_uninterrupted_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_fixture_algorithm(monkeypatch)
    data = write_numeric_csv(tmp_path / "train.csv")
    slow = {"epochs": 4, "step_sleep": 0.02}
    reference = _layout(tmp_path / "reference", data, tmp_path / "reference-checkpoints", **slow)
    assert run_job(reference, SPEC).status == "Completed"

    checkpoints = tmp_path / "checkpoints"
    stopped = _layout(tmp_path / "job", data, checkpoints, **slow)
    log = stop_after_first_checkpoint(stopped, checkpoints)
    assert "received SIGTERM" in log
    saved = CheckpointStore(checkpoints).latest()
    assert saved is not None and saved.state["epoch"] < 4
    (checkpoints / checkpoint_name(99_000_000)).write_bytes(b"cut short by a spot interruption")

    restarted = _layout(tmp_path / "job", data, checkpoints, **slow)
    echo = io.StringIO()
    result = run_job(restarted, SPEC, echo=echo)
    assert result.status == "Completed", result.failure_reason
    assert (
        f"resumed at epoch {saved.state['epoch']} batch {saved.state['batch']}" in echo.getvalue()
    )
    assert f"skipping checkpoint {checkpoints / checkpoint_name(99_000_000)}" in echo.getvalue()
    assert model_weights(restarted) == model_weights(reference)
