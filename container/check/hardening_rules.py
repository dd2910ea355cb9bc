"""Runs under other settings than SageMaker's: a non-root user, a read-only root file system,
and the port the capability label promises."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from container.check import jobs
from container.check.image_rules import BIND_TO_PORT_LABEL
from container.check.rules import Finding, failed, passed
from container.check.subject import Subject
from container.docker_runner import ContainerError, ContainerOptions

MULTI_MODEL_LABEL = "com.amazonaws.sagemaker.capabilities.multi-models"
CHECK_PORT = "8089"


def _train_and_serve(
    subject: Subject, root: Path, model_dir: Path, options: ContainerOptions
) -> str | None:
    """None when both work under ``options``, else what failed."""
    run = jobs.train(subject, root / "job", options)
    if run.exit_code != 0 or not run.wrote_model:
        return f"training: {run.outcome()}"
    model = jobs.copy_model(model_dir, root / "model", options.user)
    try:
        with jobs.serving(model, options):
            pass
    except ContainerError as error:
        return f"serving: {error}"
    return None


def non_root_rule(
    subject: Subject, root: Path, model_dir: Path, options: ContainerOptions
) -> Finding:
    return _works_under(
        "image.non-root", f"as {jobs.NON_ROOT}", replace(options, user=jobs.NON_ROOT),
        "write only to /opt/ml and /tmp, and set HOME and caches under /tmp",
        subject, root, model_dir,
    )  # fmt: skip


def read_only_rule(
    subject: Subject, root: Path, model_dir: Path, options: ContainerOptions
) -> Finding:
    return _works_under(
        "image.read-only", "with --read-only, tmpfs /tmp", replace(options, read_only=True),
        "write nothing outside /opt/ml and /tmp at run time (caches, logs, HOME under /tmp)",
        subject, root, model_dir,
    )  # fmt: skip


def _works_under(
    rule: str,
    settings: str,
    options: ContainerOptions,
    fix: str,
    subject: Subject,
    root: Path,
    model_dir: Path,
) -> Finding:
    """``rule`` passes when the image trains and serves under ``options`` (``settings``)."""
    problem = _train_and_serve(subject, root, model_dir, options)
    if problem:
        return failed(rule, f"{settings}: {problem}", fix)
    return passed(rule, f"trained and served {settings}")


def labels_rule(
    labels: dict[str, str], root: Path, model_dir: Path, options: ContainerOptions
) -> Finding:
    declared = {k: v for k, v in labels.items() if k.startswith("com.amazonaws.sagemaker.")}
    listed = ", ".join(f"{k.rsplit('.', 1)[-1]}={v}" for k, v in sorted(declared.items()))
    if labels.get(BIND_TO_PORT_LABEL) != "true":
        return passed("image.labels", f"{listed or 'no capability labels'}: served on 8080")
    environment = {**options.environment, "SAGEMAKER_BIND_TO_PORT": CHECK_PORT}
    model = jobs.copy_model(model_dir, root / "model")
    try:
        with jobs.serving(model, replace(options, environment=environment)) as server:
            seconds = server.first_ping_seconds
    except ContainerError as error:
        return failed(
            "image.labels", f"accept-bind-to-port=true but with SAGEMAKER_BIND_TO_PORT="
            f"{CHECK_PORT}: {error}",
            "listen on $SAGEMAKER_BIND_TO_PORT when set, or drop the label",
        )  # fmt: skip
    note = " (multi-models not exercised)" if labels.get(MULTI_MODEL_LABEL) == "true" else ""
    return passed(
        "image.labels", f"{listed}: /ping 200 on SAGEMAKER_BIND_TO_PORT={CHECK_PORT} after "
        f"{seconds:.1f} s{note}",
    )  # fmt: skip
