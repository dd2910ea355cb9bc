"""boto3 clients for the Marketplace commands, with the errors a seller can act on.

The region and credentials come from the usual AWS places (``--profile``/``AWS_PROFILE``,
``--region``/``AWS_REGION``, ``~/.aws/config``); ``AWS_ENDPOINT_URL`` points every client at
another endpoint (botocore honours it), which is how the tests reach moto on 127.0.0.1.
"""

from __future__ import annotations

from typing import Any

import boto3
import botocore.exceptions

from container.marketplace.errors import MarketplaceError


class BotoAws:
    """One boto3 session; ``client(service)`` as ``actions.Aws`` wants it."""

    def __init__(self, profile: str | None, region: str | None) -> None:
        try:
            self.session = boto3.Session(profile_name=profile, region_name=region)
        except botocore.exceptions.ProfileNotFound as error:
            raise MarketplaceError(f"{error}: check --profile or AWS_PROFILE") from error
        if not self.session.region_name:
            raise MarketplaceError(
                "no AWS region: pass --region, set AWS_REGION, or run aws configure set region"
            )
        if self.session.get_credentials() is None:
            raise MarketplaceError(
                "no AWS credentials: run aws configure (or set AWS_PROFILE / AWS_ACCESS_KEY_ID)"
            )

    def client(self, service: str) -> Any:
        return self.session.client(service)  # type: ignore[call-overload]


def describe_aws_error(error: Exception) -> str:
    """One line for an AWS failure: the service's code and message, or botocore's text."""
    if isinstance(error, botocore.exceptions.ClientError):
        details = error.response.get("Error", {})
        operation = error.operation_name
        return f"{operation} failed: {details.get('Code', '?')}: {details.get('Message', '')}"
    return str(error)
