"""Stops and failures: SIGTERM during training and serving, a broken channel's failure file."""

from __future__ import annotations

import gzip
import shutil
import subprocess
import time
from pathlib import Path

from container.check import jobs
from container.check.rules import Finding, Status, failed, finding, passed
from container.check.subject import Subject
from container.docker_runner import (
    HOSTING_GRACE_SECONDS,
    TRAINING_GRACE_SECONDS,
    ContainerOptions,
    ServeContainer,
    remove_container,
)
from container.failure import FAILURE_REASON_LIMIT

FIRST_LINE_WAIT_SECONDS = 240.0
SIGKILLED = 137


def training_stop_rule(subject: Subject, root: Path, options: ContainerOptions) -> Finding:
    """SIGTERM once the job logs its first line; it must end before SageMaker's SIGKILL."""
    layout = jobs.lay_out(subject, root)
    name, process = jobs.start_training(layout, options)
    reader = jobs.LogReader(process)
    try:
        reader.first_line.wait(FIRST_LINE_WAIT_SECONDS)
        if process.poll() is not None:
            return finding(
                "stop.training", Status.WARN,
                f"the job ended (exit {process.returncode}) before SIGTERM could be sent",
                "nothing to change unless real jobs are longer",
            )  # fmt: skip
        subprocess.run([options.docker, "kill", "--signal", "TERM", name], capture_output=True)
        signalled = time.monotonic()
        try:
            code = process.wait(timeout=TRAINING_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            return failed(
                "stop.training", f"still running {TRAINING_GRACE_SECONDS} s after SIGTERM "
                "(SageMaker would SIGKILL it and keep no model)",
                "handle SIGTERM in PID 1: save what the job has and exit (exec-form ENTRYPOINT)",
            )  # fmt: skip
        seconds = time.monotonic() - signalled
    finally:
        remove_container(name, options.docker)
        process.wait()
        reader.text()
    return passed("stop.training", f"ended {seconds:.1f} s after SIGTERM, exit {code}")


def serving_stop_rule(container: ServeContainer) -> Finding:
    """``docker stop`` with SageMaker's 30 s grace on the server the hosting rules used."""
    started = time.monotonic()
    code = container.stop(HOSTING_GRACE_SECONDS)
    seconds = time.monotonic() - started
    if code == SIGKILLED or seconds > HOSTING_GRACE_SECONDS:
        return failed(
            "stop.serving", f"SIGKILL after {seconds:.0f} s (exit {code}): SIGTERM did not stop "
            "the server within SageMaker's 30 s",
            "let PID 1 receive SIGTERM (exec-form ENTRYPOINT, no shell) and stop the server on it",
        )  # fmt: skip
    return passed("stop.serving", f"ended {seconds:.1f} s after SIGTERM, exit {code}")


def broken_channels(subject: Subject, root: Path) -> dict[str, Path]:
    """The profile's channels with the first one replaced by a truncated gzip file."""
    channels = dict(subject.channels)
    first = next(iter(channels))
    broken = root / "broken-channel"
    if broken.exists():
        shutil.rmtree(broken)
    broken.mkdir(parents=True)
    (broken / "part-0.csv.gz").write_bytes(gzip.compress(b"1,2,3\n" * 1000)[:60])
    channels[first] = broken
    return channels


def failure_file_rule(subject: Subject, root: Path, options: ContainerOptions) -> Finding:
    channels = broken_channels(subject, root)
    run = jobs.train(subject, root / "job", options, channels)
    broken = next(iter(channels))
    if run.exit_code == 0:
        return finding(
            "stop.failure-file", Status.WARN,
            f"the job succeeded with a truncated gzip file as channel {broken!r}",
            "read every file of a channel and fail on one that does not decode",
        )  # fmt: skip
    reason = run.failure_reason
    if not reason or not reason.strip():
        return failed(
            "stop.failure-file", f"exit {run.exit_code} with no /opt/ml/output/failure: "
            "SageMaker's FailureReason would be a bare exit code",
            "write the reason (one line first, then any detail) to /opt/ml/output/failure",
        )  # fmt: skip
    first_line = reason.lstrip().splitlines()[0]
    whole_line = run.layout.failure_file.read_text().lstrip().splitlines()[0]
    if len(whole_line) > FAILURE_REASON_LIMIT or first_line.startswith("Traceback"):
        return failed(
            "stop.failure-file", f"first line {whole_line[:120]!r}... ({len(whole_line)} chars)",
            "start the failure file with a one-line reason under 1,024 characters, detail after",
        )  # fmt: skip
    return passed("stop.failure-file", f"channel {broken!r} broken: {first_line[:160]!r}")
