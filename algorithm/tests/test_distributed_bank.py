"""The bundled algorithm scaled out: 2 hosts, Pipe mode and stop/resume on the bank data."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import torch

from algorithm import SPEC
from container.checkpoints import CheckpointStore, checkpoint_name
from container.local_cluster import ClusterLayout, run_cluster
from container.local_job import JobResult, run_job
from container.local_tree import ChannelInput, JobLayout
from tests.conftest import stop_after_first_checkpoint

pytestmark = pytest.mark.slow

HYPERPARAMETERS = {"label": "y", "epochs": "4", "ensemble_size": "2", "hidden_units": "32",
                   "batch_size": "64", "early_stopping_patience": "4"}  # fmt: skip


def bank_channels(small_bank: dict[str, Path], mode: str = "File") -> list[ChannelInput]:
    return [
        ChannelInput(name, path, "text/csv", input_mode=mode) for name, path in small_bank.items()
    ]


def weights(layout: JobLayout) -> list[dict[str, torch.Tensor]]:
    saved = torch.load(layout.base_dir / "model" / "model.pt", weights_only=True)
    members: list[dict[str, torch.Tensor]] = saved["members"]
    return members


def same_weights(first: JobLayout, second: JobLayout) -> bool:
    pairs = list(zip(weights(first), weights(second), strict=True))
    return all(a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a) for a, b in pairs)


def train_one(
    root: Path, channels: list[ChannelInput], checkpoints: Path | None = None
) -> tuple[JobLayout, JobResult, str]:
    layout = JobLayout(root, checkpoint_dir=checkpoints)
    layout.create(channels, HYPERPARAMETERS)
    log = io.StringIO()
    result = run_job(layout, SPEC, echo=log, pipes=channels)
    assert result.status == "Completed", log.getvalue()[-3000:]
    return layout, result, log.getvalue()


@pytest.fixture(scope="module")
def reference(
    small_bank: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[JobLayout, JobResult]:
    """One uninterrupted single-host run in File mode."""
    layout, result, _ = train_one(tmp_path_factory.mktemp("reference"), bank_channels(small_bank))
    return layout, result


def test_two_hosts_reach_the_single_host_auc(
    reference: tuple[JobLayout, JobResult], small_bank: dict[str, Path], tmp_path: Path
) -> None:
    cluster = ClusterLayout(tmp_path, 2)
    cluster.create(bank_channels(small_bank), HYPERPARAMETERS)
    log = io.StringIO()
    result = run_cluster(cluster, SPEC, echo=log, timeout=400)
    assert result.status == "Completed", log.getvalue()[-3000:]
    assert not any((cluster.host("algo-2").base_dir / "model").iterdir())
    assert all(
        line.startswith("[algo-1]") for line in log.getvalue().splitlines() if "#metric" in line
    )
    single = reference[1].metrics["validation:auc"]
    assert abs(result.master.metrics["validation:auc"] - single) < 0.01
    assert not same_weights(cluster.master, reference[0]), "2 hosts must really train together"


def test_pipe_mode_model_equals_file_mode_model(
    reference: tuple[JobLayout, JobResult], small_bank: dict[str, Path], tmp_path: Path
) -> None:
    layout, _, log = train_one(tmp_path, bank_channels(small_bank, "Pipe"))
    assert "channel train: reading epoch 0 from FIFO" in log
    assert "channel validation: reading epoch 0 from FIFO" in log
    assert same_weights(layout, reference[0])


def test_stopped_job_resumes_to_the_uninterrupted_model(
    reference: tuple[JobLayout, JobResult], small_bank: dict[str, Path], tmp_path: Path
) -> None:
    checkpoints = tmp_path / "checkpoints"
    layout = JobLayout(tmp_path / "job", checkpoint_dir=checkpoints)
    layout.create(bank_channels(small_bank), HYPERPARAMETERS)
    output = stop_after_first_checkpoint(layout, checkpoints, timeout=300)
    assert "received SIGTERM" in output, output[-3000:]
    saved = CheckpointStore(checkpoints).latest()
    assert saved is not None and saved.state["member"] == 0, "stopped before the end"
    (checkpoints / checkpoint_name(10**15)).write_bytes(b"\x00" * 100)

    layout.create(bank_channels(small_bank), HYPERPARAMETERS)
    log = io.StringIO()
    result = run_job(layout, SPEC, echo=log)
    assert result.status == "Completed", log.getvalue()[-3000:]
    assert f"resuming from checkpoint {saved.step} " in log.getvalue()
    assert "skipping checkpoint" in log.getvalue()
    assert same_weights(layout, reference[0])


def test_a_checkpoint_of_other_settings_is_a_clear_failure(
    small_bank: dict[str, Path], tmp_path: Path
) -> None:
    checkpoints = tmp_path / "checkpoints"
    train_one(tmp_path / "first", bank_channels(small_bank), checkpoints)
    layout = JobLayout(tmp_path / "second", checkpoint_dir=checkpoints)
    layout.create(bank_channels(small_bank), {**HYPERPARAMETERS, "hidden_units": "16"})
    result = run_job(layout, SPEC, echo=io.StringIO())
    assert result.status == "Failed"
    assert result.failure_reason is not None
    assert "written by a job with other hyperparameters" in result.failure_reason.splitlines()[0]
