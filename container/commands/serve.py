"""``byoa serve``, ``byoa predict`` and ``byoa transform``: the serving contract on this machine.

``serve`` does what SageMaker does before it starts a container: extracts ``model.tar.gz`` into
a fresh ``/opt/ml/model`` (here a temporary folder), then runs the real server and reports
readiness from ``/ping``. ``serve --models DIR`` is a multi-model endpoint instead: each folder
or archive in DIR is a model named by its file name (SageMaker's ``TargetModel``), loaded through
``POST /models`` once the server is ready and loaded again on demand after an eviction (see
:mod:`serve.multi_model`). ``predict`` sends one file to ``/invocations``; ``transform`` is a
local batch transform (see :mod:`serve.client`).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from container.commands import UsageError
from container.commands.image_options import add_image_arguments
from container.commands.image_serving import serve_in_container, with_container_server
from serve import client
from serve.process import ServerProcess, ServerStartError, local_server_command
from serve.settings import MULTI_MODEL_VARIABLE, SOURCE_VARIABLE

CONTENT_TYPES = {
    ".csv": "text/csv", ".json": "application/json", ".jsonl": "application/jsonlines",
    ".jsonlines": "application/jsonlines", ".npy": "application/x-npy",
}  # fmt: skip
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar")
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class StopRequested(Exception):
    """``byoa serve`` received one of STOP_SIGNALS."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = subparsers.add_parser(
        "serve", help="serve a model locally, as the image's `serve` does",
        description="Extract the model like SageMaker, start the real server, wait for /ping, "
        "stream its log; Ctrl-C stops it.",
    )  # fmt: skip
    served = serve.add_mutually_exclusive_group(required=True)
    served.add_argument("--model", type=Path, help="model.tar.gz or a model folder")
    served.add_argument(
        "--models", type=Path, help="a folder of model folders or archives: a multi-model endpoint"
    )
    serve.add_argument("--port", type=int, default=8080, help="SAGEMAKER_BIND_TO_PORT (8080)")
    serve.add_argument("--workers", type=int, help="SAGEMAKER_MODEL_SERVER_WORKERS")
    add_image_arguments(serve, network="bridge")
    serve.set_defaults(handler=handle_serve)
    predict = subparsers.add_parser("predict", help="send a file to /invocations, print the answer")
    predict.add_argument("--url", default="http://127.0.0.1:8080", help="the server")
    predict.add_argument("--file", type=Path, required=True, help="the request body")
    predict.add_argument("--content-type", help="default: from the file's extension")
    predict.add_argument("--accept", help="e.g. application/json or 'text/csv;verbose=true'")
    predict.add_argument("--custom-attributes", help="X-Amzn-SageMaker-Custom-Attributes")
    predict.set_defaults(handler=handle_predict)
    transform = subparsers.add_parser(
        "transform", help="a local batch transform (SplitType=Line, AssembleWith=Line or None)"
    )
    transform.add_argument("--url", default="http://127.0.0.1:8080", help="the server")
    transform.add_argument("--input", type=Path, required=True, help="a file or a folder")
    transform.add_argument("--output", type=Path, required=True, help="folder for <name>.out")
    transform.add_argument("--content-type", help="default: from the files' extension")
    transform.add_argument("--accept", help="the Accept header (default: the server's)")
    transform.add_argument(
        "--assemble-with", choices=client.ASSEMBLE_WITH, default="Line",
        help="Line: one answer line per input line (checked); None: answers written whole",
    )  # fmt: skip
    transform.add_argument("--model", type=Path, help="with --image: model.tar.gz or folder")
    add_image_arguments(transform, network="bridge")
    transform.set_defaults(handler=handle_transform)


def content_type_for(path: Path, explicit: str | None) -> str:
    if explicit:
        return explicit
    guessed = CONTENT_TYPES.get(path.suffix.lower())
    if guessed is None:
        raise UsageError(f"cannot tell the content type of {path.name}; pass --content-type")
    return guessed


def handle_serve(arguments: argparse.Namespace) -> int:
    if arguments.models is not None:
        return serve_many(arguments)
    model = arguments.model.expanduser().resolve()
    if not model.exists():
        raise UsageError(f"--model {arguments.model}: no such file or folder")
    with tempfile.TemporaryDirectory(prefix="byoa-serve-") as scratch:
        model_dir = prepare_model_dir(model, Path(scratch))
        env = {**os.environ, "BYOA_MODEL_DIR": str(model_dir),
               "SAGEMAKER_BIND_TO_PORT": str(arguments.port)}  # fmt: skip
        if arguments.workers:
            env["SAGEMAKER_MODEL_SERVER_WORKERS"] = str(arguments.workers)
        if arguments.image:
            return serve_in_container(model_dir, arguments, run_until_interrupted)
        return run_until_interrupted(ServerProcess(local_server_command(), arguments.port, env))


def serve_many(arguments: argparse.Namespace) -> int:
    """``serve --models DIR``: every model in DIR behind the multi-model API."""
    source = arguments.models.expanduser().resolve()
    if not source.is_dir():
        raise UsageError(f"--models {arguments.models}: no such folder")
    if arguments.image:
        raise UsageError("--models serves on this machine; it does not take --image")
    with tempfile.TemporaryDirectory(prefix="byoa-serve-models-") as scratch:
        models = prepare_models(source, Path(scratch) / "models")
        if not models:
            raise UsageError(f"--models {arguments.models}: no model folders or archives in it")
        env = {**os.environ, MULTI_MODEL_VARIABLE: "true",
               SOURCE_VARIABLE: str(Path(scratch) / "models"),
               "SAGEMAKER_BIND_TO_PORT": str(arguments.port)}  # fmt: skip
        if arguments.workers:
            env["SAGEMAKER_MODEL_SERVER_WORKERS"] = str(arguments.workers)
        server = ServerProcess(local_server_command(), arguments.port, env)
        return run_until_interrupted(server, on_ready=lambda: load_models(server.url, models))


def prepare_models(source: Path, root: Path) -> dict[str, Path]:
    """Each model of ``source`` as ``root/NAME/model`` (SageMaker's layout), by file name."""
    models: dict[str, Path] = {}
    for entry in sorted(source.iterdir()):
        target = root / entry.name / "model"
        if entry.is_dir():
            target.parent.mkdir(parents=True)
            target.symlink_to(entry, target_is_directory=True)
        elif entry.name.endswith(ARCHIVE_SUFFIXES):
            target.mkdir(parents=True)
            extract_model(entry, target)
        else:
            print(f"[serve] skipping {entry.name}: neither a folder nor a tar archive",
                  file=sys.stderr)  # fmt: skip
            continue
        models[entry.name] = target
    return models


def load_models(url: str, models: dict[str, Path]) -> None:
    for name, folder in models.items():
        body = json.dumps({"model_name": name, "url": str(folder)}).encode()
        reply = client.request(url, "POST", "/models", body, {"Content-Type": "application/json"})
        outcome = "loaded" if reply.status == 200 else reply.body.decode(errors="replace")
        print(f"[serve] model {name}: HTTP {reply.status} {outcome}", file=sys.stderr)


def prepare_model_dir(model: Path, scratch: Path) -> Path:
    """A folder holding the model, extracted from ``model.tar.gz`` as SageMaker does."""
    if model.is_dir():
        return model
    target = scratch / "opt" / "ml" / "model"
    target.mkdir(parents=True)
    extract_model(model, target)
    return target


def extract_model(model: Path, target: Path) -> None:
    try:
        with tarfile.open(model, "r:*") as archive:
            archive.extractall(target, filter="data")
    except tarfile.TarError as error:
        raise UsageError(f"{model}: not a readable tar archive ({error})") from None


def run_until_interrupted(server: ServerProcess, on_ready: Callable[[], None] | None = None) -> int:
    """Start ``server``, stream its log, report readiness, and stop it when this process is
    told to stop (SIGTERM, SIGINT even where a background shell ignores it, SIGHUP) or leaves
    for any other reason; a SIGKILL is covered by :class:`ServerProcess` itself."""
    server.log_sink = lambda line: print(line, file=sys.stderr, flush=True)
    previous = {signum: signal.signal(signum, _raise_stop_once) for signum in STOP_SIGNALS}
    try:
        server.start()
        seconds = server.wait_ready()
        if on_ready is not None:
            on_ready()
        print(f"[serve] ready in {seconds:.1f} s at {server.url} (Ctrl-C stops)", file=sys.stderr)
        assert server.process is not None
        return server.process.wait()
    except ServerStartError as error:
        print(f"[serve] {error}", file=sys.stderr)
        server.stop()
        return 1
    except (StopRequested, KeyboardInterrupt) as stop:
        print(f"[serve] {stop or 'SIGINT'}: stopping the server (SIGTERM)", file=sys.stderr)
        return server.stop()
    finally:
        server.stop()  # whatever ended this function; nothing to do if the server has exited
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _raise_stop_once(signum: int, _frame: FrameType | None) -> None:
    """The first stop signal interrupts the wait; later ones must not interrupt the stop."""
    for other in STOP_SIGNALS:
        signal.signal(other, signal.SIG_IGN)
    raise StopRequested(signum)


def handle_predict(arguments: argparse.Namespace) -> int:
    if not arguments.file.is_file():
        raise UsageError(f"--file {arguments.file}: no such file")
    content_type = content_type_for(arguments.file, arguments.content_type)
    try:
        reply = client.invoke(arguments.url, arguments.file.read_bytes(), content_type,
                              arguments.accept, arguments.custom_attributes)  # fmt: skip
    except OSError as error:
        print(f"[predict] cannot reach {arguments.url}: {error}", file=sys.stderr)
        return 1
    sys.stdout.write(reply.body.decode(errors="replace"))
    if not reply.body.endswith(b"\n"):
        sys.stdout.write("\n")
    print(f"[predict] HTTP {reply.status} {reply.content_type}", file=sys.stderr)
    return 0 if reply.status == 200 else 1


def handle_transform(arguments: argparse.Namespace) -> int:
    if arguments.image:
        if arguments.model is None or not arguments.model.exists():
            raise UsageError("--image needs --model: the model.tar.gz or folder to serve")
        with tempfile.TemporaryDirectory(prefix="byoa-transform-") as scratch:
            model_dir = prepare_model_dir(arguments.model.expanduser().resolve(), Path(scratch))
            return with_container_server(model_dir, arguments, handle_transform)
    source = arguments.input.expanduser()
    files = client.input_files(source) if source.exists() else []
    if not files:
        raise UsageError(f"--input {arguments.input}: no input files")
    try:
        parameters = client.execution_parameters(arguments.url)
        print(f"[transform] {parameters}", file=sys.stderr)
        for path in files:
            relative = path.relative_to(source) if source.is_dir() else Path(path.name)
            target = arguments.output / relative.with_name(relative.name + ".out")
            target.parent.mkdir(parents=True, exist_ok=True)
            content_type = content_type_for(path, arguments.content_type)
            count = client.transform_file(arguments.url, path, target, content_type,
                                          arguments.accept, parameters,
                                          arguments.assemble_with)  # fmt: skip
            print(f"[transform] {path.name}: {count} records -> {target}", file=sys.stderr)
    except (client.InvocationError, ValueError, OSError) as error:
        print(f"[transform] failed: {error}", file=sys.stderr)
        return 1
    return 0
