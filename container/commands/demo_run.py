"""``byoa demo``'s run: split the bundled data, train, serve, score (parsed in ``demo``)."""

from __future__ import annotations

import argparse
import sys

from container import bank_data
from container.commands import key_values
from container.commands.demo_serve import serve_and_score
from container.commands.train import print_result
from container.local_job import run_job
from container.local_tree import ChannelInput, JobLayout
from container.plugin import load_algorithm


def handle(arguments: argparse.Namespace) -> int:
    root = arguments.output.resolve()
    print(f"[demo] splitting the Bank Marketing data into {root / 'data'}", file=sys.stderr)
    train_csv, test_csv = bank_data.write_split(root / "data")
    layout = JobLayout(root / "job")
    hyperparameters = {"label": bank_data.LABEL, **key_values(arguments.hp, "--hp")}
    # No validation channel: the test rows stay unseen until the server scores them.
    layout.create([ChannelInput("train", train_csv, "text/csv")], hyperparameters)
    print("[demo] training through the real train entrypoint", file=sys.stderr)
    result = run_job(layout, load_algorithm().spec)
    print_result(result, layout)
    if result.exit_code != 0:
        return result.exit_code
    print("[demo] serving the model through the real server", file=sys.stderr)
    return serve_and_score(layout.model_archive, test_csv, bank_data.LABEL)
