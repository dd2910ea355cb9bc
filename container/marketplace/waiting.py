"""Waiting for SageMaker to validate an algorithm or model package, reporting each status.

SageMaker rules implemented here: ``DescribeAlgorithm`` / ``DescribeModelPackage`` report an
overall status (``Pending``, ``InProgress``, ``Completed``, ``Failed``, ``Deleting``) and, per
validation profile and per image, a status (``NotStarted``, ``InProgress``, ``Completed``,
``Failed``) with a ``FailureReason``. Validation can take hours; a failed resource cannot be
fixed, only deleted and created again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from container.marketplace.errors import MarketplaceError

TERMINAL = ("Completed", "Failed", "Deleting")
CHANGE_SET_TERMINAL = ("SUCCEEDED", "FAILED", "CANCELLED")


@dataclass(frozen=True)
class StatusItem:
    name: str
    status: str
    failure_reason: str = ""

    def line(self, kind: str) -> str:
        reason = f": {self.failure_reason}" if self.failure_reason else ""
        return f"  {kind} {self.name}: {self.status}{reason}"


@dataclass(frozen=True)
class ResourceStatus:
    status: str
    validations: tuple[StatusItem, ...] = ()
    image_scans: tuple[StatusItem, ...] = ()
    terminal: tuple[str, ...] = TERMINAL
    success: str = "Completed"
    item_kind: str = "validation"

    @property
    def finished(self) -> bool:
        return self.status in self.terminal

    @property
    def succeeded(self) -> bool:
        return self.status == self.success

    def lines(self, resource: str) -> list[str]:
        return [
            f"{resource}: {self.status}",
            *(item.line(self.item_kind) for item in self.validations),
            *(item.line("image scan") for item in self.image_scans),
        ]


def _items(entries: Sequence[Mapping[str, Any]]) -> tuple[StatusItem, ...]:
    return tuple(
        StatusItem(e.get("Name", "?"), e.get("Status", "?"), e.get("FailureReason", ""))
        for e in entries
    )


def _status(description: Mapping[str, Any], status_key: str, details_key: str) -> ResourceStatus:
    details = description.get(details_key, {})
    return ResourceStatus(
        description[status_key],
        _items(details.get("ValidationStatuses", [])),
        _items(details.get("ImageScanStatuses", [])),
    )


def algorithm_status(description: Mapping[str, Any]) -> ResourceStatus:
    return _status(description, "AlgorithmStatus", "AlgorithmStatusDetails")


def model_package_status(description: Mapping[str, Any]) -> ResourceStatus:
    return _status(description, "ModelPackageStatus", "ModelPackageStatusDetails")


def change_set_status(description: Mapping[str, Any]) -> ResourceStatus:
    """A Catalog change set: ``PREPARING``/``APPLYING`` until ``SUCCEEDED``, ``FAILED``..."""
    errors = tuple(
        StatusItem(change.get("ChangeType", "?"), "error", _error_text(error))
        for change in description.get("ChangeSet", [])
        for error in change.get("ErrorDetailList", [])
    )
    failure = description.get("FailureDescription", "")
    if failure:
        errors += (StatusItem("the change set", description.get("FailureCode", "error"), failure),)
    return ResourceStatus(
        description["Status"], errors, (), CHANGE_SET_TERMINAL, "SUCCEEDED", "problem in"
    )


def _error_text(error: Mapping[str, Any]) -> str:
    return f"{error.get('ErrorCode', '')} {error.get('ErrorMessage', '')}".strip()


def describe_algorithm(client: Any, name: str) -> Callable[[], ResourceStatus]:
    return lambda: algorithm_status(client.describe_algorithm(AlgorithmName=name))


def describe_model_package(client: Any, name: str) -> Callable[[], ResourceStatus]:
    return lambda: model_package_status(client.describe_model_package(ModelPackageName=name))


def describe_change_set(client: Any, change_set_id: str) -> Callable[[], ResourceStatus]:
    return lambda: change_set_status(
        client.describe_change_set(Catalog="AWSMarketplace", ChangeSetId=change_set_id)
    )


@dataclass(frozen=True)
class Poll:
    """How often and how long to ask; ``sleep`` and ``clock`` are replaceable for tests."""

    interval_seconds: float = 60.0
    timeout_seconds: float = 6 * 3600.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic


def wait(
    describe: Callable[[], ResourceStatus],
    resource: str,
    poll: Poll,
    report: Callable[[str], None],
    hint: str = "",
) -> ResourceStatus:
    """Describe until the status is final, reporting every change; time out with ``hint``."""
    deadline = poll.clock() + poll.timeout_seconds
    shown: list[str] = []
    while True:
        status = describe()
        lines = status.lines(resource)
        if lines != shown:
            for line in lines:
                report(line)
            shown = lines
        if status.finished:
            return status
        if poll.clock() >= deadline:
            raise MarketplaceError(
                f"{resource} is still {status.status} after {poll.timeout_seconds:.0f} s "
                f"(validation can take hours){'; ' + hint if hint else ''}"
            )
        poll.sleep(poll.interval_seconds)
