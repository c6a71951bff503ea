#!/usr/bin/env bash
# Two more offline stand-ins, for the image-size lab (notebooks/*/05-*):
#
#   python:3.13-slim  the Debian trixie + Python 3.13 root filesystem of standin-images.sh with
#                     what the official slim images also leave out (translations, manuals,
#                     package docs) filtered away: no download, seconds.
#   python:3.13       the same Debian with compilers and headers added (build-essential,
#                     python3-dev, git), like the official "full" image built on buildpack-deps:
#                     one more mmdebstrap run (about 1-3 minutes the first time, then cached).
#
# Like python:3.13-alpine, they are NOT the official images: they answer to the same names so
# the lab reads as it would online, and each carries org.layerlab.standin-for=<name>.
# Online, a learner pulls the official images instead (about 45 MB alpine, 120 MB slim,
# 1 GB full, uncompressed). Idempotent: an image that is already there is left alone.
set -euo pipefail

STATE="${LAYERLAB_STATE:-/var/lib/layerlab}"
DOCKER=/usr/bin/docker
SUITE=trixie
mkdir -p "$STATE"
say() { printf '\033[1m[standin-variants]\033[0m %s\n' "$*" >&2; }
has_image() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

bootstrap() {  # TAR INCLUDES: a cached Debian root filesystem with those packages
  local tar=$1 includes=$2
  if [ ! -s "$tar" ]; then
    say "bootstrapping Debian $SUITE with $includes (mmdebstrap)"
    # the .tar ending tells mmdebstrap to write a tarball, not a directory
    mmdebstrap --quiet --variant=apt --include="$includes" "$SUITE" "${tar%.tar}.partial.tar"
    mv "${tar%.tar}.partial.tar" "$tar"
  fi
}

slim_rootfs() {  # the python rootfs without translations, manuals and package docs
  local full="$STATE/rootfs-$SUITE-python.tar" slim="$STATE/rootfs-$SUITE-python-slim.tar"
  bootstrap "$full" python3,python3-pip,ca-certificates
  if [ ! -s "$slim" ]; then
    python3 "$(dirname "$0")/rootfs-filter.py" "$full" "$slim.tmp" \
      ./usr/share/locale/ ./usr/share/doc/ ./usr/share/man/ ./usr/share/info/
    mv "$slim.tmp" "$slim"
  fi
  echo "$slim"
}

full_rootfs() {
  local tar="$STATE/rootfs-$SUITE-python-build.tar"
  bootstrap "$tar" python3,python3-pip,python3-dev,python3-venv,build-essential,git,ca-certificates
  echo "$tar"
}

finish() {  # NAME TAR DESCRIPTION: import a rootfs and finish it like standin-images.sh does
  local name=$1 tar=$2 description=$3 tmp import
  tmp="$(mktemp -d)"
  import="layerlab/standin-import:$(echo "$name" | tr ':.' '--')"
  "$DOCKER" import --message "layerlab offline stand-in for $name" "$tar" "$import" >/dev/null
  # the network here re-signs TLS: the host's CA bundle lets pip in a build reach PyPI
  cp /etc/ssl/certs/ca-certificates.crt "$tmp/ca-certificates.crt"
  cat >"$tmp/Dockerfile" <<DOCKERFILE
FROM $import
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
RUN rm -f /usr/lib/python3*/EXTERNALLY-MANAGED && ln -sf /usr/bin/python3 /usr/local/bin/python \\
 && ln -sf /usr/bin/pip3 /usr/local/bin/pip && rm -rf /var/lib/apt/lists/* /var/cache/apt/*
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore PIP_NO_CACHE_DIR=1
LABEL org.layerlab.standin-for="$name" \\
      org.opencontainers.image.description="layerlab offline stand-in for $name ($description)"
CMD ["python3"]
DOCKERFILE
  DOCKER_BUILDKIT=0 "$DOCKER" build -q -t "$name" "$tmp" >/dev/null
  rm -rf "$tmp"
  "$DOCKER" rmi "$import" >/dev/null 2>&1 || true
  say "built $name (offline stand-in, $("$DOCKER" image inspect -f '{{.Size}}' "$name" | numfmt --to=si))"
}

has_image python:3.13-slim ||
  finish python:3.13-slim "$(slim_rootfs)" "Debian $SUITE without docs, manuals and translations"
has_image python:3.13 ||
  finish python:3.13 "$(full_rootfs)" "Debian $SUITE with build-essential, python3-dev and git"
