#!/usr/bin/env bash
# Everything the Docker tests need on Debian bookworm; idempotent, and quick when all is there
# (root is needed only to install packages or start dockerd; `make test` runs it every time).
#
#   1. Debian packages: docker.io (engine + CLI), debootstrap (for the local base image),
#      docker-compose (the SageMaker Python SDK's local mode runs jobs through it).
#   2. dockerd running (started in the background, log in $DOCKERD_LOG) unless `docker info`
#      already answers; waits until it does.
#   3. The local base image byoa-base:bookworm (scripts/build-base-image.sh; kept if present).
#
# The project image itself is built by scripts/build-image.sh (CI runs it before pytest).
set -euo pipefail
cd "$(dirname "$0")/.."

DOCKERD_LOG="${DOCKERD_LOG:-/var/log/dockerd.log}"
PACKAGES=(docker.io debootstrap ca-certificates docker-registry curl wrk nginx-light docker-compose)

need_root() {
    if [[ $EUID -ne 0 ]]; then
        echo "[setup] $1: run as root once: sudo bash $0" >&2
        exit 1
    fi
}

missing=()
for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' \
        || missing+=("$package")
done
if (( ${#missing[@]} )); then
    need_root "packages to install: ${missing[*]}"
    echo "[setup] apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if docker info >/dev/null 2>&1; then
    echo "[setup] dockerd already running"
else
    need_root "the Docker engine is not running"
    echo "[setup] starting dockerd (log: $DOCKERD_LOG)"
    nohup dockerd >"$DOCKERD_LOG" 2>&1 &
    for _ in $(seq 1 60); do
        docker info >/dev/null 2>&1 && break
        sleep 1
    done
    if ! docker info >/dev/null 2>&1; then
        echo "[setup] dockerd did not come up in 60 s; last lines of $DOCKERD_LOG:" >&2
        tail -n 20 "$DOCKERD_LOG" >&2
        exit 1
    fi
fi
echo "[setup] $(docker version --format 'docker engine {{.Server.Version}} ready')"

bash scripts/build-base-image.sh
