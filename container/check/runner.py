"""``byoa check``: every rule, in the order that reuses the most (one trained model for all
the hosting rules, one server for all the requests), timed."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import replace
from pathlib import Path

from container.check import hardening_rules, image_rules, job_rules, serve_rules, stop_rules
from container.check.instances import limits_for
from container.check.jobs import Server, serving
from container.check.rules import RULES_BY_ID, Finding, Report, failed, skipped
from container.check.subject import Subject
from container.docker_runner import ContainerError, ContainerOptions

Progress = Callable[[str], None]
SIDE_RUNS_AT_ONCE = 2


def _quiet(_line: str) -> None:
    return None


class Check:
    def __init__(
        self, subject: Subject, work: Path, skip: Collection[str] = (), progress: Progress = _quiet
    ) -> None:
        unknown = sorted(set(skip) - set(RULES_BY_ID))
        if unknown:
            raise ValueError(f"unknown rule(s) to skip: {', '.join(unknown)}")
        self.subject = subject
        self.work = work
        self.skip = set(skip)
        self.progress = progress
        self.report = Report(subject.image)

    def wanted(self, *rule_ids: str) -> bool:
        return any(rule_id not in self.skip for rule_id in rule_ids)

    def add(self, *findings: Finding) -> None:
        for item in findings:
            if item.rule.id in self.skip:
                item = skipped(item.rule.id, "skipped (--skip)")
            self.report.add(item)
            self.progress(item.lines()[0])

    def run(self) -> Report:
        started = time.monotonic()
        details = image_rules.inspect_image(self.subject.image)
        self.add(*image_rules.image_rules(details))
        options = ContainerOptions(self.subject.image)
        training = job_rules.train_profile(self.subject, self.work / "profile", options)
        self.add(
            job_rules.training_rule(training),
            job_rules.metrics_rule(self.subject, training.run.log),
        )
        serving_needs_network = self._hosting(training)
        self.add(job_rules.network_rule(training, serving_needs_network))
        run_options = replace(training.options, limits=())
        self._side_runs(training, run_options, image_rules.labels(details))
        self.report.seconds = time.monotonic() - started
        return self.report

    def _hosting(self, training: job_rules.ProfileTraining) -> bool | None:
        """The hosting rules on one server; whether serving needed a network (None: not run)."""
        rule_ids = [*HOSTING_RULES, "profile.transform", "stop.serving"]
        if not training.run.wrote_model:
            self.add(*(skipped(r, "no model: profile.training failed") for r in rule_ids))
            return None
        limits, _ = limits_for(self.subject.transform_instance_type)
        model = training.run.model_dir
        isolated = replace(training.options, network=job_rules.ISOLATED, limits=limits)
        error = self._serve_all(model, isolated)
        if error is None:
            return False
        connected = replace(isolated, network=job_rules.CONNECTED)
        if self._serve_all(model, connected) is None:
            return True
        self.add(failed("serve.startup", error, "make `serve` answer /ping 200 within 4 minutes; "
                        "the container log says why it did not"))  # fmt: skip
        self.add(*(skipped(r, "the server never became healthy") for r in rule_ids[1:]))
        return None

    def _serve_all(self, model: Path, options: ContainerOptions) -> str | None:
        """All hosting rules on one server; the startup error, if it never became healthy."""
        try:
            with serving(model, options) as server:
                self._on_server(server)
                self.add(stop_rules.serving_stop_rule(server.container))
        except ContainerError as error:
            return str(error)
        return None

    def _on_server(self, server: Server) -> None:
        subject = self.subject
        output = self.work / "transform-output"
        self.add(serve_rules.startup_rule(server))
        rules: list[tuple[str, Callable[[], Finding]]] = [
            ("serve.ready", lambda: serve_rules.ready_rule(server, subject)),
            ("serve.request-types", lambda: serve_rules.request_types_rule(server, subject)),
            ("serve.response-types", lambda: serve_rules.response_types_rule(server, subject)),
            ("serve.malformed", lambda: serve_rules.malformed_rule(server, subject)),
            ("serve.execution-parameters",
             lambda: serve_rules.execution_parameters_rule(server, subject)),
            ("serve.ping-busy", lambda: serve_rules.ping_busy_rule(server, subject)),
            ("profile.transform", lambda: serve_rules.transform_rule(server, subject, output)),
        ]  # fmt: skip
        for rule_id, rule in rules:
            if self.wanted(rule_id):
                self.add(_guarded(rule_id, rule))

    def _side_runs(
        self,
        training: job_rules.ProfileTraining,
        options: ContainerOptions,
        labels: dict[str, str],
    ) -> None:
        """Stops, non-root, read-only and labels: independent containers, two at a time (after
        the hosting rules, so nothing competes with the timed /ping)."""
        subject, work, model = self.subject, self.work, training.run.model_dir
        runs: dict[str, Callable[[], Finding]] = {
            "stop.training": lambda: stop_rules.training_stop_rule(subject, work / "stop", options),
            "stop.failure-file":
                lambda: stop_rules.failure_file_rule(subject, work / "broken", options),
            "image.non-root":
                lambda: hardening_rules.non_root_rule(subject, work / "non-root", model, options),
            "image.read-only":
                lambda: hardening_rules.read_only_rule(subject, work / "read-only", model, options),
            "image.labels":
                lambda: hardening_rules.labels_rule(labels, work / "labels", model, options),
        }  # fmt: skip
        needs_model = ("image.non-root", "image.read-only", "image.labels")
        if not training.run.wrote_model:
            self.add(*(skipped(r, "no model: profile.training failed") for r in needs_model))
            runs = {r: run for r, run in runs.items() if r not in needs_model}
        wanted = {r: run for r, run in runs.items() if self.wanted(r)}
        with ThreadPoolExecutor(SIDE_RUNS_AT_ONCE) as pool:
            futures = {pool.submit(run): r for r, run in wanted.items()}
            for future in as_completed(futures):
                self.add(future.result())


def _guarded(rule_id: str, rule: Callable[[], Finding]) -> Finding:
    """A server that goes away mid-rule fails that rule, with what the connection said."""
    try:
        return rule()
    except ConnectionError as error:
        return failed(
            rule_id,
            f"the server went away: {error}",
            "see the container log: a worker that dies takes its requests with it",
        )


HOSTING_RULES = (
    "serve.startup",
    "serve.ready",
    "serve.request-types",
    "serve.response-types",
    "serve.malformed",
    "serve.execution-parameters",
    "serve.ping-busy",
)


def run_check(subject: Subject, skip: Collection[str] = (), progress: Progress = _quiet) -> Report:
    with tempfile.TemporaryDirectory(prefix="byoa-check-") as work:
        return Check(subject, Path(work), skip, progress).run()
