"""Multi-host training on loopback: real ``train`` processes joined by torch.distributed (Gloo)."""

from __future__ import annotations

import io
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from container import distributed, launcher, training_settings
from container.checkpoints import CheckpointStore
from container.errors import ConfigError, TrainingError
from container.job import Cluster
from container.local_cluster import ClusterLayout, cluster_environment, free_port, run_cluster
from container.local_job import TRAIN_COMMAND, run_job
from container.local_tree import ChannelInput, JobLayout
from container.training_settings import DistributedSettings, host_addresses
from tests.fixtures.ddp_algorithm import SPEC
from tests.integration.scale_support import (
    hyperparameters,
    model_weights,
    use_fixture_algorithm,
    write_numeric_csv,
)

SLOW_STEPS = {"epochs": 4, "step_sleep": 0.02}


@pytest.mark.parametrize(("rows", "world"), [(10, 1), (10, 2), (11, 2), (7, 3), (2, 4)])
def test_shards_cover_every_row_with_equal_sizes(rows: int, world: int) -> None:
    shards = [distributed.shard_indices(rows, rank, world) for rank in range(world)]
    assert len({len(shard) for shard in shards}) == 1
    assert set(np.concatenate(shards)) == set(range(rows))


def test_sharded_by_s3_key_is_read_whole_by_each_host() -> None:
    host_2 = Cluster(("algo-1", "algo-2"), "algo-2", "eth0", 0)
    whole = distributed.channel_shard(9, host_2, distributed.SHARDED_BY_S3_KEY)
    split = distributed.channel_shard(9, host_2, distributed.FULLY_REPLICATED)
    assert list(whole) == list(range(9))
    assert list(split) == [1, 3, 5, 7, 0]


def test_global_rank_counts_hosts_then_local_processes() -> None:
    cluster = Cluster(("algo-1", "algo-2"), "algo-2", "eth0", 4, local_rank=3, local_world_size=4)
    assert (cluster.host_rank, cluster.rank, cluster.world_size) == (1, 7, 8)
    assert not cluster.is_master and cluster.master_host == "algo-1"


def test_one_process_per_gpu_on_gpu_hosts_one_on_cpu() -> None:
    assert launcher.processes_per_host(num_gpus=8, cuda_available=True) == 8
    assert launcher.processes_per_host(num_gpus=0, cuda_available=False) == 1
    assert launcher.processes_per_host(num_gpus=8, cuda_available=False) == 1
    assert launcher.processes_per_host(num_gpus=0, cuda_available=False, override=2) == 2


def test_host_resolution_retries_with_back_off_then_gives_up() -> None:
    answers: list[str | OSError] = [OSError("not yet"), OSError("not yet"), "10.0.0.2"]
    sleeps: list[float] = []

    def lookup(host: str) -> str:
        answer = answers.pop(0)
        if isinstance(answer, OSError):
            raise answer
        return answer

    assert distributed.resolve_host("algo-2", 60, lookup, sleeps.append) == "10.0.0.2"
    assert sleeps == [0.1, 0.2]

    def never(host: str) -> str:
        raise OSError("Name or service not known")

    with pytest.raises(TrainingError, match="host algo-2 did not resolve within 1 s"):
        distributed.resolve_host("algo-2", 1, never, sleeps.append)


def test_address_overrides_are_parsed_and_checked() -> None:
    overrides = host_addresses("algo-1=127.0.0.1, algo-2=127.0.0.1")
    settings = DistributedSettings(host_addresses=overrides, dns_wait_seconds=0)
    assert distributed.resolve_hosts(["algo-2"], settings) == {"algo-2": "127.0.0.1"}
    with pytest.raises(ConfigError, match="'algo-3' is not HOST=ADDRESS"):
        host_addresses("algo-3")


@pytest.fixture(scope="module")
def numeric_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_numeric_csv(tmp_path_factory.mktemp("numeric") / "train.csv")


@pytest.fixture(scope="module")
def two_hosts(
    tmp_path_factory: pytest.TempPathFactory, numeric_data: Path
) -> Iterator[tuple[ClusterLayout, str]]:
    """An uninterrupted 2-host job (the reference for the other tests) and its log."""
    with pytest.MonkeyPatch.context() as patch:
        use_fixture_algorithm(patch)
        cluster = ClusterLayout(tmp_path_factory.mktemp("two-hosts"), 2)
        cluster.create(
            [ChannelInput("train", numeric_data, "text/csv")], hyperparameters(**SLOW_STEPS)
        )
        log = io.StringIO()
        result = run_cluster(cluster, SPEC, echo=log, timeout=240)
        assert result.status == "Completed", log.getvalue()[-3000:]
        assert result.exit_codes == {"algo-1": 0, "algo-2": 0}
        yield cluster, log.getvalue()


def test_two_hosts_train_together_and_only_the_master_writes(
    two_hosts: tuple[ClusterLayout, str],
) -> None:
    cluster, log = two_hosts
    assert "rank 0 of 2, master algo-1" in log and "rank 1 of 2, master algo-1" in log
    assert "interface lo" in log
    assert (cluster.master.base_dir / "model" / "model.json").exists()
    assert not any((cluster.host("algo-2").base_dir / "model").iterdir())
    assert cluster.master.model_archive.exists()
    metric_lines = [line for line in log.splitlines() if "#metric" in line]
    assert metric_lines and all(line.startswith("[algo-1]") for line in metric_lines)
    assert "#metric train:rows=200 step=4" in log, "each host trains on half of the rows"


def test_two_hosts_reach_the_single_host_model(
    two_hosts: tuple[ClusterLayout, str], numeric_data: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    use_fixture_algorithm(monkeypatch)
    single = JobLayout(tmp_path)
    single.create([ChannelInput("train", numeric_data, "text/csv")], hyperparameters(**SLOW_STEPS))
    assert run_job(single, SPEC, echo=io.StringIO()).status == "Completed"
    together, alone = np.array(model_weights(two_hosts[0].master)), np.array(model_weights(single))
    assert not np.array_equal(together, alone), "the 2-host run must not be a copy of one host"
    assert np.abs(together - alone).max() < 0.15


@pytest.mark.slow
def test_two_processes_on_one_host_equal_two_hosts(
    two_hosts: tuple[ClusterLayout, str], numeric_data: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The per-GPU launcher path, exercised on CPU: same ranks, same world size, same model."""
    use_fixture_algorithm(monkeypatch)
    monkeypatch.setenv(training_settings.PROCESSES_VARIABLE, "2")
    monkeypatch.setenv(training_settings.MASTER_PORT_VARIABLE, str(free_port()))
    monkeypatch.setenv(training_settings.HOST_ADDRESSES_VARIABLE, "algo-1=127.0.0.1")
    layout = JobLayout(tmp_path, network_interface="lo")
    layout.create([ChannelInput("train", numeric_data, "text/csv")], hyperparameters(**SLOW_STEPS))
    log = io.StringIO()
    assert run_job(layout, SPEC, echo=log).status == "Completed", log.getvalue()[-3000:]
    assert "starting 2 training processes on this host" in log.getvalue()
    assert model_weights(layout) == model_weights(two_hosts[0].master)


@pytest.mark.slow
def test_a_missing_interface_name_falls_back_to_the_route_to_the_master(
    numeric_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SDK v3's local mode writes ``ethwe``; the processes find ``lo``, which reaches algo-1."""
    use_fixture_algorithm(monkeypatch)
    monkeypatch.delenv("GLOO_SOCKET_IFNAME", raising=False)
    monkeypatch.setenv(training_settings.PROCESSES_VARIABLE, "2")
    monkeypatch.setenv(training_settings.MASTER_PORT_VARIABLE, str(free_port()))
    monkeypatch.setenv(training_settings.HOST_ADDRESSES_VARIABLE, "algo-1=127.0.0.1")
    layout = JobLayout(tmp_path, network_interface="ethwe")
    layout.create([ChannelInput("train", numeric_data, "text/csv")], hyperparameters())
    log = io.StringIO()
    assert run_job(layout, SPEC, echo=log).status == "Completed", log.getvalue()[-3000:]
    assert "network interface ethwe (resourceconfig.json network_interface_name)" in log.getvalue()
    assert "using lo instead" in log.getvalue()
    assert "rank 1 of 2, master algo-1 (127.0.0.1:" in log.getvalue()
    assert "interface lo" in log.getvalue()


@pytest.mark.slow
def test_a_stop_on_one_host_stops_both_and_the_restart_ends_the_same(
    two_hosts: tuple[ClusterLayout, str], numeric_data: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    use_fixture_algorithm(monkeypatch)
    checkpoints = tmp_path / "checkpoints"
    cluster = ClusterLayout(tmp_path / "job", 2, checkpoint_dir=checkpoints)
    cluster.create([ChannelInput("train", numeric_data, "text/csv")], hyperparameters(**SLOW_STEPS))
    port = free_port()
    processes = {
        host: subprocess.Popen(
            list(TRAIN_COMMAND), env=cluster_environment(cluster, host, port),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for host in cluster.hosts
    }  # fmt: skip
    deadline = time.monotonic() + 180
    while not list(checkpoints.glob("checkpoint-*.pt")):
        assert time.monotonic() < deadline and processes["algo-1"].poll() is None
        time.sleep(0.05)
    processes["algo-2"].send_signal(signal.SIGTERM)
    outputs = {host: process.communicate(timeout=120)[0] for host, process in processes.items()}
    codes = {host: process.returncode for host, process in processes.items()}
    assert codes == {"algo-1": 0, "algo-2": 0}, {host: out[-3000:] for host, out in outputs.items()}
    assert "received SIGTERM" in outputs["algo-2"] and "received SIGTERM" not in outputs["algo-1"]
    saved = CheckpointStore(checkpoints).latest()
    assert saved is not None and saved.state["epoch"] < 4

    log = io.StringIO()
    result = run_cluster(cluster, SPEC, echo=log, timeout=240)
    assert result.status == "Completed", log.getvalue()[-3000:]
    assert f"resumed at epoch {saved.state['epoch']} batch {saved.state['batch']}" in log.getvalue()
    assert model_weights(cluster.master) == model_weights(two_hosts[0].master)


def test_a_peer_that_never_resolves_fails_with_a_clear_reason(
    numeric_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_fixture_algorithm(monkeypatch)
    monkeypatch.setenv(training_settings.DNS_WAIT_VARIABLE, "0.5")
    monkeypatch.setenv(training_settings.HOST_ADDRESSES_VARIABLE, "algo-1=127.0.0.1")
    layout = JobLayout(tmp_path, hosts=("algo-1", "algo-2"), network_interface="lo")
    layout.create([ChannelInput("train", numeric_data, "text/csv")], hyperparameters())
    result = run_job(layout, SPEC, echo=io.StringIO())
    assert result.status == "Failed"
    assert result.failure_reason is not None
    assert result.failure_reason.startswith("host algo-2 did not resolve within 0.5 s")


def test_a_failing_host_fails_the_job_without_hanging_the_others(
    numeric_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_fixture_algorithm(monkeypatch)
    cluster = ClusterLayout(tmp_path, 2)
    cluster.create(
        [ChannelInput("train", numeric_data, "text/csv")], hyperparameters(fail_on_rank=1)
    )
    started = time.monotonic()
    result = run_cluster(cluster, SPEC, echo=io.StringIO(), timeout=240)
    assert result.status == "Failed"
    assert result.exit_codes["algo-2"] == 1
    reason = (cluster.host("algo-2").failure_file).read_text().splitlines()[0]
    assert reason == "rank 1 failed on purpose"
    survivor = cluster.master.failure_file.read_text().splitlines()[0]
    assert survivor.startswith("another host of this distributed job failed or was stopped")
    assert time.monotonic() - started < 120, "the surviving host must not wait for the timeout"
