"""TrainingSettings: every variable read from one mapping, defaults when unset."""

from __future__ import annotations

from pathlib import Path

import pytest

from container.errors import ConfigError
from container.local_tree import JobLayout
from container.training_settings import TrainingSettings


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    layout = JobLayout(tmp_path, hosts=("algo-2", "algo-1"), current_host="algo-2")
    layout.create([], {"epochs": "1"})
    return layout.base_dir


def test_defaults_when_only_the_tree_is_given(tree: Path) -> None:
    settings = TrainingSettings.load({"SAGEMAKER_BASE_DIR": str(tree)})
    assert settings.files.resources.hosts == ("algo-1", "algo-2")
    assert settings.files.resources.current_host == "algo-2"
    assert settings.files.hyperparameters == {"epochs": "1"}
    assert (settings.algorithm, settings.num_gpus, settings.log_level) == (
        "algorithm",
        None,
        "INFO",
    )
    assert not settings.processes.is_worker
    assert settings.distributed.master_port == 29500


def test_every_variable_is_read(tree: Path) -> None:
    settings = TrainingSettings.load({
        "SAGEMAKER_BASE_DIR": str(tree), "SM_NUM_GPUS": "4", "BYOA_ALGORITHM": "my.algo",
        "BYOA_LOG_LEVEL": "debug", "BYOA_PIPE_WAIT_SECONDS": "2.5",
        "BYOA_PROCESSES_PER_HOST": "3", "BYOA_LOCAL_RANK": "1", "BYOA_LOCAL_WORLD_SIZE": "3",
        "BYOA_HOST_ADDRESSES": "algo-1=10.0.0.1", "BYOA_MASTER_PORT": "1234",
        "BYOA_DNS_WAIT_SECONDS": "0", "BYOA_DIST_TIMEOUT_SECONDS": "60",
    })  # fmt: skip
    assert (settings.num_gpus, settings.algorithm, settings.log_level) == (4, "my.algo", "DEBUG")
    assert settings.pipe_wait_seconds == 2.5
    processes = settings.processes
    assert (processes.local_rank, processes.local_world_size, processes.per_host_override) == (
        1, 3, 3,
    )  # fmt: skip
    assert settings.distributed.host_addresses == {"algo-1": "10.0.0.1"}
    assert (settings.distributed.master_port, settings.distributed.dns_wait_seconds) == (1234, 0)
    assert settings.distributed.timeout_seconds == 60


def test_the_first_bad_value_names_its_variable(tree: Path) -> None:
    with pytest.raises(ConfigError, match=r"^SM_NUM_GPUS='one' is not a whole number"):
        TrainingSettings.load({"SAGEMAKER_BASE_DIR": str(tree), "SM_NUM_GPUS": "one"})
    with pytest.raises(ConfigError, match=r"^BYOA_LOCAL_WORLD_SIZE=0 is out of range"):
        TrainingSettings.load({"SAGEMAKER_BASE_DIR": str(tree), "BYOA_LOCAL_WORLD_SIZE": "0"})
