#!/usr/bin/env bash
# A rootful Podman serving Docker's API on a unix socket, to run layerlab's core tests
# against Podman (tests/podman). Idempotent: installs podman when missing, writes its own
# config, starts `podman system service` unless it already answers, loads the base image
# from the Docker engine when Podman lacks it, then prints the DOCKER_HOST to use
# (unix:///run/layerlab-podman/podman.sock) on stdout. Progress goes to stderr.
#
# It keeps to its own directories: images in $LAYERLAB_PODMAN_DATA (/var/lib/layerlab-podman),
# socket and run state in $LAYERLAB_PODMAN_RUN (/run/layerlab-podman). It never touches
# /var/lib/containers, a system Podman service, nor the Docker engine (it only reads the
# base image from it with `docker save`).
#
#   scripts/podman-socket.sh          # start (or find) the service, print its DOCKER_HOST
#   scripts/podman-socket.sh --stop   # stop the service this script started
set -euo pipefail

DATA="${LAYERLAB_PODMAN_DATA:-/var/lib/layerlab-podman}"
RUN="${LAYERLAB_PODMAN_RUN:-/run/layerlab-podman}"
SOCKET="$RUN/podman.sock"
PIDFILE="$RUN/service.pid"
BASE_IMAGE="${LAYERLAB_BASE_IMAGE:-python:3.13-alpine}"
say() { echo "podman-socket: $*" >&2; }

PODMAN=(env "CONTAINERS_CONF=$DATA/containers.conf" podman
  --root "$DATA/storage" --runroot "$RUN/storage" --tmpdir "$RUN/tmp"
  --cgroup-manager cgroupfs --events-backend file)

answers() { curl -fsS --max-time 5 --unix-socket "$SOCKET" http://d/_ping >/dev/null 2>&1; }

# The pid of the service this script started, if it still runs (a stale pid file whose pid
# now belongs to another process must not get that process killed).
our_service() {
  local pid
  pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  # stderr first: bash reports a vanished /proc entry before a later 2>/dev/null applies
  tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF "system service --time=0 unix://$SOCKET" \
    && echo "$pid"
}

if [ "${1:-}" = "--stop" ]; then
  if pid=$(our_service); then
    kill "$pid"
    say "stopped the service (pid $pid)"
  fi
  rm -f "$PIDFILE"
  exit 0
fi

if ! command -v podman >/dev/null || ! command -v runc >/dev/null || ! command -v curl >/dev/null
then
  say "installing podman, runc and curl (apt)"
  started=$(date +%s)
  export DEBIAN_FRONTEND=noninteractive
  packages=(podman runc curl)
  apt-get install -y -q --no-install-recommends "${packages[@]}" >&2 \
    || { apt-get update -q >&2 && apt-get install -y -q --no-install-recommends "${packages[@]}" >&2; }
  say "installed in $(( $(date +%s) - started )) s"
fi

mkdir -p "$DATA/storage" "$DATA/volumes" "$RUN/storage" "$RUN/tmp"
# Rootful Podman raises RLIMIT_NOFILE and RLIMIT_NPROC of every container to 1048576 unless
# told otherwise; without CAP_SYS_RESOURCE (a CI container, this sandbox) raising a limit
# above the service's own hard limit is refused ("setrlimit RLIMIT_NPROC: Operation not
# permitted"). So containers get the service's own limits: our hard limits, except
# RLIMIT_NPROC, which the service lowers to kernel.pid_max when it starts (4.3.1 does).
# On a normal host these limits are still generous.
nofile=$(ulimit -Hn)
nproc=$(ulimit -Hu)
pid_max=$(cat /proc/sys/kernel/pid_max)
if [ "$nproc" = unlimited ] || [ "$nproc" -gt "$pid_max" ]; then nproc=$pid_max; fi
ulimits="\"nproc=$nproc:$nproc\""
[ "$nofile" != unlimited ] && ulimits="\"nofile=$nofile:$nofile\", $ulimits"
cat >"$DATA/containers.conf.new" <<EOF
# written by scripts/podman-socket.sh: edits are overwritten
[containers]
default_ulimits = [$ulimits]

[engine]
# runc, not crun: crun 1.8 refuses hosts on cgroup v1 that also mount a v2 hierarchy
# ("cgroups in hybrid mode not supported"); runc runs on those and on cgroup v2 alike
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$RUN/events.log"
volume_path = "$DATA/volumes"
EOF
if ! cmp -s "$DATA/containers.conf.new" "$DATA/containers.conf"; then
  mv "$DATA/containers.conf.new" "$DATA/containers.conf"
  # a running service read the old file: restart it below
  if pid=$(our_service); then kill "$pid"; sleep 1; fi
else
  rm "$DATA/containers.conf.new"
fi

if answers; then
  say "already serving on $SOCKET"
else
  if pid=$(our_service); then
    kill "$pid" || true  # ours, but not answering: start afresh
    sleep 1
  fi
  rm -f "$SOCKET"
  started=$(date +%s%N)
  # --time=0: it never exits on its own, and outlives this script; setsid: its own session,
  # so a Ctrl-C in the terminal (or the pytest) that ran this script spares it
  setsid "${PODMAN[@]}" system service --time=0 "unix://$SOCKET" \
    </dev/null >>"$RUN/service.log" 2>&1 &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 100); do
    answers && break
    sleep 0.1
  done
  answers || { say "the service did not answer; its log:"; tail -20 "$RUN/service.log" >&2; exit 1; }
  say "started on $SOCKET in $(( ($(date +%s%N) - started) / 1000000 )) ms (pid $(cat "$PIDFILE"))"
fi

if ! "${PODMAN[@]}" image exists "$BASE_IMAGE"; then
  say "loading $BASE_IMAGE from the Docker engine"
  started=$(date +%s)
  docker save "$BASE_IMAGE" | "${PODMAN[@]}" load >&2 \
    || { say "could not load $BASE_IMAGE (is it on the Docker engine? scripts/standin-images.sh)"; exit 1; }
  say "loaded in $(( $(date +%s) - started )) s"
fi

echo "unix://$SOCKET"
