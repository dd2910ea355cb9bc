# One image for SageMaker training and hosting: `docker run IMAGE train` / `docker run IMAGE serve`.
#
# CPU (default):   docker build -t byoa .
# GPU variant (not built in CI). The CUDA base brings the CUDA runtime and the NVIDIA_* settings
# the container toolkit reads, never the driver (the host provides it); the cu126 torch wheels
# bring their own CUDA libraries, so a `-base-` CUDA image is enough if size matters:
#   docker build -t byoa:gpu \
#     --build-arg BASE_IMAGE=nvidia/cuda:12.6.3-cudnn-runtime-ubuntu22.04 \
#     --build-arg PYTHON=python3.11 \
#     --build-arg RUNTIME_PACKAGES="python3.11 python3.11-venv" \
#     --build-arg BUILD_PACKAGES="python3.11-dev" \
#     --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cu126 .
# Offline CI builds (scripts/build-image.sh) use a debootstrapped Debian base, pass
# BUILD_PACKAGES=python3-dev and put the torch CPU wheel in wheels/ for --find-links.
# Multi-model endpoints: --build-arg MULTI_MODEL=true adds SageMaker's capability label (the
# same image otherwise; it serves the /models API when started with SAGEMAKER_MULTI_MODEL=true).

ARG BASE_IMAGE=python:3.11-slim-bookworm
ARG MULTI_MODEL=false

# ---- build: compilers for sagemaker-training's C extension, a venv with everything ----
FROM ${BASE_IMAGE} AS build
ARG PYTHON=python3
# The folder that holds the algorithm (any folder of the build context; see .dockerignore).
ARG ALGORITHM=algorithm
ARG RUNTIME_PACKAGES=""
ARG BUILD_PACKAGES=""
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DEBIAN_FRONTEND=noninteractive

# Package versions follow the base image's release; pinning them would tie the file to one base.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev ${RUNTIME_PACKAGES} ${BUILD_PACKAGES} \
    && rm -rf /var/lib/apt/lists/*

RUN ${PYTHON} -m venv /opt/venv
ENV PATH=/opt/venv/bin:${PATH}

# The toolkit's dependencies first (cached while only the code changes), less what
# sagemaker-training requires but byoa never calls: SciPy (its RecordIO and sparse encoders),
# gevent and paramiko (its MPI runner), about 150 MB. byoa uses its environment module only
# (the SM_* variables). An algorithm that needs one of them lists it in its requirements.
# (README.md is the package's long description; an empty one stands in if a seller drops it.)
COPY pyproject.toml README.m[d] /src/
RUN touch /src/README.md && pip install /src/ \
    && pip uninstall --yes --quiet scipy gevent greenlet zope.event zope.interface paramiko \
        invoke bcrypt pynacl cryptography cffi pycparser \
    && python -c "from sagemaker_training import environment"

# The algorithm's own dependencies next, in their own layer: ${ALGORITHM}/requirements.txt
# when it has one (torch for the bundled algorithm: the CPU build unless TORCH_INDEX_URL names
# another index). An algorithm without torch gets none. wheels/ holds optional local wheels
# (offline builds put the torch CPU wheel there).
COPY wheels/ /tmp/wheels/
# (pyproject.toml only makes the copy match something when the algorithm has no requirements.)
COPY ${ALGORITHM}/requirements.tx[t] pyproject.toml /tmp/algorithm/
# (hadolint reads the optional --extra-index-url expansion as a package.)
# hadolint ignore=DL3013
RUN if [ -f /tmp/algorithm/requirements.txt ]; then \
        pip install --find-links /tmp/wheels \
            ${TORCH_INDEX_URL:+--extra-index-url "${TORCH_INDEX_URL}"} \
            -r /tmp/algorithm/requirements.txt; \
    fi

# Then the code. ${ALGORITHM} becomes the image's `algorithm` package, so an algorithm in any
# folder of the build context builds without being moved.
COPY ${ALGORITHM} /src/algorithm
COPY byoa /src/byoa
COPY container /src/container
COPY serve /src/serve
RUN pip install --no-deps --force-reinstall /src/ \
    && python -c "import algorithm, byoa, container.train, serve.server" \
    && byoa-entrypoint --help >/dev/null

# Never used at run time (the runtime stage has no compiler either): pip and setuptools, the
# wheels' test suites, torch's C++ headers and its C++ test binaries (torch_shm_manager stays:
# tensor sharing).
RUN site="$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \
    && rm -rf "${site}/torch/test" "${site}/torch/include" "${site}/pandas/tests" \
    && if [ -d "${site}/torch/bin" ]; then \
        find "${site}/torch/bin" -mindepth 1 -maxdepth 1 ! -name torch_shm_manager -exec rm -rf {} +; \
    fi \
    && find "${site}" -depth -type d -path "*/numpy/*" -name tests -exec rm -rf {} + \
    && find "${site}" -depth -type d -path "*/scipy/*" -name tests -exec rm -rf {} + \
    && python -m pip uninstall --yes --quiet pip setuptools \
    && python -c "import algorithm, pandas, container.train, serve.server"

# ---- runtime: the same base, the venv, nothing else ----
FROM ${BASE_IMAGE} AS runtime
ARG RUNTIME_PACKAGES=""
# hadolint ignore=DL3008
RUN if [ -n "${RUNTIME_PACKAGES}" ]; then \
        apt-get update \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${RUNTIME_PACKAGES} \
        && rm -rf /var/lib/apt/lists/*; \
    fi
COPY --from=build /opt/venv /opt/venv

# HOME and caches under /tmp: the image also runs as any --user and with --read-only + tmpfs /tmp.
ENV PATH=/opt/venv/bin:${PATH} \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    XDG_CACHE_HOME=/tmp/.cache \
    TORCH_HOME=/tmp/.cache/torch \
    MPLCONFIGDIR=/tmp/.cache/matplotlib

# Serving honours SAGEMAKER_BIND_TO_PORT (inference pipelines).
LABEL com.amazonaws.sagemaker.capabilities.accept-bind-to-port=true
EXPOSE 8080

# Exec form: Python is PID 1 and handles SIGTERM itself (no tini, no shell).
ENTRYPOINT ["/opt/venv/bin/byoa-entrypoint"]

# ---- the image built: with the multi-model label only when MULTI_MODEL=true ----
# The label tells SageMaker the image implements the /models API, so it is never on by default.
FROM runtime AS multi-model-false
FROM runtime AS multi-model-true
LABEL com.amazonaws.sagemaker.capabilities.multi-models=true
# (A stage of this file, not an image to tag; hadolint cannot expand the argument.)
# hadolint ignore=DL3006
FROM multi-model-${MULTI_MODEL}
