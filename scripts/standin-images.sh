#!/usr/bin/env bash
# Offline stand-ins for the registry base images the labs name.
#
# No registry is reachable on the machines this kit is tested on, so `FROM python:3.13-alpine`
# cannot be pulled. We build an image with the same *name* from Debian packages instead:
# Debian trixie (Python 3.13, pip) bootstrapped with mmdebstrap and imported. It is NOT the
# official Alpine-based image: it uses glibc, and at ~110 MB it is twice the official ~50 MB.
# To keep the real images' order of size (alpine < slim < full, which the image-size lab
# teaches), it is the Debian root filesystem on a diet: no translations, manuals, package
# docs, apt lists, iconv modules or time zones (python:3.13-slim keeps the last three). Every stand-in carries the label
# org.layerlab.standin-for=<name> so nobody mistakes it for the real thing; online, a
# learner simply pulls the official image instead.
set -euo pipefail

STATE="${LAYERLAB_STATE:-/var/lib/layerlab}"
DOCKER=/usr/bin/docker
SUITE=trixie   # Debian 13: Python 3.13, a Python version with years of support left
VERSION=3      # bump when the recipe below changes: older stand-ins are rebuilt
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

alpine_rootfs() {  # the python rootfs on the diet described at the top
  local full slim="$STATE/rootfs-$SUITE-python-alpine.tar"
  full="$(rootfs)"
  if [ ! -s "$slim" ]; then
    python3 "$(dirname "$0")/rootfs-filter.py" "$full" "$slim.tmp" \
      ./usr/share/locale/ ./usr/share/doc/ ./usr/share/man/ ./usr/share/info/ \
      ./usr/share/lintian/ ./usr/share/zoneinfo/ ./var/lib/apt/lists/ \
      ./var/cache/apt/pkgcache.bin ./var/cache/apt/srcpkgcache.bin \
      ./usr/lib/x86_64-linux-gnu/gconv/ ./usr/lib/aarch64-linux-gnu/gconv/ \
      ./usr/lib/python3.13/test/
    mv "$slim.tmp" "$slim"
  fi
  echo "$slim"
}

build_standin() {  # NAME: import the rootfs and finish it like the official image
  local name=$1 tmp import
  tmp="$(mktemp -d)"
  import="layerlab/standin-import:$(echo "$name" | tr ':./' '---')"
  "$DOCKER" import --message "layerlab offline stand-in for $name" "$(alpine_rootfs)" "$import" >/dev/null
  # The network here re-signs TLS: the host's CA bundle lets pip in a build reach PyPI.
  cp /etc/ssl/certs/ca-certificates.crt "$tmp/ca-certificates.crt"
  cat >"$tmp/Dockerfile" <<DOCKERFILE
FROM $import
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
  "$DOCKER" rmi "$import" >/dev/null 2>&1 || true
  say "built $name (offline stand-in, $("$DOCKER" image inspect -f '{{.Size}}' "$name" | numfmt --to=iec))"
}

for name in ${LAYERLAB_STANDINS:-python:3.13-alpine}; do
  current "$name" || build_standin "$name"
done
