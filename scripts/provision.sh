#!/usr/bin/env bash
# Makes this machine ready for the labs and the tests, idempotently:
#   Debian packages -> a running Docker Engine -> offline stand-in base images
#   -> a local registry on 127.0.0.1:5000 -> the Python virtualenv with layerlab.
# With LAYERLAB_FOR_TESTS=1 (scripts/test) also what only the tests use: Chromium for the
# browser tests, JupyterHub's proxy for the classroom test, a Podman socket.
# Every step checks first and does nothing when its work is already done.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${LAYERLAB_VENV:-$ROOT/.venv}"
STATE="${LAYERLAB_STATE:-/var/lib/layerlab}"
LOGS="${LAYERLAB_LOGS:-/var/log/layerlab}"
mkdir -p "$STATE" "$LOGS"

say() { printf '\033[1m[provision]\033[0m %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

engine_answers() {
  curl -fsS --max-time 3 --unix-socket /var/run/docker.sock http://localhost/_ping >/dev/null 2>&1
}

apt_updated=0
apt_install() {
  [ $# -gt 0 ] || return 0
  if [ $apt_updated = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  say "installing Debian packages: $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
    >"$LOGS/apt.log" 2>&1 || { cat "$LOGS/apt.log"; exit 1; }
}

# ---- Debian packages ---------------------------------------------------------------
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
[ -x /usr/bin/docker ] || missing+=(docker.io)          # the BuildKit-capable 20.10 CLI
command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
command -v docker-registry >/dev/null || missing+=(docker-registry)
FOR_TESTS="${LAYERLAB_FOR_TESTS:-0}"
if [ "$FOR_TESTS" = 1 ]; then
  command -v chromium >/dev/null || missing+=(chromium)
  command -v docker-compose >/dev/null || missing+=(docker-compose)  # the DockerSpawner recipe test
fi
command -v curl >/dev/null || missing+=(curl)
# shellcheck disable=SC2207
missing=($(printf '%s\n' "${missing[@]+"${missing[@]}"}" | sort -u))
apt_install "${missing[@]+"${missing[@]}"}"

# ---- Docker Engine ------------------------------------------------------------------
if ! engine_answers; then
  say "starting dockerd (log: $LOGS/dockerd.log)"
  as_root sh -c "nohup dockerd >>'$LOGS/dockerd.log' 2>&1 &"
  for _ in $(seq 1 60); do engine_answers && break; sleep 1; done
  engine_answers || { tail -20 "$LOGS/dockerd.log"; echo "dockerd did not start" >&2; exit 1; }
fi
say "engine ready: $(/usr/bin/docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})')"

# ---- offline stand-in base images ---------------------------------------------------
"$ROOT/scripts/standin-images.sh"
"$ROOT/scripts/standin-variants.sh"   # python:3.13-slim and python:3.13 (lab 05), ~1.5 min once

# ---- local registry on 127.0.0.1:5000 (the offline stand-in for Docker Hub) ----------
if ! curl -fsS --max-time 2 http://127.0.0.1:5000/v2/ >/dev/null 2>&1; then
  mkdir -p "$STATE/registry"
  cat >"$STATE/registry.yml" <<YAML
version: 0.1
log: { level: warn }
storage:
  filesystem: { rootdirectory: $STATE/registry }
  delete: { enabled: true }
http:
  addr: 127.0.0.1:5000
YAML
  say "starting the local registry on 127.0.0.1:5000"
  nohup docker-registry serve "$STATE/registry.yml" >>"$LOGS/registry.log" 2>&1 &
  for _ in $(seq 1 20); do curl -fsS --max-time 2 http://127.0.0.1:5000/v2/ >/dev/null 2>&1 && break; sleep 0.5; done
  curl -fsS --max-time 2 http://127.0.0.1:5000/v2/ >/dev/null || { tail "$LOGS/registry.log"; exit 1; }
fi

# ---- Python environment -------------------------------------------------------------
stamp="$VENV/.layerlab-installed"
want="$(cat "$ROOT/pyproject.toml" | sha256sum | cut -c1-16)"
if [ ! -x "$VENV/bin/python" ]; then
  say "creating virtualenv $VENV"
  python3 -m venv "$VENV"
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "installing layerlab and its test tools into $VENV"
  # this machine's pip config names local package folders that may not exist: pip warns
  # once per package; keep its real errors, drop that noise
  quiet_pip() { "$VENV/bin/python" -m pip "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2); }
  quiet_pip install -q --upgrade pip >/dev/null
  quiet_pip install -q -e "$ROOT[test]"
  echo "$want" >"$stamp"
else
  "$VENV/bin/python" -m pip install -q --no-deps --no-build-isolation -e "$ROOT" >/dev/null 2>&1 || true
fi
# ---- JupyterHub's proxy, for the classroom end-to-end test (npm registry) ------------------
if [ "$FOR_TESTS" = 1 ] && [ ! -x "$ROOT/.hub-node/node_modules/.bin/configurable-http-proxy" ]; then
  command -v npm >/dev/null || apt_install npm
  say "installing configurable-http-proxy into .hub-node/"
  npm install --silent --no-audit --no-fund --prefix "$ROOT/.hub-node" configurable-http-proxy >/dev/null
fi
# ---- Podman's Docker-compatible socket, to run the core tests against it too ------------
if [ "$FOR_TESTS" = 1 ]; then
  say "Podman socket: $("$ROOT/scripts/podman-socket.sh")"
fi
say "ready"
