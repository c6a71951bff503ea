#!/usr/bin/env bash
# A rootful Podman serving Docker's API on a unix socket, for running layerlab's core tests
# against Podman (tests/podman). Idempotent: installs podman + runc when missing, writes its
# own config under a state dir, starts `podman system service` unless it already answers,
# loads the base image from the Docker engine when Podman lacks it, then prints the
# DOCKER_HOST to use (unix://…/podman.sock) on stdout. Progress goes to stderr.
#
# Everything lives under $LAYERLAB_PODMAN_DIR (default /run/layerlab-podman): storage,
# run state, events, volumes. It never touches /var/lib/containers nor the shared dockerd.
#
#   scripts/podman-socket.sh          # start (or find) the service, print its DOCKER_HOST
#   scripts/podman-socket.sh --stop   # stop the service this script started
set -euo pipefail

STATE="${LAYERLAB_PODMAN_DIR:-/run/layerlab-podman}"
SOCKET="$STATE/podman.sock"
BASE_IMAGE="${LAYERLAB_BASE_IMAGE:-python:3.13-alpine}"
say() { echo "podman-socket: $*" >&2; }

PODMAN=(env "CONTAINERS_CONF=$STATE/containers.conf" podman
  --root "$STATE/storage" --runroot "$STATE/run" --tmpdir "$STATE/tmp"
  --cgroup-manager cgroupfs --events-backend file)
podman_cmd() { "${PODMAN[@]}" "$@"; }

answers() { curl -fsS --max-time 5 --unix-socket "$SOCKET" http://d/_ping >/dev/null 2>&1; }

if [ "${1:-}" = "--stop" ]; then
  if [ -f "$STATE/service.pid" ] && kill -0 "$(cat "$STATE/service.pid")" 2>/dev/null; then
    kill "$(cat "$STATE/service.pid")"
    say "stopped the service (pid $(cat "$STATE/service.pid"))"
  fi
  rm -f "$STATE/service.pid"
  exit 0
fi

if ! command -v podman >/dev/null || ! command -v runc >/dev/null; then
  say "installing podman and runc (apt)"
  started=$(date +%s)
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends podman runc >&2 \
    || { apt-get update -q >&2 && apt-get install -y -q --no-install-recommends podman runc >&2; }
  say "installed in $(( $(date +%s) - started )) s"
fi

mkdir -p "$STATE/storage" "$STATE/run" "$STATE/tmp" "$STATE/volumes"
# Podman (rootful) raises RLIMIT_NOFILE and RLIMIT_NPROC of every container to 1048576 unless
# told otherwise; without CAP_SYS_RESOURCE (containers in CI, this sandbox) raising a limit
# above the service's own hard limit is refused ("setrlimit RLIMIT_NPROC: Operation not
# permitted"). So we ask for the service's own limits: our hard limits, except that the
# service lowers its RLIMIT_NPROC to kernel.pid_max at start (seen with 4.3.1). On a
# normal host these are still generous.
nofile=$(ulimit -Hn)
nproc=$(ulimit -Hu)
pid_max=$(cat /proc/sys/kernel/pid_max)
if [ "$nproc" = unlimited ] || [ "$nproc" -gt "$pid_max" ]; then nproc=$pid_max; fi
ulimits=""
[ "$nofile" != unlimited ] && ulimits="\"nofile=$nofile:$nofile\""
[ "$nproc" != unlimited ] && ulimits="${ulimits:+$ulimits, }\"nproc=$nproc:$nproc\""
cat >"$STATE/containers.conf.new" <<EOF
# written by scripts/podman-socket.sh: edits are overwritten
[containers]
default_ulimits = [$ulimits]

[engine]
# runc, not crun: crun 1.8 refuses hosts on cgroup v1 with a v2 hierarchy also mounted
# ("cgroups in hybrid mode not supported"); runc handles both, and v2
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$STATE/events.log"
volume_path = "$STATE/volumes"
EOF
mv "$STATE/containers.conf.new" "$STATE/containers.conf"

if answers; then
  say "already serving on $SOCKET"
else
  if [ -f "$STATE/service.pid" ] && kill -0 "$(cat "$STATE/service.pid")" 2>/dev/null; then
    kill "$(cat "$STATE/service.pid")" || true  # ours, but not answering: start afresh
    sleep 1
  fi
  rm -f "$SOCKET"
  started=$(date +%s%N)
  # --time=0: it never exits on its own, and outlives this script
  # setsid: its own session, so a Ctrl-C in the terminal (or pytest) that ran us spares it
  setsid "${PODMAN[@]}" system service --time=0 "unix://$SOCKET" \
    </dev/null >>"$STATE/service.log" 2>&1 &
  echo $! >"$STATE/service.pid"
  for _ in $(seq 1 100); do
    answers && break
    sleep 0.1
  done
  answers || { say "the service did not answer; its log:"; tail -20 "$STATE/service.log" >&2; exit 1; }
  say "started on $SOCKET in $(( ($(date +%s%N) - started) / 1000000 )) ms (pid $(cat "$STATE/service.pid"))"
fi

if ! podman_cmd image exists "$BASE_IMAGE"; then
  say "loading $BASE_IMAGE from the Docker engine"
  started=$(date +%s)
  docker save "$BASE_IMAGE" | podman_cmd load >&2 \
    || { say "could not load $BASE_IMAGE (is it on the Docker engine? scripts/standin-images.sh)"; exit 1; }
  say "loaded in $(( $(date +%s) - started )) s"
fi

echo "unix://$SOCKET"
