"""``byoa check``'s pieces that need no Docker: the image rules on inspect documents, instance
limits, request bodies, the report, the request derived for any algorithm, the README table."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from container.check import image_rules
from container.check.bodies import body_for, npy_bytes
from container.check.instances import instance_resources
from container.check.rules import RULES, Report, Status, failed, markdown_table, passed
from container.check.subject import load_subject
from container.docker_runner import ContainerOptions
from container.errors import ConfigError
from container.plugin import load_algorithm
from tests.conftest import INSTALLED_ALGORITHM, REPO_ROOT

START, END = "<!-- check-rules:start -->\n", "<!-- check-rules:end -->"


def inspected(**config: object) -> dict[str, object]:
    return {"Os": "linux", "Architecture": "amd64", "Size": 10**9, "Config": config}


def statuses(details: dict[str, object]) -> dict[str, Status]:
    return {f.rule.id: f.status for f in image_rules.image_rules(details)}


def test_an_exec_form_amd64_image_passes_the_image_rules() -> None:
    found = statuses(inspected(Entrypoint=["/opt/venv/bin/byoa-entrypoint"]))
    assert set(found.values()) == {Status.PASS}


@pytest.mark.parametrize(
    "entrypoint", [["/bin/sh", "-c", "python serve.py"], None, []], ids=["shell", "none", "empty"]
)
def test_a_shell_form_or_missing_entrypoint_fails(entrypoint: list[str] | None) -> None:
    found = statuses(inspected(Entrypoint=entrypoint, Cmd=["python", "serve.py"]))
    assert found["image.entrypoint"] is Status.FAIL


def test_arm64_and_an_oci_index_fail_and_a_huge_image_warns() -> None:
    details = {
        **inspected(Entrypoint=["/app"]),
        "Architecture": "arm64",
        "Size": 12 * 10**9,
        "Descriptor": {"mediaType": image_rules.OCI_INDEX},
    }
    found = statuses(details)
    assert found["image.platform"] is Status.FAIL
    assert found["image.manifest"] is Status.FAIL
    assert found["image.size"] is Status.WARN


def test_instance_sizes_follow_ec2_naming() -> None:
    large = instance_resources("ml.m5.large")
    assert large is not None and (large.cpus, large.memory_gib) == (2, 8.0)
    c5 = instance_resources("ml.c5.4xlarge")
    assert c5 is not None and (c5.cpus, c5.memory_gib) == (16, 32.0)
    assert instance_resources("local") is None


def test_bodies_of_each_type_hold_the_same_rows() -> None:
    lines = [b"1,yes,,2.5", b"3,no,x,4"]
    assert body_for(lines, "text/csv") == b"1,yes,,2.5\n3,no,x,4\n"
    assert json.loads(body_for(lines, "application/json") or b"") == [
        [1, "yes", None, 2.5], [3, "no", "x", 4]
    ]  # fmt: skip
    jsonl = (body_for(lines, "application/jsonlines") or b"").splitlines()
    assert [json.loads(line) for line in jsonl] == [[1, "yes", None, 2.5], [3, "no", "x", 4]]
    text = np.load(io.BytesIO(body_for(lines, "application/x-npy") or b""))
    assert text.shape == (2, 4) and text[1, 2] == "x"
    assert body_for(lines, "image/png") is None


def test_numeric_rows_become_a_float_npy_array() -> None:
    array = np.load(io.BytesIO(npy_bytes([[1, 2.5], [3, 4]]) or b""))
    np.testing.assert_array_equal(array, [[1.0, 2.5], [3.0, 4.0]])
    assert npy_bytes([[1, 2], [3]]) is None  # ragged rows make no array


def test_the_report_fails_on_any_fail_and_shows_the_fix() -> None:
    report = Report("img:1", seconds=12.0)
    report.add(passed("image.size", "1.00 GB"))
    assert not report.failed
    report.add(failed("serve.ready", "503 after /ping 200", "load the model first"))
    assert report.failed
    text = report.text()
    assert "FAIL  serve.ready" in text and "fix: load the model first" in text
    assert text.rstrip().endswith("img:1: would FAIL validation (1 PASS, 1 FAIL; 12 s)")
    document = json.loads(report.as_json())
    assert document["passed"] is False
    assert [f["rule"] for f in document["findings"]] == ["image.size", "serve.ready"]


@pytest.mark.parametrize("algorithm", sorted({INSTALLED_ALGORITHM, "examples.ridge"}))
def test_the_derived_request_comes_from_the_installed_algorithm(
    algorithm: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BYOA_ALGORITHM", algorithm)
    subject = load_subject("img:1", None, None)
    assert subject.request["TrainingSpecification"]["TrainingImage"] == "img:1"
    assert "train" in subject.channels and all(p.is_dir() for p in subject.channels.values())
    assert subject.sample_lines and subject.request_types and subject.response_types
    assert subject.transform["TransformInput"]["SplitType"] == "Line"


def test_a_request_file_is_read_as_the_derived_one(tmp_path: Path) -> None:
    """The request `byoa marketplace spec` prints, given back with --request, is the same job."""
    printed = subprocess.run(
        [sys.executable, "-m", "container.cli", "marketplace", "spec", "--image", "img:1"],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    request = tmp_path / "request.json"
    request.write_text(printed.stdout)
    sample = load_algorithm().sample_dir  # the toolkit tests' algorithm, as `spec` printed it
    assert sample is not None
    with pytest.raises(ConfigError, match="--data"):
        load_subject("img:1", request, None)
    given = load_subject("img:1", request, sample)
    derived = load_subject("img:1", None, sample)
    assert given.channels == derived.channels
    for key in ("ContentType", "SplitType", "CompressionType"):
        assert given.transform["TransformInput"][key] == derived.transform["TransformInput"][key]
    assert given.hyperparameters == derived.hyperparameters
    assert given.response_types == derived.response_types


def test_a_data_folder_without_the_profile_channels_is_refused(tmp_path: Path) -> None:
    (tmp_path / "inference").mkdir()
    (tmp_path / "inference" / "rows.csv").write_text("1,2\n")
    with pytest.raises(ConfigError):
        load_subject("img:1", None, tmp_path)


def test_readme_lists_every_rule_with_its_source() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    table = readme.split(START, 1)[1].split(END, 1)[0]
    assert table == markdown_table(), "stale README rule table: python -m container.check.rules"
    assert len(RULES) == len({rule.id for rule in RULES})


def test_instance_limits_reach_docker_run() -> None:
    resources = instance_resources("ml.m5.large")
    assert resources is not None
    options = ContainerOptions("img:1", limits=resources.docker_arguments())
    arguments = options.run_arguments("name")
    assert arguments[-4:] == ["--cpus", "2", "--memory", "8192m"]
