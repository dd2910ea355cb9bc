"""The rules read from ``docker image inspect``: platform, manifest, entrypoint, size."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from container.check.rules import Finding, Status, failed, finding, passed
from container.errors import ConfigError

SHELLS = ("/bin/sh", "/bin/bash", "sh", "bash", "/bin/dash", "/usr/bin/env")
SIZE_LIMIT_BYTES = 10 * 10**9
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
BIND_TO_PORT_LABEL = "com.amazonaws.sagemaker.capabilities.accept-bind-to-port"


def inspect_image(image: str, docker: str = "docker") -> dict[str, Any]:
    done = subprocess.run([docker, "image", "inspect", image], capture_output=True, text=True)
    if done.returncode != 0:
        raise ConfigError(f"no local image {image!r} (docker image inspect: {done.stderr.strip()})")
    details: dict[str, Any] = json.loads(done.stdout)[0]
    return details


def labels(details: dict[str, Any]) -> dict[str, str]:
    return dict((details.get("Config") or {}).get("Labels") or {})


def platform_rule(details: dict[str, Any]) -> Finding:
    platform = f"{details.get('Os')}/{details.get('Architecture')}"
    if platform == "linux/amd64":
        return passed("image.platform", platform)
    return failed(
        "image.platform", f"{platform}: SageMaker's x86 instance types run linux/amd64 only",
        "build with `docker build --platform linux/amd64` (./build_and_push.sh does)",
    )  # fmt: skip


def manifest_rule(details: dict[str, Any]) -> Finding:
    descriptor = details.get("Descriptor") or {}
    media_type = descriptor.get("mediaType")
    if media_type == OCI_INDEX:
        return failed(
            "image.manifest", f"the local image is an OCI index ({media_type})",
            "build with `--provenance=false --sbom=false` so the push is a single manifest",
        )  # fmt: skip
    if media_type:
        return passed("image.manifest", f"single manifest ({media_type})")
    return passed(
        "image.manifest", "single-platform image in the classic image store: `docker push` sends "
        "one Docker v2 manifest (buildx pushes need --provenance=false)",
    )  # fmt: skip


def entrypoint_rule(details: dict[str, Any]) -> Finding:
    config = details.get("Config") or {}
    entrypoint = list(config.get("Entrypoint") or [])
    if not entrypoint:
        return failed(
            "image.entrypoint", f"no ENTRYPOINT (CMD {config.get('Cmd')}): `docker run IMAGE "
            "train` replaces CMD with `train`, which is not a program",
            'declare ENTRYPOINT ["/path/to/program"] that takes train or serve',
        )  # fmt: skip
    if entrypoint[0] in SHELLS and "-c" in entrypoint[1:3]:
        return failed(
            "image.entrypoint", f"shell form {json.dumps(entrypoint)}: PID 1 is a shell, which "
            "gets train/serve only as $0 (or not at all) and does not pass SIGTERM on",
            'use the exec form: ENTRYPOINT ["/path/to/program"]',
        )  # fmt: skip
    return passed("image.entrypoint", f"exec form {json.dumps(entrypoint)}")


def size_rule(details: dict[str, Any]) -> Finding:
    size = int(details.get("Size") or 0)
    evidence = f"{size / 1e9:.2f} GB"
    if size <= SIZE_LIMIT_BYTES:
        return passed("image.size", evidence)
    return finding(
        "image.size", Status.WARN, f"{evidence}: every instance pulls it before start",
        "leave build tools, tests and caches out of the runtime stage (multi-stage build)",
    )  # fmt: skip


def image_rules(details: dict[str, Any]) -> list[Finding]:
    return [
        platform_rule(details),
        manifest_rule(details),
        entrypoint_rule(details),
        size_rule(details),
    ]
