#!/usr/bin/env bash
# Build the algorithm image for linux/amd64 and push it to Amazon ECR in your account.
#
#   ./build_and_push.sh [options] [REPOSITORY] VERSION_TAG
#
# REPOSITORY defaults to the installed algorithm's spec name (BYOA_ALGORITHM, default
# algorithm: its SPEC.name, e.g. byoa-tabular), read with PYTHON (default python3).
#
# SageMaker and AWS Marketplace rules this follows: the image is linux/amd64 with a plain
# Docker v2 manifest (no provenance/SBOM attestations, which turn it into an OCI index that
# SageMaker refuses); it lives in an ECR repository of the seller's account, in the region of
# the listing; ECR scans it (scan on push) and Marketplace refuses Critical/High findings; each
# algorithm version gets its own tag (pushing only `latest` is refused).
#
# Options:
#   --region REGION      AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, aws configure)
#   --account ID         AWS account id (default: aws sts get-caller-identity)
#   --profile NAME       AWS CLI profile (default: AWS_PROFILE)
#   --immutable-tags     create the repository with immutable tags (a tag cannot be re-pushed)
#   --also-latest        also push the tag `latest` (not with --immutable-tags)
#   --build-arg K=V      passed to the build (repeatable), e.g. BASE_IMAGE=byoa-base:bookworm
#   --file PATH          Dockerfile (default: Dockerfile in the context)
#   --context DIR        build context (default: the folder of this script)
#   --network MODE       build network, e.g. host
#   --scan-timeout SEC   how long to wait for the ECR scan (default 900)
#   --endpoint-url URL   send AWS API calls there (tests: moto on 127.0.0.1); the AWS CLI also
#                        honours AWS_ENDPOINT_URL
#   --registry HOST:PORT push to this registry instead of ACCOUNT.dkr.ecr.REGION.amazonaws.com;
#                        for tests with a local registry (also BYOA_REGISTRY). ECR then never
#                        sees the push, so the pushed manifest is recorded with `ecr put-image`.
set -euo pipefail
# Arrays that may be empty are expanded as ${a[@]+"${a[@]}"}: bash 3.2 (macOS) treats an
# empty "${a[@]}" as unbound under set -u.

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
readonly PLATFORM="linux/amd64"

region="${AWS_REGION:-${AWS_DEFAULT_REGION:-}}"
account=""
profile="${AWS_PROFILE:-}"
immutable=false
also_latest=false
build_args=()
dockerfile=""
context="$SCRIPT_DIR"
network=""
scan_timeout="${BYOA_SCAN_TIMEOUT:-900}"
poll_seconds="${BYOA_SCAN_POLL_SECONDS:-5}"
endpoint_url=""
registry="${BYOA_REGISTRY:-}"
custom_registry=false

die() {
    echo "build_and_push.sh: error: $*" >&2
    exit 1
}

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}

note() {
    echo "==> $*" >&2
}

parse_arguments() {
    local positional=()
    while (($#)); do
        case "$1" in
            --region) region="${2:?--region needs a value}"; shift ;;
            --account) account="${2:?--account needs a value}"; shift ;;
            --profile) profile="${2:?--profile needs a value}"; shift ;;
            --immutable-tags) immutable=true ;;
            --also-latest) also_latest=true ;;
            --build-arg) build_args+=(--build-arg "${2:?--build-arg needs K=V}"); shift ;;
            --file) dockerfile="${2:?--file needs a path}"; shift ;;
            --context) context="${2:?--context needs a folder}"; shift ;;
            --network) network="${2:?--network needs a mode}"; shift ;;
            --scan-timeout) scan_timeout="${2:?--scan-timeout needs seconds}"; shift ;;
            --endpoint-url) endpoint_url="${2:?--endpoint-url needs a URL}"; shift ;;
            --registry) registry="${2:?--registry needs HOST:PORT}"; shift ;;
            -h | --help) usage ;;
            -*) echo "build_and_push.sh: unknown option $1" >&2; usage ;;
            *) positional+=("$1") ;;
        esac
        shift
    done
    [[ -n "$registry" ]] && custom_registry=true
    case ${#positional[@]} in
        2) repository="${positional[0]}"; tag="${positional[1]}" ;;
        1)
            repository="$(spec_name)"
            tag="${positional[0]}"
            note "repository $repository: the algorithm's spec name"
            ;;
        *) usage ;;
    esac
}

# The installed algorithm's SPEC.name, the repository when none is given.
spec_name() {
    local name
    name="$(cd "$SCRIPT_DIR" && "${PYTHON:-python3}" -c \
        'from container.plugin import load_algorithm; print(load_algorithm().spec.name)')" ||
        die "no REPOSITORY given and the algorithm's spec name could not be read (with ${PYTHON:-python3}); give REPOSITORY"
    echo "$name"
}

check_names() {
    [[ "$repository" =~ ^([a-z0-9]+([._-][a-z0-9]+)*/)*[a-z0-9]+([._-][a-z0-9]+)*$ ]] ||
        die "repository name '$repository' is not valid for ECR (lowercase letters, digits, . _ - /)"
    [[ "$tag" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "tag '$tag' is not a valid image tag"
    [[ "$tag" != "latest" ]] ||
        die "refusing to push only 'latest': give a version tag (e.g. 1.0.0); add --also-latest to move latest too"
    if $immutable && $also_latest; then
        die "--also-latest cannot move 'latest' in a repository with --immutable-tags"
    fi
}

# The AWS CLI with the chosen profile, region and endpoint.
awscli() {
    local options=()
    [[ -n "$profile" ]] && options+=(--profile "$profile")
    [[ -n "$region" ]] && options+=(--region "$region")
    [[ -n "$endpoint_url" ]] && options+=(--endpoint-url "$endpoint_url")
    aws ${options[@]+"${options[@]}"} "$@"
}

check_tools() {
    command -v aws >/dev/null || die "the AWS CLI (aws) is not installed"
    command -v docker >/dev/null || die "docker is not installed"
}

check_docker_engine() {
    local output
    if ! output="$(docker info 2>&1 >/dev/null)"; then
        die "no Docker engine: 'docker info' failed (${output//$'\n'/ }). Start the Docker daemon and retry"
    fi
}

find_region() {
    local errors
    if [[ -z "$region" ]]; then
        errors="$(awscli configure get region 2>&1 >/dev/null || true)"
        [[ "$errors" != *"could not be found"* ]] ||
            die "AWS profile '$profile' not found: check --profile / AWS_PROFILE and ~/.aws/config"
        region="$(awscli configure get region 2>/dev/null || true)"
    fi
    [[ -n "$region" ]] ||
        die "no AWS region: pass --region, set AWS_REGION, or run 'aws configure set region REGION'"
}

find_account() {
    [[ -n "$account" ]] && return
    local output
    if ! output="$(awscli sts get-caller-identity --query Account --output text 2>&1)"; then
        if [[ "$output" == *"credentials"* ]]; then
            die "no AWS credentials: run 'aws configure' or set AWS_PROFILE / AWS_ACCESS_KEY_ID (${output//$'\n'/ })"
        fi
        die "aws sts get-caller-identity failed: ${output//$'\n'/ }"
    fi
    account="$output"
}

ensure_repository() {
    local output
    if output="$(awscli ecr describe-repositories --repository-names "$repository" 2>&1)"; then
        note "repository $repository exists"
        return
    fi
    [[ "$output" == *RepositoryNotFoundException* ]] ||
        die "aws ecr describe-repositories failed: ${output//$'\n'/ }"
    local mutability=MUTABLE
    $immutable && mutability=IMMUTABLE
    note "creating repository $repository (scan on push, $mutability tags)"
    awscli ecr create-repository --repository-name "$repository" \
        --image-scanning-configuration scanOnPush=true \
        --image-tag-mutability "$mutability" >/dev/null ||
        die "could not create the ECR repository $repository"
}

login() {
    note "logging in to $registry"
    local output
    if ! output="$( { awscli ecr get-login-password |
        docker login --username AWS --password-stdin "$registry"; } 2>&1)"; then
        die "docker login to $registry failed: ${output//$'\n'/ }"
    fi
}

has_buildx() {
    docker buildx version >/dev/null 2>&1
}

build() {
    local options=(--platform "$PLATFORM" -t "$local_image" ${build_args[@]+"${build_args[@]}"})
    [[ -n "$dockerfile" ]] && options+=(-f "$dockerfile")
    [[ -n "$network" ]] && options+=(--network "$network")
    if has_buildx; then
        note "building $local_image for $PLATFORM with buildx (no provenance, no SBOM)"
        docker buildx build "${options[@]}" --provenance=false --sbom=false \
            --output type=docker "$context" >&2 || die "docker buildx build failed"
    else
        # The classic builder never writes attestations, so the pushed manifest is a plain
        # Docker v2 one, as with buildx and --provenance=false --sbom=false.
        note "docker buildx is not installed: building $local_image for $PLATFORM with the classic builder"
        DOCKER_BUILDKIT=0 docker build "${options[@]}" "$context" >&2 || die "docker build failed"
    fi
    local built
    built="$(docker image inspect --format '{{.Os}}/{{.Architecture}}' "$local_image")"
    [[ "$built" == "$PLATFORM" ]] || die "built a $built image; SageMaker runs only $PLATFORM"
}

push() {
    local target="$registry/$repository:$1"
    docker tag "$local_image" "$target"
    note "pushing $target"
    docker push "$target" >&2 || die "docker push $target failed"
}

pushed_digest() {
    local line
    while IFS= read -r line; do
        if [[ "$line" == "$registry/$repository@"* ]]; then
            echo "${line#*@}"
            return
        fi
    done < <(docker image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$local_image")
    die "docker did not report a digest for $registry/$repository"
}

# Only with --registry: ECR never saw the push, so record the same manifest in ECR, as a push
# to ECR itself does, so that the scan and the digest below refer to the pushed image.
record_in_ecr() {
    local manifest
    manifest="$(curl -fsS -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
        "http://$registry/v2/$repository/manifests/$tag")" ||
        die "could not read the pushed manifest back from $registry"
    awscli ecr put-image --repository-name "$repository" --image-tag "$tag" \
        --image-manifest "$manifest" --image-digest "$digest" >/dev/null ||
        die "aws ecr put-image failed"
}

scan_status() {
    awscli ecr describe-image-scan-findings --repository-name "$repository" \
        --image-id "imageDigest=$digest" --query 'imageScanStatus.status' --output text 2>&1
}

# Scan on push normally starts the scan; if ECR still knows of none after one poll (scan on
# push was off, or the image came through put-image), start one, as Marketplace requires.
start_scan() {
    local output
    note "no scan scheduled: starting one"
    if ! output="$(awscli ecr start-image-scan --repository-name "$repository" \
        --image-id "imageDigest=$digest" 2>&1 >/dev/null)"; then
        [[ "$output" == *LimitExceededException* ]] ||
            die "aws ecr start-image-scan failed: ${output//$'\n'/ }"
    fi
}

wait_for_scan() {
    local deadline=$((SECONDS + scan_timeout)) status misses=0
    note "waiting for the ECR image scan"
    while true; do
        if ! status="$(scan_status)"; then
            [[ "$status" == *ScanNotFoundException* ]] || die "scan status: ${status//$'\n'/ }"
            misses=$((misses + 1))
            ((misses == 2)) && start_scan && continue
            status="not started"
        fi
        case "$status" in
            COMPLETE | ACTIVE) report_findings; return ;;
            FAILED | UNSUPPORTED_IMAGE | FINDINGS_UNAVAILABLE)
                echo "warning: ECR scan ended $status: Marketplace needs a completed scan" >&2
                return ;;
        esac
        if ((SECONDS >= deadline)); then
            echo "warning: ECR scan still $status after ${scan_timeout}s" >&2
            return
        fi
        sleep "$poll_seconds"
    done
}

report_findings() {
    local counts critical high
    counts="$(awscli ecr describe-image-scan-findings --repository-name "$repository" \
        --image-id "imageDigest=$digest" --output text \
        --query '[imageScanFindings.findingSeverityCounts.CRITICAL, imageScanFindings.findingSeverityCounts.HIGH]')"
    read -r critical high <<<"$counts"
    [[ "$critical" == "None" ]] && critical=0
    [[ "$high" == "None" ]] && high=0
    echo "scan: CRITICAL=$critical HIGH=$high"
    if ((critical + high > 0)); then
        echo "warning: AWS Marketplace refuses images with Critical or High findings: fix them first" >&2
    fi
}

main() {
    parse_arguments "$@"
    check_names
    check_tools
    find_region
    find_account
    check_docker_engine
    registry="${registry:-$account.dkr.ecr.$region.amazonaws.com}"
    local_image="$repository:$tag"
    ensure_repository
    login
    build
    push "$tag"
    if $also_latest; then
        push latest
    fi
    digest="$(pushed_digest)"
    if $custom_registry; then
        record_in_ecr
    fi
    wait_for_scan
    echo "image: $registry/$repository:$tag"
    echo "digest: $digest"
    echo "uri: $registry/$repository@$digest"
}

main "$@"
