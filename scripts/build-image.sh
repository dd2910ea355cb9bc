#!/usr/bin/env bash
# Build the project image (default byoa:dev) from the real Dockerfile, offline-friendly.
#
# CI cannot pull images or reach the PyTorch index, so this build uses the local base image
# (scripts/build-base-image.sh), Debian's python3-dev for the build stage, and the local torch
# CPU wheel put into the build-context folder wheels/ (git ignores *.whl; pip --find-links).
# The user-facing build stays a plain `docker build .` on python:3.11-slim-bookworm.
#
# Usage: scripts/build-image.sh [extra docker build arguments...]
# Env:   BYOA_TEST_IMAGE (tag, default byoa:dev), BYOA_BASE_IMAGE (default byoa-base:bookworm),
#        TORCH_WHEEL (default /opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl)
#        BYOA_BUILD_REF: build a commit (git archive) instead of the working tree, e.g. HEAD
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -n "${BYOA_BUILD_REF:-}" ]]; then
    context="$(mktemp -d /var/tmp/byoa-context.XXXXXX)"
    trap 'rm -rf "$context"' EXIT
    git archive "$BYOA_BUILD_REF" | tar -x -C "$context"
    echo "[image] building $BYOA_BUILD_REF ($(git rev-parse --short "$BYOA_BUILD_REF")) from $context"
    cd "$context"
fi

TAG="${BYOA_TEST_IMAGE:-byoa:dev}"
BASE="${BYOA_BASE_IMAGE:-byoa-base:bookworm}"
TORCH_WHEEL="${TORCH_WHEEL:-/opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl}"

if ! docker image inspect "$BASE" >/dev/null 2>&1; then
    echo "[image] base image $BASE is missing: run scripts/build-base-image.sh first" >&2
    exit 1
fi
if [[ -f "$TORCH_WHEEL" ]]; then
    # A hard link costs nothing; fall back to a copy across file systems.
    target="wheels/$(basename "$TORCH_WHEEL")"
    [[ -f "$target" ]] || ln "$TORCH_WHEEL" "$target" 2>/dev/null || cp "$TORCH_WHEEL" "$target"
else
    echo "[image] no local torch wheel at $TORCH_WHEEL; pip will download torch" >&2
fi

# The default build is also tagged after the context's content, so tests/docker finds the image
# of this very source (a build with extra arguments, e.g. MULTI_MODEL=true, is another image).
tags=(--tag "$TAG")
if (( $# == 0 )); then
    tags+=(--tag "${TAG%:*}:$("${PYTHON:-python3}" -m container.build_context)")
fi
echo "[image] docker build ${tags[*]} (base $BASE)"
start=$(date +%s)
DOCKER_BUILDKIT=0 docker build \
    --network host \
    --platform linux/amd64 \
    --build-arg BASE_IMAGE="$BASE" \
    --build-arg BUILD_PACKAGES=python3-dev \
    --build-arg TORCH_INDEX_URL= \
    "${tags[@]}" \
    "$@" .
echo "[image] built $TAG in $(( $(date +%s) - start )) s;" \
    "size $(docker image inspect --format '{{.Size}}' "$TAG" | awk '{printf "%.0f MB", $1/1e6}')"
