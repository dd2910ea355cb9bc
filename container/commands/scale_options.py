"""``byoa train`` options for Pipe mode, checkpoints and multi-host jobs on this machine."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Mapping
from pathlib import Path

from container.commands import UsageError, key_values
from container.local_cluster import ClusterLayout, run_cluster
from container.local_tree import ChannelInput
from container.spec import AlgorithmSpec, Compression, InputMode

DISTRIBUTIONS = ("FullyReplicated", "ShardedByS3Key")


def add_scale_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("scale", "Pipe mode, checkpoints and several hosts")
    group.add_argument(
        "--input-mode",
        action="append",
        metavar="NAME=File|Pipe",
        help="a channel's TrainingInputMode; Pipe streams it through FIFOs "
        "/opt/ml/input/data/NAME_0, NAME_1, ... as SageMaker does",
    )
    group.add_argument(
        "--compression",
        action="append",
        metavar="NAME=None|Gzip",
        help="a channel's CompressionType (Pipe mode)",
    )
    group.add_argument(
        "--distribution",
        action="append",
        metavar="NAME=FullyReplicated|ShardedByS3Key",
        help="a channel's S3DistributionType",
    )
    group.add_argument(
        "--checkpoint-dir",
        type=Path,
        metavar="PATH",
        help="checkpointconfig.json LocalPath; run again on the same folder to resume",
    )
    group.add_argument("--hosts", type=int, default=1, metavar="N",
                       help="hosts algo-1..N as processes on loopback, each with its own "
                       "OUTPUT/algo-K/opt/ml (default 1)")  # fmt: skip


def with_channel_settings(
    channels: list[ChannelInput], arguments: argparse.Namespace
) -> list[ChannelInput]:
    """``channels`` with the ``--input-mode``, ``--compression`` and ``--distribution`` given."""
    modes = _checked(arguments.input_mode, "--input-mode", [m.value for m in InputMode], channels)
    compressions = _checked(
        arguments.compression, "--compression", [c.value for c in Compression], channels
    )
    distributions = _checked(arguments.distribution, "--distribution", DISTRIBUTIONS, channels)
    return [
        dataclasses.replace(
            channel,
            input_mode=modes.get(channel.name, channel.input_mode),
            compression=compressions.get(channel.name, channel.compression),
            distribution=distributions.get(channel.name, channel.distribution),
        )
        for channel in channels
    ]


def _checked(
    items: list[str] | None,
    flag: str,
    allowed: tuple[str, ...] | list[str],
    channels: list[ChannelInput],
) -> dict[str, str]:
    values = key_values(items, flag)
    names = {channel.name for channel in channels}
    for name, value in values.items():
        if name not in names:
            raise UsageError(f"{flag} {name}={value}: no --channel named {name}")
        if value not in allowed:
            raise UsageError(f"{flag} {name}={value}: use one of {', '.join(allowed)}")
    return values


def checked_hosts(arguments: argparse.Namespace) -> int:
    if arguments.hosts < 1:
        raise UsageError(f"--hosts {arguments.hosts}: need at least 1")
    if getattr(arguments, "image", None):
        if arguments.hosts > 1:
            raise UsageError("--hosts with --image is not supported; see tests/docker/")
        if arguments.checkpoint_dir:
            raise UsageError("--checkpoint-dir with --image is not supported yet")
    return int(arguments.hosts)


def train_cluster(
    arguments: argparse.Namespace,
    spec: AlgorithmSpec,
    channels: list[ChannelInput],
    hyperparameters: Mapping[str, str],
) -> int:
    """``--hosts N``: every host's train entrypoint at once; prints what each host did."""
    if not spec.supports_distributed_training:
        raise UsageError(f"{spec.name} does not declare distributed training support; --hosts 1")
    checkpoints = arguments.checkpoint_dir.resolve() if arguments.checkpoint_dir else None
    cluster = ClusterLayout(arguments.output.resolve(), arguments.hosts, checkpoints)
    cluster.create(channels, hyperparameters)
    result = run_cluster(cluster, spec, pipes=channels)
    print(f"\nJob status: {result.status}", file=sys.stderr)
    for host, code in result.exit_codes.items():
        print(f"  {host}: exit code {code}", file=sys.stderr)
    for name, value in sorted(result.master.metrics.items()):
        print(f"  {name:<24} {value:.6g}", file=sys.stderr)
    if result.master.failure_reason:
        print(f"Failure reason: {result.master.failure_reason.splitlines()[0]}", file=sys.stderr)
    if result.status != "Failed":
        print(f"Model:  {cluster.master.model_archive}", file=sys.stderr)
    return 0 if result.status != "Failed" else 1
