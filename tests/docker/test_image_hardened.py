"""The whole path under the tightest settings: ``--network none``, ``--read-only --tmpfs /tmp``
and ``--user 1000``, as a buyer's hardened account or a Marketplace scan might run the image."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from container.docker_runner import ContainerOptions, ServeContainer, hand_over
from tests.docker.conftest import (
    SampleRequest,
    extract_model,
    in_process_answer,
    sample_channels,
    train_job,
)

pytestmark = pytest.mark.docker

USER = "1000:1000"


def test_train_serve_predict_with_no_network_read_only_root_and_user_1000(
    image: str, sample_request: SampleRequest, tmp_path: Path
) -> None:
    options = ContainerOptions(image, network="none", user=USER, read_only=True)
    job = train_job(tmp_path / "job", sample_channels(), options)  # the runner hands the tree over
    assert job.result.exit_code == 0, job.log[-3000:]
    owners = {p.stat().st_uid for p in (job.layout.base_dir / "model").iterdir()}
    assert owners == {1000}

    model_dir = extract_model(job.layout.model_archive, tmp_path / "model")
    hand_over([model_dir], USER)
    with ServeContainer(model_dir, options) as container:
        client = container.wait_until_healthy()
        inspect = subprocess.run(
            ["docker", "inspect", "--format",
             "{{.HostConfig.ReadonlyRootfs}} {{.HostConfig.NetworkMode}} {{.Config.User}}",
             container.name],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        headers = {"Content-Type": sample_request.content_type, "Accept": sample_request.accept}
        response = client.request("POST", "/invocations", sample_request.body, headers)
        client.close()
    assert inspect.stdout.split() == ["true", "none", USER]
    assert response.status == 200, response.body[:500]
    assert response.body == in_process_answer(model_dir, sample_request).body
