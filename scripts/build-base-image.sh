#!/usr/bin/env bash
# Build the local base image byoa-base:bookworm without pulling from any registry.
#
# CI machines cannot reach a container registry, so the base is made from Debian packages:
# debootstrap a minimal bookworm root with Debian's python3 (3.11) and python3-venv, then
# `docker import` it. The host's CA bundle is copied in after apt has run (apt's
# ca-certificates trigger rewrites the bundle), and PIP_CERT points pip at it, so `pip install`
# inside image builds trusts the same TLS proxy the host does.
#
# Usage: scripts/build-base-image.sh [--force]     (as root; needs debootstrap and dockerd)
# Env:   BYOA_BASE_IMAGE (default byoa-base:bookworm), DEBIAN_MIRROR (default: debootstrap's).
set -euo pipefail

TAG="${BYOA_BASE_IMAGE:-byoa-base:bookworm}"
SUITE=bookworm
PACKAGES=python3,python3-venv,ca-certificates
HOST_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt

if [[ "${1:-}" != "--force" ]] && docker image inspect "$TAG" >/dev/null 2>&1; then
    echo "[base] $TAG already exists (use --force to rebuild)"
    exit 0
fi
if [[ $EUID -ne 0 ]]; then
    echo "[base] debootstrap needs root: run as root (sudo $0)" >&2
    exit 1
fi

work="$(mktemp -d /var/tmp/byoa-base.XXXXXX)"
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"

echo "[base] debootstrap $SUITE (minbase + $PACKAGES) into $root"
# shellcheck disable=SC2086  # DEBIAN_MIRROR is optional and must vanish when empty
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$root" ${DEBIAN_MIRROR:-} \
    >"$work/debootstrap.log" 2>&1 || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }

# After apt (debootstrap ran it): the host bundle carries the proxy CA that pip must trust.
cp "$HOST_CA_BUNDLE" "$root/etc/ssl/certs/ca-certificates.crt"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/tmp/*

echo "[base] docker import -> $TAG"
tar --numeric-owner -C "$root" -c . | docker import \
    --change 'ENV LANG=C.UTF-8' \
    --change "ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt" \
    --change "ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt" \
    --change 'CMD ["/bin/bash"]' \
    - "$TAG" >/dev/null
docker run --rm --network none "$TAG" python3 -c \
    'import sys, venv, ssl; print("[base] python", sys.version.split()[0], "ok")'
docker image ls "$TAG"
