"""``byoa marketplace``: the SageMaker algorithm resource and the Marketplace listing version.

``spec`` prints the ``CreateAlgorithm`` request derived from the algorithm spec (checked against
botocore's service model); ``create-algorithm`` and ``create-model-package`` upload the public
validation data, create the resource and wait for its validation; ``add-version`` adds a version
to an existing product through the Marketplace Catalog API. ``--dry-run`` prints the requests.
The steps themselves (and boto3) are imported only when one runs:
:mod:`container.commands.marketplace_steps`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from container.commands import lazy_handler

STEPS = "container.commands.marketplace_steps"

if TYPE_CHECKING:
    Parsers = argparse._SubParsersAction[argparse.ArgumentParser]
EXAMPLE_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/byoa-tabular:0.1.0"
EXAMPLE_ROLE = "arn:aws:iam::123456789012:role/SageMakerMarketplaceValidation"
EXAMPLE_BUCKET = "example-validation-bucket"
DEFAULT_PREFIX = "byoa/validation"


def add_commands(subparsers: Parsers) -> None:
    parser = subparsers.add_parser(
        "marketplace", help="create the SageMaker algorithm / model package and list versions"
    )
    commands = parser.add_subparsers(dest="marketplace_command", required=True, metavar="STEP")
    _add_spec(commands)
    _add_create_algorithm(commands)
    _add_create_model_package(commands)
    _add_add_version(commands)


def _add_spec(commands: Parsers) -> None:
    parser = commands.add_parser(
        "spec", help="print the CreateAlgorithm request built from the algorithm spec",
        description="Print the CreateAlgorithm request (JSON, usable with aws sagemaker "
        "create-algorithm --cli-input-json) after checking it against botocore's service model. "
        "Values not given are examples, listed on stderr.",
    )  # fmt: skip
    _add_algorithm_arguments(parser, required=False)
    parser.add_argument("--dry-run", action="store_true",
                        help="accepted for symmetry: spec never sends anything")  # fmt: skip
    parser.set_defaults(handler=lazy_handler(STEPS, "handle_spec"))


def _add_create_algorithm(commands: Parsers) -> None:
    parser = commands.add_parser(
        "create-algorithm", help="upload validation data, create the algorithm, wait, report"
    )
    _add_algorithm_arguments(parser, required=True)
    _add_run_arguments(parser)
    parser.add_argument(
        "--skip-image-check",
        action="store_true",
        help="create without checking the image's account, region and scan",
    )
    parser.set_defaults(handler=lazy_handler(STEPS, "handle_create_algorithm"))  # fmt: skip


def _add_create_model_package(commands: Parsers) -> None:
    parser = commands.add_parser(
        "create-model-package", help="a model package from the algorithm and a model.tar.gz"
    )
    parser.add_argument("--algorithm", required=True, help="algorithm name or ARN it came from")
    parser.add_argument(
        "--model-data",
        required=True,
        help="the trained model.tar.gz: a local file (uploaded) or an s3:// URI",
    )
    parser.add_argument("--name", required=True, help="ModelPackageName")  # fmt: skip
    _add_validation_arguments(parser, required=True)
    _add_run_arguments(parser)
    parser.set_defaults(handler=lazy_handler(STEPS, "handle_create_model_package"))


def _add_add_version(commands: Parsers) -> None:
    parser = commands.add_parser(
        "add-version", help="add a version to an existing ML product (Catalog API)"
    )
    parser.add_argument("--product-id", required=True, help="the product's entity id")
    parser.add_argument("--algorithm-arn", required=True)
    parser.add_argument(
        "--access-role-arn",
        required=True,
        help="role AWS Marketplace assumes to read the algorithm and image",
    )
    parser.add_argument("--title", required=True, help="version title buyers see, e.g. 1.1")
    parser.add_argument("--release-notes", required=True)
    parser.add_argument("--usage-instructions", default="See the product page for usage.")
    parser.add_argument("--notebook-url", default="")
    parser.add_argument("--repository-url", default="")
    parser.add_argument(
        "--validate",
        action="store_true",
        help="send with Intent VALIDATE: AWS checks the change without making it",
    )
    _add_run_arguments(parser)  # fmt: skip
    parser.set_defaults(handler=lazy_handler(STEPS, "handle_add_version"))


def _add_algorithm_arguments(parser: argparse.ArgumentParser, required: bool) -> None:
    parser.add_argument("--image", required=required, help="image URI in ECR (repo:tag)")
    parser.add_argument("--digest", help="the image digest sha256:..., pins the image")
    parser.add_argument("--name", help="AlgorithmName (default: the spec's name)")
    _add_validation_arguments(parser, required)


def _add_validation_arguments(parser: argparse.ArgumentParser, required: bool) -> None:
    parser.add_argument(
        "--role-arn", required=required, help="IAM role SageMaker assumes for the validation jobs"
    )
    parser.add_argument("--bucket", required=required, help="S3 bucket for validation data")
    parser.add_argument("--prefix", default=DEFAULT_PREFIX, help="S3 key prefix in --bucket")
    parser.add_argument(
        "--data",
        type=Path,
        help="validation data folder: one sub-folder per channel + inference/ "
        "(default: the algorithm's own sample/ folder)",
    )
    parser.add_argument(
        "--hp",
        action="append",
        metavar="NAME=VALUE",
        help="a hyperparameter of the validation training job (repeatable)",
    )
    parser.add_argument("--training-instance-type", default="")
    parser.add_argument("--transform-instance-type", default="")  # fmt: skip


def _add_run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dry-run", action="store_true", help="print the requests instead of sending them"
    )
    parser.add_argument("--profile", help="AWS profile (default: AWS_PROFILE or default)")
    parser.add_argument("--region", help="AWS region (default: the profile's region)")
    parser.add_argument("--no-wait", action="store_true", help="do not wait for the result")
    parser.add_argument("--poll-seconds", type=float, default=60.0)
    parser.add_argument("--timeout-minutes", type=float, default=360.0)  # fmt: skip
