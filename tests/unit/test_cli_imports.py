"""The client commands start fast: parsing and ``predict``/``transform`` import no heavy package."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

HEAVY = ("torch", "pandas", "numpy", "boto3", "botocore", "flask", "gunicorn")


def _heavy_after(code: str) -> list[str]:
    probe = f"import sys\n{code}\nprint('\\n' + ' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=REPO_ROOT, check=True)  # fmt: skip
    return done.stdout.splitlines()[-1].split() if done.stdout.strip() else []


@pytest.mark.parametrize(
    "code",
    [
        "import container.cli; container.cli.build_parser()",
        "import container.commands.serve, serve.client",
    ],
)
def test_the_client_side_imports_no_heavy_package(code: str) -> None:
    assert _heavy_after(code) == []


def test_help_runs_without_them() -> None:
    code = (
        "import container.cli\ntry:\n    container.cli.main(['predict', '--help'])\n"
        "except SystemExit:\n    pass"
    )
    assert _heavy_after(code) == []
