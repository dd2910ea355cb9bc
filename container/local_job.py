"""Run a training job locally: the real ``train`` entrypoint as a child process on a tree."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from container.environment import BASE_DIR_VARIABLE
from container.failure import read_failure_reason
from container.local_pipe import FifoFeeder, feeding
from container.local_tree import ChannelInput, JobLayout
from container.metrics import metric_definitions
from container.spec import AlgorithmSpec

TRAIN_COMMAND = (sys.executable, "-m", "container.train")


@dataclass
class JobResult:
    exit_code: int
    failure_reason: str | None
    stopped: bool
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def status(self) -> str:
        if self.exit_code == 0:
            return "Stopped" if self.stopped else "Completed"
        return "Failed"


class MetricScraper:
    """Reads metric values out of log lines with the generated ``MetricDefinitions`` regexes."""

    def __init__(self, spec: AlgorithmSpec) -> None:
        definitions = metric_definitions(spec.metrics)
        self.patterns = [(d["Name"], re.compile(d["Regex"])) for d in definitions]
        self.last: dict[str, float] = {}

    def feed(self, line: str) -> None:
        for name, pattern in self.patterns:
            match = pattern.search(line)
            if match:
                self.last[name] = float(match.group(1))


def local_environment(layout: JobLayout, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    environment = {**os.environ, BASE_DIR_VARIABLE: str(layout.base_dir), "PYTHONUNBUFFERED": "1"}
    return {**environment, **(extra or {})}


def run_job(
    layout: JobLayout,
    spec: AlgorithmSpec,
    command: Sequence[str] = TRAIN_COMMAND,
    environment: Mapping[str, str] | None = None,
    echo: TextIO | None = None,
    pipes: Sequence[ChannelInput] = (),
) -> JobResult:
    """Run ``command`` (the train entrypoint), echo its log, scrape metrics, pack the artefacts.

    ``pipes`` are Pipe-mode channels, fed through FIFOs while the job runs.
    """
    env = dict(environment) if environment is not None else local_environment(layout)
    with feeding(pipe_feeders(layout, pipes)):
        return _run(layout, spec, command, env, echo or sys.stdout)


def pipe_feeders(layout: JobLayout, channels: Sequence[ChannelInput]) -> list[FifoFeeder]:
    return [
        FifoFeeder(layout.data_dir, channel.name, channel.source)
        for channel in channels
        if channel.input_mode == "Pipe"
    ]


def _run(
    layout: JobLayout,
    spec: AlgorithmSpec,
    command: Sequence[str],
    env: dict[str, str],
    stream: TextIO,
) -> JobResult:
    scraper = MetricScraper(spec)
    process = subprocess.Popen(
        list(command), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    stopped = False
    try:
        _echo(process, stream, scraper)
    except KeyboardInterrupt:
        stopped = True
        process.send_signal(signal.SIGTERM)
        _echo(process, stream, scraper)
    exit_code = process.wait()
    if exit_code == 0:
        layout.pack()
    return JobResult(exit_code, read_failure_reason(layout.failure_file), stopped, scraper.last)


def _echo(process: subprocess.Popen[str], stream: TextIO, scraper: MetricScraper) -> None:
    """Copy the job's log to ``stream`` line by line, scraping metrics on the way."""
    assert process.stdout is not None
    for line in process.stdout:
        stream.write(line)
        scraper.feed(line)
