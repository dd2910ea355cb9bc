"""An algorithm's data folder, as its ``sample/`` is laid out: one sub-folder per channel of its
spec and ``inference/`` with headerless rows to predict (the demo trains on it, the Marketplace
validation profile trains and transforms on it; ``--data`` names another such folder)."""

from __future__ import annotations

from pathlib import Path

from container.errors import ConfigError
from container.spec import AlgorithmSpec

INFERENCE = "inference"


def channel_folders(spec: AlgorithmSpec, folder: Path) -> dict[str, Path]:
    """The non-empty sub-folder of each declared channel ``folder`` holds, in name order;
    ConfigError when a required channel or ``inference/`` is missing or a folder is unknown."""
    present = sorted(p.name for p in folder.iterdir() if p.is_dir() and _has_files(p))
    declared = {c.name for c in spec.channels}
    unknown = [n for n in present if n not in declared and n != INFERENCE]
    missing = [c.name for c in spec.channels if c.required and c.name not in present]
    if unknown or missing or INFERENCE not in present:
        raise ConfigError(
            f"data folder {folder} needs one non-empty sub-folder per channel "
            f"(declared: {', '.join(sorted(declared))}; required missing: "
            f"{', '.join(missing) or 'none'}; unknown: {', '.join(unknown) or 'none'}) "
            f"and a non-empty {INFERENCE}/ folder of headerless rows"
        )
    return {name: folder / name for name in present if name != INFERENCE}


def _has_files(folder: Path) -> bool:
    return any(p.is_file() for p in folder.rglob("*"))
