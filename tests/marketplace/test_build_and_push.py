"""``build_and_push.sh`` for real: the AWS CLI against moto, docker pushing to docker-registry.

The image pushed is tiny (a ``docker import`` of one file plus a COPY) so that the test checks
the script, not the project image, which the image tests cover.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import tarfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import boto3
import pytest
import requests

from container.plugin import load_algorithm
from tests.conftest import REPO_ROOT
from tests.marketplace.conftest import REGION, aws_environment, start_registry, stop, tool

SCRIPT = REPO_ROOT / "build_and_push.sh"
REPOSITORY = "byoa-push-test"
BASE = "byoa-push-test-base:tiny"
V2_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


def run_script(
    arguments: list[str], environment: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *arguments], env=dict(environment), capture_output=True, text=True,
        timeout=600, cwd=REPO_ROOT,
    )  # fmt: skip


def require_docker() -> None:
    """Docker tests fail (never skip) in CI when there is no engine."""
    engine = subprocess.run(["docker", "info"], capture_output=True, text=True, check=False)
    if engine.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"no Docker engine in CI: {engine.stderr.strip()}")
        pytest.skip("no Docker engine")


def remove_test_images() -> None:
    listing = subprocess.run(["docker", "images", "--format", "{{.Repository}}:{{.Tag}}"],
                             capture_output=True, text=True, check=True).stdout.split()  # fmt: skip
    ours = [name for name in listing if name.split(":")[-2].endswith(REPOSITORY)]
    ours += [name for name in listing if name == BASE]
    if ours:
        subprocess.run(["docker", "image", "rm", "--force", *ours], capture_output=True)


@pytest.fixture(scope="module")
def build_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A Dockerfile on a base imported from a one-file tarball: builds in a second."""
    require_docker()
    folder = tmp_path_factory.mktemp("push-context")
    payload = io.BytesIO()
    with tarfile.open(fileobj=payload, mode="w") as archive:
        data = b"byoa push test base\n"
        entry = tarfile.TarInfo("etc/byoa-push-test")
        entry.size = len(data)
        archive.addfile(entry, io.BytesIO(data))
    subprocess.run(["docker", "import", "-", BASE], input=payload.getvalue(), check=True,
                   capture_output=True)  # fmt: skip
    (folder / "hello.txt").write_text("hello\n")
    (folder / "Dockerfile").write_text(
        f"FROM {BASE}\nARG VERSION=unset\nLABEL org.opencontainers.image.version=$VERSION\n"
        "COPY hello.txt /hello.txt\n"
    )
    yield folder
    remove_test_images()


@pytest.fixture
def environment(tmp_path: Path) -> dict[str, str]:
    return aws_environment(tmp_path) | {"BYOA_SCAN_POLL_SECONDS": "1"}


def set_scan_result(moto: str, counts: dict[str, int]) -> None:
    """moto's way to choose what DescribeImageScanFindings answers for the repository."""
    result = {
        "registryId": "123456789012",
        "repositoryName": REPOSITORY,
        "imageId": {},
        "imageScanStatus": {"status": "COMPLETE", "description": "The scan was completed."},
        "imageScanFindings": {"findingSeverityCounts": counts, "findings": []},
    }
    answer = requests.post(
        f"{moto}/moto-api/static/ecr/scan-finding-results",
        json={"results": [result], "region": REGION}, timeout=10,
    )  # fmt: skip
    answer.raise_for_status()


def printed(result: subprocess.CompletedProcess[str], key: str) -> str:
    lines = [line for line in result.stdout.splitlines() if line.startswith(f"{key}: ")]
    assert lines, f"no '{key}:' line in:\n{result.stdout}\n{result.stderr}"
    return lines[-1].split(": ", 1)[1]


@pytest.mark.docker
def test_pushes_a_docker_v2_amd64_manifest_and_reports_the_scan(
    moto: str, registry: str, build_context: Path, environment: dict[str, str]
) -> None:
    set_scan_result(moto, {"CRITICAL": 2, "HIGH": 5, "LOW": 1})
    result = run_script(
        ["--endpoint-url", moto, "--registry", registry, "--context", str(build_context),
         "--build-arg", "VERSION=1.2.3", "--immutable-tags", REPOSITORY, "1.2.3"],
        environment,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "scan: CRITICAL=2 HIGH=5" in result.stdout
    assert "refuses images with Critical or High findings" in result.stderr

    manifest_answer = requests.get(
        f"http://{registry}/v2/{REPOSITORY}/manifests/1.2.3",
        headers={"Accept": V2_MANIFEST}, timeout=10,
    )  # fmt: skip
    manifest_answer.raise_for_status()
    assert manifest_answer.headers["Content-Type"] == V2_MANIFEST
    manifest = manifest_answer.json()
    assert manifest["schemaVersion"] == 2 and manifest["mediaType"] == V2_MANIFEST
    assert manifest["config"]["mediaType"] == "application/vnd.docker.container.image.v1+json"
    config = requests.get(
        f"http://{registry}/v2/{REPOSITORY}/blobs/{manifest['config']['digest']}", timeout=10
    ).json()
    assert (config["os"], config["architecture"]) == ("linux", "amd64")
    assert config["config"]["Labels"]["org.opencontainers.image.version"] == "1.2.3"

    digest = "sha256:" + hashlib.sha256(manifest_answer.content).hexdigest()
    assert printed(result, "digest") == digest
    assert printed(result, "uri") == f"{registry}/{REPOSITORY}@{digest}"
    tags = requests.get(f"http://{registry}/v2/{REPOSITORY}/tags/list", timeout=10).json()
    assert tags["tags"] == ["1.2.3"]

    ecr = boto3.client("ecr", region_name=REGION, endpoint_url=moto,
                       aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
    repository = ecr.describe_repositories(repositoryNames=[REPOSITORY])["repositories"][0]
    assert repository["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repository["imageTagMutability"] == "IMMUTABLE"
    image = ecr.describe_images(repositoryName=REPOSITORY)["imageDetails"][0]
    assert (image["imageDigest"], image["imageTags"]) == (digest, ["1.2.3"])


def test_refuses_to_push_only_latest() -> None:
    result = run_script(["some-repo", "latest"], os.environ)
    assert result.returncode == 1
    assert "refusing to push only 'latest'" in result.stderr


def test_the_repository_defaults_to_the_algorithms_spec_name(tmp_path: Path) -> None:
    environment = {
        **os.environ,
        "PYTHON": sys.executable,
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
    }
    environment.pop("AWS_REGION", None)
    environment.pop("AWS_DEFAULT_REGION", None)
    result = run_script(["1.0.0"], environment)
    spec_name = load_algorithm().spec.name
    assert f"==> repository {spec_name}: the algorithm's spec name" in result.stderr
    assert result.returncode == 1  # then stops: no region here


def test_is_shellcheck_clean() -> None:
    result = subprocess.run([tool("shellcheck"), str(SCRIPT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


@pytest.mark.docker
def test_no_region(tmp_path: Path, moto: str) -> None:
    environment = aws_environment(tmp_path, region=None)
    result = run_script(["--endpoint-url", moto, REPOSITORY, "1.0.0"], environment)
    assert result.returncode == 1
    assert "no AWS region: pass --region" in result.stderr


@pytest.mark.docker
def test_no_credentials(tmp_path: Path, moto: str) -> None:
    environment = aws_environment(tmp_path, credentials=False)
    result = run_script(["--endpoint-url", moto, REPOSITORY, "1.0.0"], environment)
    assert result.returncode == 1
    assert "no AWS credentials: run 'aws configure'" in result.stderr


@pytest.mark.docker
def test_no_docker_engine(moto: str, environment: dict[str, str], tmp_path: Path) -> None:
    environment["DOCKER_HOST"] = f"unix://{tmp_path / 'no-engine.sock'}"
    result = run_script(["--endpoint-url", moto, REPOSITORY, "1.0.0"], environment)
    assert result.returncode == 1
    assert "no Docker engine: 'docker info' failed" in result.stderr


@pytest.fixture
def locked_registry(tmp_path: Path) -> Iterator[str]:
    """A registry that knows one user, not ECR's ``AWS`` with a moto token."""
    import bcrypt

    htpasswd = tmp_path / "htpasswd"
    hashed = bcrypt.hashpw(b"not-the-token", bcrypt.gensalt(rounds=4)).decode()
    htpasswd.write_text(f"seller:{hashed}\n")
    address, process = start_registry(tmp_path / "registry-locked", htpasswd)
    yield address
    stop(process)


@pytest.mark.docker
def test_failed_login(
    moto: str, locked_registry: str, build_context: Path, environment: dict[str, str]
) -> None:
    result = run_script(
        ["--endpoint-url", moto, "--registry", locked_registry, "--context", str(build_context),
         REPOSITORY, "1.0.0"],
        environment,
    )  # fmt: skip
    assert result.returncode == 1
    assert f"docker login to {locked_registry} failed" in result.stderr
    assert "pushing" not in result.stderr


@pytest.mark.docker
def test_profile_supplies_region_and_credentials(tmp_path: Path, moto: str) -> None:
    environment = aws_environment(tmp_path, region=None, credentials=False)
    Path(environment["AWS_CONFIG_FILE"]).write_text(f"[profile seller]\nregion = {REGION}\n")
    Path(environment["AWS_SHARED_CREDENTIALS_FILE"]).write_text(
        "[seller]\naws_access_key_id = testing\naws_secret_access_key = testing\n"
    )
    environment["DOCKER_HOST"] = f"unix://{tmp_path / 'no-engine.sock'}"
    arguments = ["--endpoint-url", moto, REPOSITORY, "1.0.0"]
    without = run_script(arguments, environment)
    assert "no AWS region" in without.stderr
    unknown = run_script(["--profile", "sellr", *arguments], environment)
    assert "AWS profile 'sellr' not found" in unknown.stderr
    with_profile = run_script(["--profile", "seller", *arguments], environment)
    # region and account were found through the profile: the next check is the engine's
    assert "no Docker engine" in with_profile.stderr, with_profile.stderr


@pytest.mark.docker
def test_also_latest_moves_latest_to_the_version(
    moto: str, registry: str, build_context: Path, environment: dict[str, str]
) -> None:
    set_scan_result(moto, {})
    result = run_script(
        ["--endpoint-url", moto, "--registry", registry, "--context", str(build_context),
         "--also-latest", REPOSITORY, "2.0.0"],
        environment,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "scan: CRITICAL=0 HIGH=0" in result.stdout
    tags = requests.get(f"http://{registry}/v2/{REPOSITORY}/tags/list", timeout=10).json()
    assert sorted(tags["tags"]) == ["2.0.0", "latest"]
    digests = {
        tag: requests.head(
            f"http://{registry}/v2/{REPOSITORY}/manifests/{tag}",
            headers={"Accept": V2_MANIFEST}, timeout=10,
        ).headers["Docker-Content-Digest"]
        for tag in ("2.0.0", "latest")
    }  # fmt: skip
    assert digests["2.0.0"] == digests["latest"] == printed(result, "digest")
