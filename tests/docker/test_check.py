"""``byoa check`` on the project's image (every rule passes) and on deliberately broken images
built here from ``tests/fixtures/broken_images`` (each fails its own rules and no other).

The check runs as a real ``byoa check IMAGE --json`` process; it must leave no container."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from container.check.rules import RULES
from container.plugin import ALGORITHM_VARIABLE, load_algorithm
from tests.conftest import INSTALLED_ALGORITHM, REPO_ROOT

pytestmark = pytest.mark.docker

BROKEN = REPO_ROOT / "tests" / "fixtures" / "broken_images"
CHECK_TIMEOUT_S = 900
EXPECTED_FAILURES = {
    "shell_entrypoint": {"image.entrypoint", "stop.serving"},
    "early_ping": {"serve.ready"},
    "refuses_type": {"serve.request-types"},
    "writes_outside": {"image.read-only"},
    "network_at_start": {"network.isolated"},
}


@dataclass(frozen=True)
class CheckRun:
    exit_code: int
    report: dict[str, Any]
    progress: str

    def ids(self, status: str) -> set[str]:
        return {f["rule"] for f in self.report["findings"] if f["status"] == status}


def containers_of(pid: int) -> list[str]:
    listed = subprocess.run(
        ["docker", "ps", "--all", "--format", "{{.Names}}"], capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    return [name for name in listed.stdout.split() if f"-{pid}-" in name]


def run_check(image: str, *options: str) -> CheckRun:
    """``byoa check`` as a seller runs it: its request derived from the installed algorithm,
    the one the image holds."""
    process = subprocess.Popen(
        [sys.executable, "-m", "container.cli", "check", image, "--json", *options],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, ALGORITHM_VARIABLE: INSTALLED_ALGORITHM},
    )  # fmt: skip
    try:
        out, err = process.communicate(timeout=CHECK_TIMEOUT_S)
    finally:
        process.kill()
        process.wait()
    assert containers_of(process.pid) == [], "byoa check left containers behind"
    assert out.strip(), err[-3000:]
    return CheckRun(process.returncode, json.loads(out), err)


@pytest.fixture(scope="session")
def good(image: str) -> CheckRun:
    return run_check(image)


def test_the_project_image_passes_every_rule(good: CheckRun) -> None:
    failures = [f for f in good.report["findings"] if f["status"] == "FAIL"]
    assert failures == [], good.progress[-3000:]
    assert good.exit_code == 0
    assert good.report["passed"] is True


def test_every_rule_is_reported_once_with_its_source(good: CheckRun) -> None:
    reported = [f["rule"] for f in good.report["findings"]]
    assert sorted(reported) == sorted(rule.id for rule in RULES)
    assert good.ids("SKIP") == set()
    assert all(f["source"] and f["evidence"] for f in good.report["findings"])


@pytest.fixture
def broken_image(request: pytest.FixtureRequest, image: str) -> Iterator[str]:
    name = request.param
    tag = f"byoa-broken-{name}:{secrets.token_hex(4)}"
    build = subprocess.run(
        ["docker", "build", "--network", "host", "--build-arg", f"BASE={image}", "-t", tag,
         str(BROKEN / name)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr[-3000:]
    try:
        yield tag
    finally:
        subprocess.run(["docker", "image", "rm", "--force", tag], capture_output=True)


@pytest.mark.parametrize("broken_image", sorted(EXPECTED_FAILURES), indirect=True)
def test_a_broken_image_fails_its_own_rule_and_no_other(broken_image: str) -> None:
    name = broken_image.split(":")[0].removeprefix("byoa-broken-")
    declared = load_algorithm(INSTALLED_ALGORITHM).spec.request_content_types
    if name == "refuses_type" and len(declared) < 2:
        pytest.skip("the installed algorithm declares one request type: refusing it fails more")
    run = run_check(broken_image)
    assert run.exit_code == 1, run.progress[-3000:]
    assert run.report["passed"] is False
    assert run.ids("FAIL") == EXPECTED_FAILURES[name], run.progress[-3000:]
    failing = [f for f in run.report["findings"] if f["status"] == "FAIL"]
    assert all(f["fix"] for f in failing)


def test_skip_names_only_known_rules(image: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "container.cli", "check", image, "--skip", "no.such-rule"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert "no.such-rule" in done.stderr
