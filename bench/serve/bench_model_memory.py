"""How much memory a loaded model takes beside its files: the multi-model size rule's figures.

For each model folder given, loads it once (the framework's one-time set-up), then 50 more
times keeping every copy, and prints the folder's size on disk, the resident memory (RSS) each
further copy added, and their ratio, side by side. ``BYOA_ALGORITHM`` picks the algorithm.

    python bench/serve/bench_model_memory.py runs/a/opt/ml/model runs/b/opt/ml/model
"""

from __future__ import annotations

import sys
from pathlib import Path

from container.plugin import load_algorithm
from serve.multi_model import folder_bytes, resident_bytes

COPIES = 50


def main(folders: list[Path]) -> int:
    if not folders:
        print(__doc__, file=sys.stderr)
        return 2
    algorithm = load_algorithm()
    print(f"{'model folder':<60} {'on disk KiB':>12} {'RSS per copy KiB':>17} {'ratio':>6}")
    for folder in folders:
        algorithm.model_fn(folder)
        before = resident_bytes()
        held = [algorithm.model_fn(folder) for _ in range(COPIES)]
        grown = (resident_bytes() - before) / len(held)
        disk = folder_bytes(folder)
        print(f"{folder!s:<60} {disk / 1024:>12.0f} {grown / 1024:>17.0f} {grown / disk:>6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main([Path(argument) for argument in sys.argv[1:]]))
