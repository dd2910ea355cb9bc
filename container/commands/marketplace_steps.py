"""The steps of ``byoa marketplace`` (parsed by :mod:`container.commands.marketplace`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import botocore.exceptions

from container.commands import UsageError, key_values
from container.commands.marketplace import EXAMPLE_BUCKET, EXAMPLE_IMAGE, EXAMPLE_ROLE
from container.errors import ConfigError
from container.marketplace import actions, validation_data
from container.marketplace.algorithm_request import Image, create_algorithm_request
from container.marketplace.aws_session import BotoAws, describe_aws_error
from container.marketplace.change_set import NewVersion, add_version_request
from container.marketplace.errors import MarketplaceError
from container.marketplace.image_check import check_image
from container.marketplace.model_files import model_data_upload
from container.marketplace.model_package_request import create_model_package_request
from container.marketplace.validation_profile import (
    ValidationSettings,
    algorithm_validation,
    check_instance_types,
    model_package_validation,
)
from container.marketplace.waiting import Poll
from container.plugin import SAMPLE_FOLDER, Algorithm, load_algorithm
from container.sample_data import INFERENCE


def handle_spec(arguments: argparse.Namespace) -> int:
    examples = _fill_examples(arguments)
    if examples:
        print(f"example values used for: {', '.join(examples)}", file=sys.stderr)
    run = actions.Run(report=print, dry_run=True)
    return _guarded(lambda: _create_algorithm(arguments, None, run, show_uploads=False))


def handle_create_algorithm(arguments: argparse.Namespace) -> int:
    return _guarded(lambda: _create_algorithm(arguments, _aws(arguments), _run(arguments)))


def handle_create_model_package(arguments: argparse.Namespace) -> int:
    return _guarded(lambda: _create_model_package(arguments, _aws(arguments), _run(arguments)))


def handle_add_version(arguments: argparse.Namespace) -> int:
    return _guarded(lambda: _add_version(arguments, _aws(arguments), _run(arguments)))


def _fill_examples(arguments: argparse.Namespace) -> list[str]:
    filled = []
    for flag, value in (("image", EXAMPLE_IMAGE), ("role_arn", EXAMPLE_ROLE),
                        ("bucket", EXAMPLE_BUCKET)):  # fmt: skip
        if not getattr(arguments, flag):
            setattr(arguments, flag, value)
            filled.append("--" + flag.replace("_", "-"))
    return filled


def _aws(arguments: argparse.Namespace) -> BotoAws | None:
    return None if arguments.dry_run else BotoAws(arguments.profile, arguments.region)


def _run(arguments: argparse.Namespace) -> actions.Run:
    poll = Poll(arguments.poll_seconds, arguments.timeout_minutes * 60.0)
    return actions.Run(_say, arguments.dry_run, not arguments.no_wait, poll)


def _say(line: str) -> None:
    """Progress lines reach a log at once, even through a pipe, during hours of waiting."""
    print(line, flush=True)


def _guarded(step: Any) -> int:
    """Run ``step``; AWS and Marketplace errors become one clear line on stderr and exit 1."""
    try:
        result: int = step()
        return result
    except (MarketplaceError, ConfigError) as error:
        print(f"byoa marketplace: {error}", file=sys.stderr)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        print(f"byoa marketplace: {describe_aws_error(error)}", file=sys.stderr)
    return 1


def _create_algorithm(
    arguments: argparse.Namespace, aws: Any, run: actions.Run, show_uploads: bool = True
) -> int:
    algorithm = load_algorithm()
    spec = algorithm.spec
    digest = _checked_digest(arguments, aws, run)
    folder, settings = _validation(arguments, algorithm)
    request = create_algorithm_request(
        spec, Image(arguments.image, digest), algorithm_validation(spec, settings),
        arguments.name,
    )  # fmt: skip
    if show_uploads:
        actions.upload_data(aws, _uploads(arguments, folder), run)
    return actions.create_algorithm(aws, request, run)


def _checked_digest(arguments: argparse.Namespace, aws: Any, run: actions.Run) -> str | None:
    """The digest to pin: checked in ECR first, unless dry or told to skip."""
    if aws is None or getattr(arguments, "skip_image_check", True):
        return arguments.digest  # type: ignore[no-any-return]
    found = check_image(aws, arguments.image)
    if arguments.digest and arguments.digest != found:
        raise MarketplaceError(f"--digest {arguments.digest} is not the image's digest {found}")
    run.report(f"image {arguments.image} is in ECR as {found}, scanned, no Critical/High")
    return found


def _create_model_package(arguments: argparse.Namespace, aws: Any, run: actions.Run) -> int:
    algorithm = load_algorithm()
    spec = algorithm.spec
    folder, settings = _validation(arguments, algorithm)
    model = model_data_upload(arguments.model_data, arguments.bucket, arguments.prefix)
    model_url = model.uri if model is not None else arguments.model_data
    request = create_model_package_request(
        spec, arguments.name, arguments.algorithm, model_url,
        model_package_validation(spec, settings),
    )  # fmt: skip
    uploads = _uploads(arguments, folder, inference_only=True)
    actions.upload_data(aws, uploads + ([model] if model else []), run)
    return actions.create_model_package(aws, request, run)


def _add_version(arguments: argparse.Namespace, aws: Any, run: actions.Run) -> int:
    version = NewVersion(
        arguments.product_id, arguments.algorithm_arn, arguments.access_role_arn,
        arguments.title, arguments.release_notes, arguments.usage_instructions,
        arguments.notebook_url, arguments.repository_url,
    )  # fmt: skip
    intent = "VALIDATE" if arguments.validate else "APPLY"
    return actions.start_change_set(aws, add_version_request(version, intent), run)


def _validation(
    arguments: argparse.Namespace, algorithm: Algorithm
) -> tuple[Path, ValidationSettings]:
    spec = algorithm.spec
    folder = arguments.data or algorithm.sample_dir
    if folder is None:
        raise UsageError(
            f"--data is required: algorithm {spec.name!r} has no {SAMPLE_FOLDER}/ folder beside "
            f"its module ({algorithm.module.__name__}); give it one (a sub-folder per channel, "
            "e.g. sample/train/, and sample/inference/ with headerless rows) or pass --data"
        )
    hyperparameters = {**spec.validation_hyperparameters, **key_values(arguments.hp, "--hp")}
    data = validation_data.locations(spec, folder, arguments.bucket, arguments.prefix)
    settings = ValidationSettings(
        arguments.role_arn, data, hyperparameters,
        arguments.training_instance_type, arguments.transform_instance_type,
    )  # fmt: skip
    check_instance_types(spec, settings)
    return folder, settings


def _uploads(
    arguments: argparse.Namespace, folder: Path, inference_only: bool = False
) -> list[validation_data.Upload]:
    uploads = validation_data.plan_uploads(folder, arguments.bucket, arguments.prefix)
    if inference_only:
        inference = f"/{INFERENCE}/"
        uploads = [u for u in uploads if inference in f"/{u.key}"]
    return uploads
