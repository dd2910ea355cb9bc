"""``byoa new``: the folder it creates is an algorithm that passes the conformance suite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

NAME = "fresh_algorithm"


def _byoa(*arguments: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "container.cli", *arguments], cwd=cwd,
                          capture_output=True, text=True, timeout=60)  # fmt: skip


@pytest.mark.slow
def test_a_new_algorithm_passes_the_conformance_suite_as_created(tmp_path: Path) -> None:
    created = _byoa("new", NAME, "--dir", str(tmp_path))
    assert created.returncode == 0, created.stderr
    assert f'name="{NAME.replace("_", "-")}"' in (tmp_path / NAME / "__init__.py").read_text()
    env = {**os.environ, "BYOA_ALGORITHM": NAME,
           "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO_ROOT)])}  # fmt: skip
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               "tests/conformance", "-k", NAME]  # fmt: skip
    suite = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                           timeout=900)  # fmt: skip
    assert suite.returncode == 0, suite.stdout[-3000:]
    assert " passed" in suite.stdout and "failed" not in suite.stdout
    own = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          str(tmp_path / NAME / "tests")], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert own.returncode == 0, own.stdout[-3000:]
    assert " passed" in own.stdout


def test_an_existing_folder_or_a_bad_name_is_refused(tmp_path: Path) -> None:
    (tmp_path / NAME).mkdir()
    taken = _byoa("new", NAME, "--dir", str(tmp_path))
    assert taken.returncode == 2 and "already exists" in taken.stderr
    bad = _byoa("new", "my-algorithm", "--dir", str(tmp_path))
    assert bad.returncode == 2 and "not a Python module name" in bad.stderr
