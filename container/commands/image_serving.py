"""``byoa serve --image`` and ``byoa transform --image``: the server is the image's ``serve``.

The container gets the model read-only at ``/opt/ml/model`` and its port published on
127.0.0.1 only; the launcher is the same as for a local server (poll ``/ping``, stream the log,
SIGTERM then SIGKILL after 30 s), and the container is removed however the run ends.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from container.commands import UsageError
from container.commands.image_options import container_options
from container.docker_runner import (
    ContainerOptions,
    remove_container,
    serve_command,
    sigterm_as_interrupt,
    unique_name,
)
from serve.process import ServerProcess, ServerStartError

Handler = Callable[[argparse.Namespace], int]
Launcher = Callable[[ServerProcess], int]


def server_options(arguments: argparse.Namespace) -> ContainerOptions:
    options = container_options(arguments)
    if options.network == "none":
        raise UsageError(
            "--network none: nothing outside the container could reach its server; keep the "
            "default network (the port is published on 127.0.0.1 only)"
        )
    workers = getattr(arguments, "workers", None)
    if workers:
        environment = {**options.environment, "SAGEMAKER_MODEL_SERVER_WORKERS": str(workers)}
        options = replace(options, environment=environment)
    return options


def container_server(
    model_dir: Path, options: ContainerOptions, port: int, name: str
) -> ServerProcess:
    command = serve_command(model_dir, options, name, host_port=port)
    return ServerProcess(command, port, dict(os.environ))


def serve_in_container(model_dir: Path, arguments: argparse.Namespace, run: Launcher) -> int:
    """``run`` is the local launcher (``run_until_interrupted``) applied to the container."""
    name = unique_name("serve")
    server = container_server(model_dir, server_options(arguments), arguments.port, name)
    try:
        with sigterm_as_interrupt():
            return run(server)
    finally:
        remove_container(name)


def with_container_server(model_dir: Path, arguments: argparse.Namespace, action: Handler) -> int:
    """Start the image's server on a free loopback port, run ``action`` against it, stop it."""
    name = unique_name("transform")
    port = free_port()
    server = container_server(model_dir, server_options(arguments), port, name)
    server.log_sink = lambda line: print(f"[container] {line}", file=sys.stderr, flush=True)
    try:
        with sigterm_as_interrupt():
            server.start()
            seconds = server.wait_ready()
            print(f"[transform] {name} ready in {seconds:.1f} s", file=sys.stderr)
            url = server.url
            return action(argparse.Namespace(**{**vars(arguments), "image": None, "url": url}))
    except ServerStartError as error:
        print(f"[transform] {error}", file=sys.stderr)
        return 1
    finally:
        server.stop()
        remove_container(name)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
