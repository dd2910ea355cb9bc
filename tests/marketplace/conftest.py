"""A local AWS for the Marketplace tests: moto in server mode and Debian's docker-registry.

Both listen on 127.0.0.1 on free ports. Every environment handed to a child process has
``AWS_EC2_METADATA_DISABLED`` so that nothing looks for credentials off this machine.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.stub import Stubber

VENV_BIN = Path(sys.executable).parent
REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's account


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def tool(name: str) -> str:
    """A command from the virtual environment first, else from PATH; fails when absent."""
    local = VENV_BIN / name
    found = str(local) if local.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed (make setup / make setup-system)")
    return found


def wait_for(url: str, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{process.args} exited with {process.returncode} before answering")
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    pytest.fail(f"{url} did not answer in {seconds} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """moto in server mode, the AWS endpoint of these tests."""
    port = free_port()
    command = [tool("moto_server"), "-H", "127.0.0.1", "-p", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/moto-api/", process)
        yield url
    finally:
        stop(process)


@pytest.fixture
def moto(moto_url: str) -> str:
    """The moto endpoint, emptied before the test."""
    requests.post(f"{moto_url}/moto-api/reset", timeout=10).raise_for_status()
    return moto_url


def aws_environment(
    folder: Path, region: str | None = REGION, credentials: bool = True
) -> dict[str, str]:
    """The environment of an AWS CLI user: config file with ``region``, and test keys."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    config = folder / "aws-config"
    config.write_text("[default]\n" + (f"region = {region}\n" if region else ""))
    (folder / "aws-credentials").write_text("")
    environment |= {
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(folder / "aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "PATH": f"{VENV_BIN}{os.pathsep}{environment.get('PATH', '')}",
    }
    if credentials:
        environment |= {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    return environment


def start_registry(
    folder: Path, htpasswd: Path | None = None
) -> tuple[str, subprocess.Popen[bytes]]:
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    auth = f"auth:\n  htpasswd:\n    realm: byoa-test\n    path: {htpasswd}\n" if htpasswd else ""
    config = folder / "registry.yml"
    config.write_text(
        "version: 0.1\nlog:\n  level: error\n"
        f"storage:\n  filesystem:\n    rootdirectory: {folder / 'storage'}\n"
        f"http:\n  addr: 127.0.0.1:{port}\n  secret: byoa-test-secret\n{auth}"
    )
    process = subprocess.Popen(
        [tool("docker-registry"), "serve", str(config)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    wait_for(f"http://127.0.0.1:{port}/v2/", process)
    return f"127.0.0.1:{port}", process


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[str]:
    """Debian's docker-registry on 127.0.0.1, no authentication: ``host:port``."""
    address, process = start_registry(tmp_path / "registry-open")
    yield address
    stop(process)


@contextmanager
def stubbed_client(service: str, region: str = REGION) -> Iterator[tuple[Any, Stubber]]:
    """A boto3 client whose answers come from a botocore ``Stubber`` (requests are checked
    against the service model); every queued answer must have been used."""
    client = boto3.client(service, region_name=region,
                          aws_access_key_id="x", aws_secret_access_key="x")  # fmt: skip
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()
