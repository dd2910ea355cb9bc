"""The build context as Docker reads .dockerignore, and the content tag of the test image."""

from __future__ import annotations

from pathlib import Path

import pytest

from container.build_context import context_files, context_tag, is_included, parse_dockerignore

ALLOW_LIST = "*\n!pyproject.toml\n!serve/\n**/__pycache__\n# a comment\n\n!serve/keep/*.pyc\n"


@pytest.mark.parametrize(
    ("path", "included"),
    [
        ("pyproject.toml", True),
        ("README.md", False),
        ("serve/app.py", True),
        ("serve/codecs/csv.py", True),
        ("serve/__pycache__/app.cpython-311.pyc", False),
        ("serve/codecs/__pycache__/x.pyc", False),
        ("serve/keep/x.pyc", True),
        ("runs/job/model.tar.gz", False),
        (".venv/bin/python", False),
    ],
)
def test_dockerignore_rules_as_docker_applies_them(path: str, included: bool) -> None:
    assert is_included(path, parse_dockerignore(ALLOW_LIST)) is included


def test_single_star_stays_within_one_segment() -> None:
    rules = parse_dockerignore("docs/*.md\n")
    assert not is_included("docs/a.md", rules)
    assert is_included("docs/sub/a.md", rules)


def _context(root: Path) -> Path:
    (root / "serve").mkdir(parents=True)
    (root / "Dockerfile").write_text("FROM scratch\n")
    (root / ".dockerignore").write_text("*\n!serve/\n!wheels/\n")
    (root / "serve" / "app.py").write_text("print('v1')\n")
    (root / "notes.txt").write_text("not sent\n")
    return root


def test_only_the_files_docker_sends_are_listed(tmp_path: Path) -> None:
    root = _context(tmp_path)
    assert [p.relative_to(root).as_posix() for p in context_files(root)] == ["serve/app.py"]


def test_the_tag_follows_the_sent_files_and_the_dockerfile_only(tmp_path: Path) -> None:
    root = _context(tmp_path)
    first = context_tag(root)
    (root / "notes.txt").write_text("changed, but never sent\n")
    (root / "wheels").mkdir()
    (root / "wheels" / "torch-2.13.0-cp311-none-any.whl").write_bytes(b"linked in by the build")
    assert context_tag(root) == first
    (root / "serve" / "app.py").write_text("print('v2')\n")
    second = context_tag(root)
    assert second != first
    (root / "Dockerfile").write_text("FROM scratch\nLABEL x=y\n")
    assert context_tag(root) not in (first, second)
    assert first.startswith("src-")
