"""Image figures: size and what dominates it, cold start to first /ping 200 and first prediction,
and (with --ci-stage) the wall time of CI's Docker stage. Prints figures; asserts nothing.

    python bench/image/bench_image.py --image byoa:dev [--model model.tar.gz]
    python bench/image/bench_image.py --image byoa:dev --ci-stage   # also rebuilds: slow

Without --model it first trains one in a container on the bank data (train split, 5 epochs).

Cold start is measured from ``docker run ... serve`` to the first 200, polling every 20 ms on
the port published on 127.0.0.1 (a bridge network; under --network none the relay adds the
cost of a docker exec, which says nothing about the image).
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from container import bank_data  # noqa: E402
from container.commands.image_serving import free_port  # noqa: E402
from container.docker_runner import (  # noqa: E402
    ContainerOptions,
    remove_container,
    serve_command,
    train_in_container,
    unique_name,
)
from container.local_tree import ChannelInput, JobLayout  # noqa: E402
from container.plugin import load_algorithm  # noqa: E402

SITE_PACKAGES = "/opt/venv/lib/python3.11/site-packages"


def image_size(image: str) -> None:
    size = int(_docker("image", "inspect", "--format", "{{.Size}}", image))
    print(f"image {image}: {size / 1e6:.0f} MB")
    script = f"du -sm /opt/venv /usr; du -sm {SITE_PACKAGES}/* | sort -rn | head -n 10"
    listing = _docker("run", "--rm", "--network", "none", "--entrypoint", "sh", image, "-c", script)
    print("what fills it (MB): the venv, the base's /usr, then the largest packages")
    for line in listing.splitlines():
        print(f"  {line}")


def train_model(image: str, folder: Path) -> Path:
    """``train`` in a container (--network none) on the bank data's train/test split."""
    train_csv, test_csv = bank_data.write_split(folder / "data")
    layout = JobLayout(folder / "job")
    channels = [ChannelInput("train", train_csv, "text/csv"),
                ChannelInput("validation", test_csv, "text/csv")]  # fmt: skip
    layout.create(channels, {"label": bank_data.LABEL, "epochs": "5"})
    started = time.perf_counter()
    with open(os.devnull, "w") as quiet:
        result = train_in_container(layout, load_algorithm().spec, ContainerOptions(image), quiet)
    if result.exit_code != 0:
        raise SystemExit(f"training in the container failed: {result.failure_reason}")
    auc = result.metrics.get("validation:auc", float("nan"))
    print(f"train in a container (28,831 rows, 5 epochs): {time.perf_counter() - started:.1f} s, "
          f"validation AUC {auc:.4f}")  # fmt: skip
    return layout.model_archive


def cold_start(image: str, model_dir: Path, runs: int) -> None:
    request = bank_data.load().drop(columns=[bank_data.LABEL]).iloc[:10]
    body = request.to_csv(header=False, index=False).encode()
    ping_times, predict_times = [], []
    for _ in range(runs):
        ping, predict = _one_cold_start(image, model_dir, body)
        ping_times.append(ping)
        predict_times.append(predict)
    print(f"cold start over {runs} runs (median, min-max):")
    for label, values in (("docker run -> first /ping 200", ping_times),
                          ("docker run -> first prediction", predict_times)):  # fmt: skip
        print(f"  {label}: {statistics.median(values):.2f} s ({min(values):.2f}-{max(values):.2f})")


def _one_cold_start(image: str, model_dir: Path, body: bytes) -> tuple[float, float]:
    name, port = unique_name("bench"), free_port()
    options = ContainerOptions(image, network="bridge")
    command = serve_command(model_dir, options, name, host_port=port)
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while _status(port, "GET", "/ping") != 200:
            if process.poll() is not None:
                raise SystemExit(f"the serve container exited with {process.returncode}")
            time.sleep(0.02)
        ping = time.perf_counter() - started
        status = _status(port, "POST", "/invocations", body)
        if status != 200:
            raise SystemExit(f"the first prediction answered {status}")
        return ping, time.perf_counter() - started
    finally:
        subprocess.run(["docker", "stop", "--time", "30", name], capture_output=True, check=False)
        process.wait()
        remove_container(name)


def _status(port: int, method: str, path: str, body: bytes | None = None) -> int | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request(method, path, body=body, headers={"Content-Type": "text/csv"})
        return connection.getresponse().status
    except OSError:
        return None
    finally:
        connection.close()


def ci_stage(image: str) -> None:
    """CI's Docker stage from scratch: base image, image without cache, the docker tests."""
    steps = (
        ("base image (debootstrap + import)", ["bash", "scripts/build-base-image.sh", "--force"]),
        ("project image (no cache)", ["bash", "scripts/build-image.sh", "--no-cache"]),
        ("tests/docker", [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "tests/docker"]),
    )  # fmt: skip
    total = 0.0
    for label, command in steps:
        started = time.perf_counter()
        subprocess.run(command, cwd=REPO_ROOT, check=True, capture_output=True)
        elapsed = time.perf_counter() - started
        total += elapsed
        print(f"  {label}: {elapsed:.0f} s")
    print(f"CI docker stage total: {total:.0f} s")


def _docker(*arguments: str) -> str:
    return subprocess.run(["docker", *arguments], capture_output=True, text=True, check=True).stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", default="byoa:dev")
    parser.add_argument("--model", type=Path, help="model.tar.gz (default: train one first)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--ci-stage", action="store_true", help="also time CI's Docker stage")
    arguments = parser.parse_args()
    image_size(arguments.image)
    with tempfile.TemporaryDirectory(prefix="byoa-bench-") as scratch:
        model = arguments.model or train_model(arguments.image, Path(scratch) / "train")
        model_dir = Path(scratch) / "model"
        with tarfile.open(model) as archive:
            archive.extractall(model_dir, filter="data")
        cold_start(arguments.image, model_dir, arguments.runs)
    if arguments.ci_stage:
        ci_stage(arguments.image)
    return 0


if __name__ == "__main__":
    sys.exit(main())
