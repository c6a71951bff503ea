#!/usr/bin/env bash
# Offline stand-ins for the registry base images the labs name.
#
# No registry is reachable on the machines this kit is tested on, so `FROM python:3.13-alpine`
# cannot be pulled. We build an image with the same *name* from Debian packages instead:
# Debian trixie (Python 3.13, pip) bootstrapped with mmdebstrap and imported. It is NOT the
# official Alpine-based image: it is larger and uses glibc. Every stand-in carries the label
# org.layerlab.standin-for=<name> so nobody mistakes it for the real thing; online, a
# learner simply pulls the official image instead.
set -euo pipefail

STATE="${LAYERLAB_STATE:-/var/lib/layerlab}"
DOCKER=/usr/bin/docker
SUITE=trixie   # Debian 13: Python 3.13, a Python version with years of support left
VERSION=2      # bump when the recipe below changes: older stand-ins are rebuilt
mkdir -p "$STATE"
# progress goes to stderr: helpers such as rootfs() print their result on stdout, which callers capture
say() { printf '\033[1m[standin]\033[0m %s\n' "$*" >&2; }

current() {  # NAME: present and built by this version of the recipe
  [ "$("$DOCKER" image inspect -f '{{index .Config.Labels "org.layerlab.standin-version"}}' "$1" 2>/dev/null)" = "$VERSION" ]
}

rootfs() {  # a cached minimal Debian root filesystem with Python and pip
  local tar="$STATE/rootfs-$SUITE-python.tar"
  if [ ! -s "$tar" ]; then
    say "bootstrapping Debian $SUITE with python3 (mmdebstrap, a few minutes the first time)"
    # the .tar ending tells mmdebstrap to write a tarball (with .tmp it writes a directory)
    mmdebstrap --quiet --variant=apt --include=python3,python3-pip,ca-certificates \
      "$SUITE" "${tar%.tar}.partial.tar"
    mv "${tar%.tar}.partial.tar" "$tar"
  fi
  echo "$tar"
}

build_standin() {  # NAME: import the rootfs and finish it like the official image
  local name=$1 tmp
  tmp="$(mktemp -d)"
  "$DOCKER" import --message "layerlab offline stand-in for $name" "$(rootfs)" "layerlab/debian-$SUITE-python:import" >/dev/null
  # The network here re-signs TLS: the host's CA bundle lets pip in a build reach PyPI.
  cp /etc/ssl/certs/ca-certificates.crt "$tmp/ca-certificates.crt"
  cat >"$tmp/Dockerfile" <<DOCKERFILE
FROM layerlab/debian-$SUITE-python:import
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
RUN rm -f /usr/lib/python3*/EXTERNALLY-MANAGED && ln -sf /usr/bin/python3 /usr/local/bin/python \\
 && ln -sf /usr/bin/pip3 /usr/local/bin/pip && rm -rf /var/lib/apt/lists/* /var/cache/apt/*
# quiet pip, no cache in layers; retries ride out a flaky resolver in CI
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore PIP_NO_CACHE_DIR=1 \
    PIP_RETRIES=10 PIP_DEFAULT_TIMEOUT=60
LABEL org.layerlab.standin-for="$name" org.layerlab.standin-version="$VERSION" \\
      org.opencontainers.image.description="layerlab offline stand-in for $name (Debian $SUITE, not Alpine)"
CMD ["python3"]
DOCKERFILE
  DOCKER_BUILDKIT=0 "$DOCKER" build -q -t "$name" "$tmp" >/dev/null
  rm -rf "$tmp"
  "$DOCKER" rmi "layerlab/debian-$SUITE-python:import" >/dev/null 2>&1 || true
  say "built $name (offline stand-in, $("$DOCKER" image inspect -f '{{.Size}}' "$name" | numfmt --to=iec))"
}

for name in ${LAYERLAB_STANDINS:-python:3.13-alpine}; do
  current "$name" || build_standin "$name"
done
