"""Adding a version to an existing Marketplace ML product through the Catalog API.

AWS Marketplace rules implemented here: a version of an ML product is one delivery option
added by ``StartChangeSet`` on catalog ``AWSMarketplace`` with change type
``AddDeliveryOptions`` on an entity of type ``MachineLearningProduct@1.0``; the delivery option
names the algorithm ARN and the role Marketplace assumes to copy it (``AccessRoleArn``);
``Intent: VALIDATE`` checks the change without making it, ``APPLY`` makes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

Request = dict[str, Any]
CATALOG = "AWSMarketplace"
ENTITY_TYPE = "MachineLearningProduct@1.0"
INTENTS = ("VALIDATE", "APPLY")


@dataclass(frozen=True)
class NewVersion:
    product_id: str
    algorithm_arn: str
    access_role_arn: str
    title: str
    release_notes: str
    usage_instructions: str
    sample_notebook_url: str = ""
    repository_url: str = ""


def delivery_option(version: NewVersion) -> Request:
    details: Request = {
        "SageMakerAlgorithmArn": version.algorithm_arn,
        "AccessRoleArn": version.access_role_arn,
        "UsageInstructions": version.usage_instructions,
    }
    if version.sample_notebook_url:
        details["SampleNotebookUrl"] = version.sample_notebook_url
    if version.repository_url:
        details["RepositoryUrl"] = version.repository_url
    return {"Details": {"SageMakerAlgorithmDeliveryOptionDetails": details}}


def add_version_request(version: NewVersion, intent: str) -> Request:
    """The ``StartChangeSet`` request; ``intent`` is ``VALIDATE`` (dry run) or ``APPLY``."""
    if intent not in INTENTS:
        raise ValueError(f"intent must be one of {', '.join(INTENTS)}, not {intent!r}")
    change = {
        "ChangeType": "AddDeliveryOptions",
        "Entity": {"Type": ENTITY_TYPE, "Identifier": version.product_id},
        "DetailsDocument": {
            "Version": {"VersionTitle": version.title, "ReleaseNotes": version.release_notes},
            "DeliveryOptions": [delivery_option(version)],
        },
    }
    return {
        "Catalog": CATALOG,
        "ChangeSet": [change],
        "ChangeSetName": re.sub(r"[^\w\s+=.:@-]", "-", f"Add version {version.title}")[:100],
        "Intent": intent,
    }
