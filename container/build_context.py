"""The image's build context as Docker sees it, and a tag named after its content.

The Docker tests must never run against an image built from older source: ``context_tag``
names the image after a digest of the Dockerfile and of every file the ``.dockerignore`` lets
into the context, so ``scripts/build-image.sh`` tags what it built with it and the tests look
for exactly that tag (building it when it is missing).

``.dockerignore`` is read with Docker's rules: patterns in order, the last match wins, ``!``
re-includes, ``*`` and ``?`` stay within one path segment, ``**`` spans any number of them,
and a pattern that matches a folder matches everything beneath it.

``python -m container.build_context [ROOT]`` prints the tag suffix.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

TAG_PREFIX = "src-"
DIGEST_CHARS = 16
WHEEL = ".whl"


@dataclass(frozen=True)
class IgnoreRule:
    text: str
    pattern: re.Pattern[str]
    include: bool

    def may_include_under(self, folder: str) -> bool:
        """Whether this re-including rule could match a path inside ``folder``."""
        literal = re.split(r"[*?\[]", self.text, maxsplit=1)[0]
        return self.include and (folder + "/").startswith(literal[: len(folder) + 1])


def parse_dockerignore(text: str) -> list[IgnoreRule]:
    rules = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        include = line.startswith("!")
        pattern = line.removeprefix("!").strip().strip("/")
        rules.append(IgnoreRule(pattern, re.compile(_translate(pattern)), include))
    return rules


def _translate(pattern: str) -> str:
    out, index = [], 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            out.append(".*")
            index += 2
        else:
            char = pattern[index]
            out.append({"*": "[^/]*", "?": "[^/]"}.get(char, re.escape(char)))
            index += 1
    return "".join(out)


def is_included(relative: str, rules: list[IgnoreRule]) -> bool:
    """Whether the file ``relative`` (POSIX, from the context root) is sent to the build."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    included = True
    for rule in rules:
        if any(rule.pattern.fullmatch(prefix) for prefix in prefixes):
            included = rule.include
    return included


def context_files(root: Path) -> Iterator[Path]:
    """The files sent to the build, sorted; excluded folders no rule re-includes are skipped."""
    ignore = root / ".dockerignore"
    rules = parse_dockerignore(ignore.read_text()) if ignore.exists() else []
    found = []
    for folder, subfolders, files in os.walk(root):
        base = Path(folder).relative_to(root).as_posix().removeprefix(".")
        prefix = f"{base}/" if base else ""
        subfolders[:] = [d for d in subfolders if _worth_walking(prefix + d, rules)]
        found += [Path(folder, f) for f in files if is_included(prefix + f, rules)]
    yield from sorted(found)


def _worth_walking(folder: str, rules: list[IgnoreRule]) -> bool:
    return is_included(folder, rules) or any(r.may_include_under(folder) for r in rules)


def context_digest(root: Path) -> str:
    digest = hashlib.sha256()
    # Wheels are left out: the Dockerfile pins the versions, and the offline build links one in.
    for path in [root / "Dockerfile", *(p for p in context_files(root) if p.suffix != WHEEL)]:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        with path.open("rb") as stream:
            while block := stream.read(1 << 20):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()[:DIGEST_CHARS]


def context_tag(root: Path) -> str:
    return TAG_PREFIX + context_digest(root)


if __name__ == "__main__":
    print(context_tag(Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()))
