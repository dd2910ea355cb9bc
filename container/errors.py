"""Training errors that carry the text SageMaker shows as the job's ``FailureReason``."""

from __future__ import annotations


class TrainingError(Exception):
    """A failure whose ``reason`` is one line that says what is wrong and how to fix it.

    The reason goes first into ``/opt/ml/output/failure`` (SageMaker keeps the first 1,024
    characters); ``detail`` follows it for the logs.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = " ".join(reason.split())
        self.detail = detail


class ConfigError(TrainingError):
    """The job's configuration (hyperparameters, channels, config files) is invalid."""


class DataError(TrainingError):
    """A channel's data cannot be used; the reason names the channel, file, row or column."""


class AlgorithmError(TrainingError):
    """Raised by algorithm code for a problem the job's owner can fix."""
