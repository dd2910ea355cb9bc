"""The ``docker run`` command lines of Docker mode, as SageMaker would start the container."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from container.docker_runner import (
    ContainerOptions,
    hand_over,
    numeric_user,
    serve_command,
    train_command,
    unique_name,
)
from container.errors import ConfigError
from container.local_tree import JobLayout


def test_train_mounts_the_job_tree_as_opt_ml_without_network(tmp_path: Path) -> None:
    tmp_path = tmp_path.resolve()
    command = train_command(JobLayout(tmp_path), ContainerOptions("img:1", user="0"), "n1")
    assert command[:2] == ["docker", "run"]
    assert command[command.index("--network") + 1] == "none"
    assert command[command.index("--volume") + 1] == f"{tmp_path}/opt/ml:/opt/ml"
    assert command[-2:] == ["img:1", "train"]
    assert "--rm" in command and command[command.index("--name") + 1] == "n1"


def test_a_checkpoint_folder_is_mounted_where_checkpointconfig_says(tmp_path: Path) -> None:
    tmp_path = tmp_path.resolve()
    layout = JobLayout(tmp_path / "job", checkpoint_dir=tmp_path / "ckpt")
    command = train_command(layout, ContainerOptions("img", user="0"), "n")
    volumes = [command[i + 1] for i, part in enumerate(command) if part == "--volume"]
    assert volumes == [f"{tmp_path}/job/opt/ml:/opt/ml", f"{tmp_path}/ckpt:{tmp_path}/ckpt"]
    assert (tmp_path / "ckpt").is_dir()


def test_hardening_options_reach_docker_run(tmp_path: Path) -> None:
    tmp_path = tmp_path.resolve()
    options = ContainerOptions("img", user="1000:1000", read_only=True, environment={"A": "1"})
    command = train_command(JobLayout(tmp_path), options, "n")
    assert command[command.index("--user") + 1] == "1000:1000"
    assert command[command.index("--read-only") + 1 : command.index("--read-only") + 3] == [
        "--tmpfs",
        "/tmp",
    ]
    assert command[command.index("--env") + 1] == "A=1"


def test_serve_mounts_the_model_read_only_and_publishes_on_loopback_only(tmp_path: Path) -> None:
    tmp_path = tmp_path.resolve()
    options = ContainerOptions("img", network="bridge", user="0")
    command = serve_command(tmp_path, options, "s", host_port=18080)
    assert command[command.index("--volume") + 1] == f"{tmp_path}:/opt/ml/model:ro"
    assert command[command.index("--publish") + 1] == "127.0.0.1:18080:8080"
    assert command[-2:] == ["img", "serve"]


def test_serve_publishes_the_bind_to_port_when_set(tmp_path: Path) -> None:
    tmp_path = tmp_path.resolve()
    options = ContainerOptions(
        "img", network="bridge", environment={"SAGEMAKER_BIND_TO_PORT": "9000"}
    )
    command = serve_command(tmp_path, options, "s", host_port=18080)
    assert command[command.index("--publish") + 1] == "127.0.0.1:18080:9000"


def test_container_names_are_unique() -> None:
    names = {unique_name("train") for _ in range(100)}
    assert len(names) == 100 and all(name.startswith("byoa-train-") for name in names)


@pytest.mark.parametrize("user", ["nobody", "1000:staff", "", ":1000"])
def test_a_user_the_job_tree_cannot_be_handed_to_is_a_clear_error(user: str) -> None:
    with pytest.raises(ConfigError, match="numeric UID"):
        numeric_user(user)


def test_the_writable_folders_are_handed_to_the_container_user(tmp_path: Path) -> None:
    model = tmp_path / "model"
    (model / "sub").mkdir(parents=True)
    (model / "sub" / "weights.bin").write_bytes(b"0")
    hand_over([model], "4321:4322")
    for path in (model, model / "sub", model / "sub" / "weights.bin"):
        status = path.stat()
        if os.getuid() == 0:
            assert (status.st_uid, status.st_gid) == (4321, 4322)
        else:
            assert status.st_mode & 0o006 == 0o006
