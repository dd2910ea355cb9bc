"""The work of ``byoa check`` (parsed by :mod:`container.commands.check`)."""

from __future__ import annotations

import argparse
import sys

from container.check.runner import run_check
from container.check.subject import load_subject
from container.commands import UsageError
from container.docker_runner import sigterm_as_interrupt


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def handle(arguments: argparse.Namespace) -> int:
    subject = load_subject(arguments.image, arguments.request, arguments.data)
    quiet = arguments.json
    try:
        with sigterm_as_interrupt():
            report = run_check(subject, arguments.skip, _progress if not quiet else _silent)
    except ValueError as error:
        raise UsageError(str(error)) from error
    sys.stdout.write(report.as_json() if arguments.json else "\n" + report.text())
    return 1 if report.failed else 0


def _silent(_line: str) -> None:
    return None
