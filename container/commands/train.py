"""``byoa train``: a SageMaker training job on this machine, no AWS and no Docker needed."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from container.commands import UsageError, key_values
from container.commands.image_options import add_image_arguments, container_options
from container.commands.scale_options import (
    add_scale_arguments,
    checked_hosts,
    train_cluster,
    with_channel_settings,
)
from container.docker_runner import train_in_container
from container.local_job import JobResult, pipe_feeders, run_job
from container.local_pipe import feeding
from container.local_tree import ChannelInput, JobLayout
from container.plugin import load_algorithm


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "train",
        help="run a training job on an emulated /opt/ml tree",
        description="Lay out /opt/ml as SageMaker does, run the real train entrypoint, "
        "pack model.tar.gz and output.tar.gz, and print the status and metrics.",
    )
    add_job_arguments(parser)
    add_scale_arguments(parser)
    add_image_arguments(parser)
    parser.set_defaults(handler=handle)


def add_job_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--channel",
        action="append",
        required=True,
        metavar="NAME=PATH",
        help="a channel's data: a file or a folder (repeatable)",
    )
    parser.add_argument(
        "--content-type",
        action="append",
        metavar="NAME=TYPE",
        help="a channel's ContentType, e.g. train=text/csv",
    )
    parser.add_argument(
        "--hp",
        action="append",
        metavar="NAME=VALUE",
        help="a hyperparameter (repeatable); written as a string, as SageMaker does",
    )
    parser.add_argument("--hp-file", type=Path, help="hyperparameters.json to start from")
    parser.add_argument("--output", type=Path, required=True,
                        help="job folder: gets opt/ml/, model.tar.gz, output.tar.gz")  # fmt: skip


def channels_from(arguments: argparse.Namespace) -> list[ChannelInput]:
    sources = key_values(arguments.channel, "--channel")
    content_types = key_values(arguments.content_type, "--content-type")
    unknown = sorted(set(content_types) - set(sources))
    if unknown:
        raise UsageError(f"--content-type names channels without --channel: {', '.join(unknown)}")
    channels = []
    for name, source in sources.items():
        path = Path(source).expanduser()
        if not path.exists():
            raise UsageError(f"--channel {name}={source}: no such file or folder")
        channels.append(ChannelInput(name, path.resolve(), content_types.get(name)))
    return channels


def hyperparameters_from(arguments: argparse.Namespace) -> dict[str, str]:
    values: dict[str, str] = {}
    if arguments.hp_file:
        try:
            values = {k: str(v) for k, v in json.loads(arguments.hp_file.read_text()).items()}
        except (OSError, json.JSONDecodeError, AttributeError) as error:
            raise UsageError(f"--hp-file {arguments.hp_file}: {error}") from error
    return {**values, **key_values(arguments.hp, "--hp")}


def handle(arguments: argparse.Namespace) -> int:
    channels = with_channel_settings(channels_from(arguments), arguments)
    spec = load_algorithm().spec
    if checked_hosts(arguments) > 1:
        return train_cluster(arguments, spec, channels, hyperparameters_from(arguments))
    checkpoints = arguments.checkpoint_dir.resolve() if arguments.checkpoint_dir else None
    layout = JobLayout(arguments.output.resolve(), checkpoint_dir=checkpoints)
    layout.create(channels, hyperparameters_from(arguments))
    if arguments.image:
        with feeding(pipe_feeders(layout, channels)):
            result = train_in_container(layout, spec, container_options(arguments))
    else:
        result = run_job(layout, spec, pipes=channels)
    print_result(result, layout)
    return result.exit_code


def print_result(result: JobResult, layout: JobLayout) -> None:
    print(f"\nJob status: {result.status} (exit code {result.exit_code})", file=sys.stderr)
    for name, value in sorted(result.metrics.items()):
        print(f"  {name:<24} {value:.6g}", file=sys.stderr)
    if result.failure_reason:
        print(f"Failure reason: {result.failure_reason.splitlines()[0]}", file=sys.stderr)
        print(f"  (full text: {layout.failure_file})", file=sys.stderr)
    if result.exit_code == 0:
        print(f"Model:  {layout.model_archive}\nOutput: {layout.output_archive}", file=sys.stderr)
