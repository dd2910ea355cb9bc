"""The validation profile's training job, its metrics, and whether it needs a network."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from container.check import jobs
from container.check.instances import limits_for
from container.check.rules import Finding, Status, failed, finding, passed, skipped
from container.check.subject import Subject
from container.docker_runner import ContainerOptions

ISOLATED = "none"
CONNECTED = "bridge"


@dataclass(frozen=True)
class ProfileTraining:
    run: jobs.TrainingRun
    options: ContainerOptions
    limits_note: str
    isolated_run: jobs.TrainingRun

    @property
    def needs_network(self) -> bool:
        return self.isolated_run.exit_code != 0 and self.run.exit_code == 0


def train_profile(subject: Subject, root: Path, options: ContainerOptions) -> ProfileTraining:
    """As Marketplace does: no network, the instance's limits. Only when that fails, again with
    a network, so that a job that fetches something at run time is told apart."""
    limits, note = limits_for(subject.training_instance_type)
    isolated_options = replace(options, network=ISOLATED, limits=limits)
    isolated = jobs.train(subject, root / "isolated", isolated_options)
    if isolated.exit_code == 0:
        return ProfileTraining(isolated, isolated_options, note, isolated)
    connected_options = replace(isolated_options, network=CONNECTED)
    connected = jobs.train(subject, root / "connected", connected_options)
    if connected.exit_code == 0:
        return ProfileTraining(connected, connected_options, note, isolated)
    return ProfileTraining(isolated, isolated_options, note, isolated)


def training_rule(training: ProfileTraining) -> Finding:
    run = training.run
    if run.exit_code != 0:
        return failed(
            "profile.training", f"{run.outcome()} ({training.limits_note})",
            "run the profile locally (`byoa train` with the sample) and fix what the failure "
            "file says",
        )  # fmt: skip
    if not run.wrote_model:
        return failed("profile.training", "exit 0 but /opt/ml/model is empty",
                      "write the model into /opt/ml/model before exiting")  # fmt: skip
    files = sum(1 for p in run.model_dir.rglob("*") if p.is_file())
    return passed(
        "profile.training", f"{run.outcome()}, {files} model file(s) ({training.limits_note})"
    )


def metrics_rule(subject: Subject, log: str) -> Finding:
    definitions = subject.metric_definitions
    if not definitions:
        return skipped("profile.metrics", "no MetricDefinitions declared")
    matched: list[str] = []
    unmatched: list[str] = []
    broken: list[str] = []
    for definition in definitions:
        try:
            pattern = re.compile(definition["Regex"])
        except re.error as error:
            broken.append(f"{definition['Name']}: {error}")
            continue
        found = pattern.search(log)
        (matched if found and _is_number(found) else unmatched).append(definition["Name"])
    if broken or not matched:
        return failed(
            "profile.metrics", "; ".join(broken) or f"none of {len(definitions)} regexes matched",
            "print metric lines the MetricDefinitions regexes match, one number in group 1",
        )  # fmt: skip
    evidence = f"{len(matched)} of {len(definitions)} matched"
    if unmatched:
        listed = ", ".join(unmatched[:6]) + (" ..." if len(unmatched) > 6 else "")
        return finding(
            "profile.metrics", Status.WARN, f"{evidence}; never logged: {listed}",
            "expected for metrics of a channel the profile does not give; else log them",
        )  # fmt: skip
    return passed("profile.metrics", evidence)


def _is_number(match: re.Match[str]) -> bool:
    try:
        float(match.group(1))
    except (IndexError, ValueError, TypeError):
        return False
    return True


def network_rule(training: ProfileTraining, serving_needs_network: bool | None) -> Finding:
    needs = []
    if training.needs_network:
        needs.append(f"training failed with --network none ({training.isolated_run.outcome()}) "
                     "and passed with a network")  # fmt: skip
    if serving_needs_network:
        needs.append("serving never answered /ping with --network none but did with a network")
    if needs:
        return failed(
            "network.isolated", "; ".join(needs),
            "bake every dependency, model file and data set into the image: Marketplace runs "
            "it with no network",
        )  # fmt: skip
    if training.run.exit_code != 0:
        return skipped("network.isolated", "training fails with and without a network")
    served = "serving" if serving_needs_network is False else "serving not run"
    return passed("network.isolated", f"training and {served} passed with --network none")
