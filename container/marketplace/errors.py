"""Errors of the Marketplace commands: each carries the text a seller needs to fix it."""

from __future__ import annotations

from collections.abc import Sequence


class MarketplaceError(Exception):
    """A Marketplace step that cannot go on; the message says what to fix."""


class RequestInvalid(MarketplaceError):
    """A request that botocore's service model refuses; ``problems`` names each field."""

    def __init__(self, operation: str, problems: Sequence[str]) -> None:
        self.operation = operation
        self.problems = tuple(problems)
        listed = "\n  ".join(self.problems)
        super().__init__(f"{operation} request refused by the service model:\n  {listed}")
