"""``byoa demo``'s run (parsed in ``demo``): train through the real entrypoint, serve the model
through the real server, predict.

By default on the algorithm's sample (``--data`` names another such folder): every channel
folder it declares, its validation hyperparameters, then each ``inference/`` file answered in
every response type the spec declares. With ``--bank``: the bundled data split 70/30, the 30 %
scored over HTTP (AUC).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from container import bank_data
from container.commands import key_values
from container.commands.demo_serve import score_bank_rows, serve_samples
from container.commands.train import print_result
from container.errors import ConfigError
from container.local_job import run_job
from container.local_tree import ChannelInput, JobLayout
from container.plugin import Algorithm, load_algorithm
from container.sample_data import INFERENCE, channel_folders


def handle(arguments: argparse.Namespace) -> int:
    algorithm = load_algorithm()
    root = arguments.output.resolve()
    extra = key_values(arguments.hp, "--hp")
    if arguments.bank:
        return _bank(algorithm, root, extra)
    data = arguments.data or algorithm.sample_dir
    if data is None:
        raise ConfigError(
            f"{algorithm.spec.name} has no sample/ folder beside its module; give --data DIR "
            "(one sub-folder per channel, inference/ with rows to predict)"
        )
    channels = [
        ChannelInput(name, path, algorithm.spec.channel(name).content_types[0])
        for name, path in channel_folders(algorithm.spec, data).items()
    ]
    layout = JobLayout(root / "job")
    layout.create(channels, {**algorithm.spec.validation_hyperparameters, **extra})
    print(f"[demo] training {algorithm.spec.name} on {data}", file=sys.stderr)
    if not _trained(algorithm, layout):
        return 1
    return serve_samples(layout.model_archive, algorithm.spec, data / INFERENCE)


def _bank(algorithm: Algorithm, root: Path, extra: dict[str, str]) -> int:
    print(f"[demo] splitting the Bank Marketing data into {root / 'data'}", file=sys.stderr)
    train_csv, test_csv = bank_data.write_split(root / "data")
    layout = JobLayout(root / "job")
    # No validation channel: the test rows stay unseen until the server scores them.
    layout.create([ChannelInput("train", train_csv, "text/csv")],
                  {"label": bank_data.LABEL, **extra})  # fmt: skip
    if not _trained(algorithm, layout):
        return 1
    return score_bank_rows(layout.model_archive, test_csv, bank_data.LABEL)


def _trained(algorithm: Algorithm, layout: JobLayout) -> bool:
    print("[demo] training through the real train entrypoint", file=sys.stderr)
    result = run_job(layout, algorithm.spec)
    print_result(result, layout)
    return result.exit_code == 0
