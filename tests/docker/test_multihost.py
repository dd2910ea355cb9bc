"""Two containers of the real image train together, as SageMaker runs a 2-instance job.

A Docker network of our own (internal: no way out, as with network isolation) holds containers
with hostnames ``algo-1`` and ``algo-2``; each has its own ``/opt/ml`` tree, they find each
other by name through Docker's DNS, and Gloo runs over ``eth0`` (``network_interface_name``).
The checkpoint folder is shared, standing in for SageMaker copying ``CheckpointConfig.S3Uri``
into every host's ``/opt/ml/checkpoints`` at start. The DDP fixture algorithm is mounted in.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from container.checkpoints import CheckpointStore
from container.local_job import pipe_feeders
from container.local_pipe import feeding
from container.local_tree import ChannelInput, JobLayout
from container.spec import Channel, InputMode
from tests.docker.conftest import INSTALLED, channel_types, sample_channels
from tests.integration.scale_support import (
    FIXTURE_ALGORITHM,
    REPO_ROOT,
    hyperparameters,
    model_weights,
    write_numeric_csv,
)

pytestmark = pytest.mark.docker

HOSTS = ("algo-1", "algo-2")
STEPS = {"epochs": 4, "step_sleep": 0.02}


def docker(*arguments: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *arguments], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def network(image: str) -> Iterator[str]:
    name = f"byoa-multihost-{secrets.token_hex(4)}"
    created = docker("network", "create", "--internal", name)
    assert created.returncode == 0, created.stderr
    yield name
    docker("network", "rm", name)


@pytest.fixture(scope="module")
def numeric_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_numeric_csv(tmp_path_factory.mktemp("numeric") / "train.csv")


@dataclass
class DockerCluster:
    """One 2-host job: per-host trees under ``root``, containers named after the hosts."""

    root: Path
    image: str
    network: str
    data: Path

    def __post_init__(self) -> None:
        self.prefix = f"byoa-{secrets.token_hex(4)}"
        self.checkpoints = self.root / "checkpoints"
        self.checkpoints.mkdir(parents=True, exist_ok=True)
        for host in HOSTS:
            self.layout(host).create(
                [ChannelInput("train", self.data, "text/csv")], hyperparameters(**STEPS)
            )

    def layout(self, host: str) -> JobLayout:
        return JobLayout(self.root / host, hosts=HOSTS, current_host=host)

    def container(self, host: str) -> str:
        return f"{self.prefix}-{host}"

    def start(self) -> None:
        for host in HOSTS:
            started = docker(
                "run", "--detach", "--name", self.container(host), "--hostname", host,
                "--network", self.network, "--network-alias", host,
                "--volume", f"{self.layout(host).base_dir}:/opt/ml",
                "--volume", f"{self.checkpoints}:/opt/ml/checkpoints",
                "--volume", f"{REPO_ROOT / 'tests'}:/opt/byoa-tests/tests:ro",
                "--env", "PYTHONPATH=/opt/byoa-tests",
                "--env", f"BYOA_ALGORITHM={FIXTURE_ALGORITHM}",
                "--env", "BYOA_DIST_TIMEOUT_SECONDS=120",
                self.image, "train",
            )  # fmt: skip
            assert started.returncode == 0, started.stderr

    def wait(self, timeout: float = 300) -> dict[str, int]:
        codes = {}
        for host in HOSTS:
            waited = docker("wait", self.container(host), timeout=timeout)
            codes[host] = int(waited.stdout.strip() or -1)
        return codes

    def logs(self, host: str) -> str:
        shown = docker("logs", self.container(host))
        return shown.stdout + shown.stderr

    def remove(self) -> None:
        for host in HOSTS:
            docker("rm", "--force", self.container(host))


@pytest.fixture(scope="module")
def torch_image(image: str) -> str:
    """The image, when it holds torch (the mounted DDP algorithm needs it); an image of an
    algorithm without torch has no process group to test here (tests/integration/
    test_distributed.py tests the toolkit's torch.distributed path in-process)."""
    probe = docker("run", "--rm", "--network", "none", "--entrypoint", "python", image, "-c",
                   "import torch")  # fmt: skip
    if probe.returncode != 0:
        pytest.skip("the image's algorithm installs no torch")
    return image


@pytest.fixture(scope="module")
def reference(
    torch_image: str, network: str, numeric_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DockerCluster]:
    root = tmp_path_factory.mktemp("reference")
    cluster = DockerCluster(root, torch_image, network, numeric_data)
    try:
        cluster.start()
        codes = cluster.wait()
        assert codes == {"algo-1": 0, "algo-2": 0}, cluster.logs("algo-1")[-3000:]
        yield cluster
    finally:
        cluster.remove()


def test_two_containers_train_together(reference: DockerCluster) -> None:
    first, second = reference.logs("algo-1"), reference.logs("algo-2")
    assert "rank 0 of 2, master algo-1" in first and "interface eth0" in first
    assert "rank 1 of 2, master algo-1" in second
    assert "#metric train:rows=200 step=4" in first and "#metric" not in second
    assert len(model_weights(reference.layout("algo-1"))) == 5
    assert not any((reference.layout("algo-2").base_dir / "model").iterdir())
    config = json.loads(
        (reference.layout("algo-2").base_dir / "input/config/resourceconfig.json").read_text()
    )
    assert config["current_host"] == "algo-2" and config["hosts"] == list(HOSTS)


def test_docker_stop_and_restart_on_the_same_checkpoints_ends_the_same(
    reference: DockerCluster, torch_image: str, network: str, numeric_data: Path, tmp_path: Path
) -> None:
    cluster = DockerCluster(tmp_path, torch_image, network, numeric_data)
    try:
        cluster.start()
        deadline = time.monotonic() + 180
        while not list(cluster.checkpoints.glob("checkpoint-*.pt")):
            assert time.monotonic() < deadline, cluster.logs("algo-1")[-3000:]
            time.sleep(0.1)
        stopped = docker("stop", "--time", "60", *map(cluster.container, HOSTS), timeout=90)
        assert stopped.returncode == 0, stopped.stderr
        assert cluster.wait() == {"algo-1": 0, "algo-2": 0}
        assert "received SIGTERM" in cluster.logs("algo-1")
        saved = CheckpointStore(cluster.checkpoints).latest()
        assert saved is not None and saved.state["epoch"] < STEPS["epochs"]
    finally:
        cluster.remove()
    (cluster.checkpoints / "checkpoint-9999999999.pt").write_bytes(b"partial upload")
    try:
        cluster.start()
        assert cluster.wait() == {"algo-1": 0, "algo-2": 0}, cluster.logs("algo-1")[-3000:]
        log = cluster.logs("algo-1")
        assert f"resumed at epoch {saved.state['epoch']} batch {saved.state['batch']}" in log
        assert "skipping checkpoint /opt/ml/checkpoints/checkpoint-9999999999.pt" in log
    finally:
        cluster.remove()
    assert model_weights(cluster.layout("algo-1")) == model_weights(reference.layout("algo-1"))


def test_two_containers_train_the_installed_algorithm_on_its_sample(
    image: str, network: str, tmp_path: Path
) -> None:
    """The image's own algorithm (no mounted code) on 2 hosts: train in File mode, the other
    channels in Pipe mode where the algorithm takes it."""
    spec = INSTALLED.spec
    if not spec.supports_distributed_training:
        pytest.skip(f"{spec.name} does not declare distributed training")
    hp = dict(spec.validation_hyperparameters)
    prefix = f"byoa-{secrets.token_hex(4)}"
    types = channel_types()
    channels = [
        ChannelInput(name, path, types[name], input_mode=_mode(spec.channel(name), name))
        for name, path in sample_channels().items()
    ]
    layouts = {host: JobLayout(tmp_path / host, hosts=HOSTS, current_host=host) for host in HOSTS}
    feeders = [f for layout in layouts.values() for f in pipe_feeders(layout, channels)]
    try:
        for host, layout in layouts.items():
            layout.create(channels, hp)
            started = docker(
                "run", "--detach", "--name", f"{prefix}-{host}", "--hostname", host,
                "--network", network, "--network-alias", host,
                "--volume", f"{layout.base_dir}:/opt/ml", image, "train",
            )  # fmt: skip
            assert started.returncode == 0, started.stderr
        with feeding(feeders):
            codes = {h: docker("wait", f"{prefix}-{h}", timeout=400).stdout.strip() for h in HOSTS}
        log = docker("logs", f"{prefix}-algo-1").stdout + docker("logs", f"{prefix}-algo-1").stderr
        assert codes == {"algo-1": "0", "algo-2": "0"}, log[-3000:]
    finally:
        for host in HOSTS:
            docker("rm", "--force", f"{prefix}-{host}")
    assert any(line.startswith("#metric ") for line in log.splitlines()), log[-3000:]
    assert any((layouts["algo-1"].base_dir / "model").iterdir())


def _mode(channel: Channel, name: str) -> str:
    """Pipe for every channel but train, where the algorithm reads Pipe mode."""
    return "Pipe" if name != "train" and InputMode.PIPE in channel.input_modes else "File"
