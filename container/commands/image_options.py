"""The Docker-mode options shared by ``byoa train``, ``byoa serve`` and ``byoa transform``."""

from __future__ import annotations

import argparse

from container.commands import key_values
from container.docker_runner import ContainerOptions


def add_image_arguments(parser: argparse.ArgumentParser, network: str = "none") -> None:
    group = parser.add_argument_group(
        "Docker mode", "run the image as SageMaker does instead of this Python environment"
    )
    group.add_argument(
        "--image",
        metavar="IMAGE",
        help="the algorithm image (e.g. byoa:dev); without it, no Docker is used",
    )
    group.add_argument(
        "--network",
        default=network,
        help=f"docker network for the container (default {network}; none is SageMaker's "
        "network isolation)",
    )
    group.add_argument(
        "--user",
        metavar="UID[:GID]",
        help="run as this user (default: root, or you if you are not root)",
    )
    group.add_argument(
        "--read-only", action="store_true", help="read-only root file system with a tmpfs /tmp"
    )
    group.add_argument("--env", action="append", metavar="NAME=VALUE",
                       help="environment variable for the container (repeatable)")  # fmt: skip


def container_options(arguments: argparse.Namespace) -> ContainerOptions:
    return ContainerOptions(
        image=arguments.image,
        network=arguments.network,
        user=arguments.user,
        read_only=arguments.read_only,
        environment=key_values(arguments.env, "--env"),
    )
