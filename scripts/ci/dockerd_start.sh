#!/usr/bin/env bash
# Starts a Docker daemon in the background for CI (as root), unless one already answers.
# Writes its pid to $DOCKERD_PID_FILE (default /tmp/mnist-deno-dockerd.pid) and its log to
# $DOCKERD_LOG (default /tmp/mnist-deno-dockerd.log); stop it with dockerd_stop.sh.
case "${1:-}" in -h | --help) sed -n "2,4p" "$0" | sed "s/^# \{0,1\}//"; exit 0 ;; esac
set -euo pipefail

pid_file="${DOCKERD_PID_FILE:-/tmp/mnist-deno-dockerd.pid}"
log_file="${DOCKERD_LOG:-/tmp/mnist-deno-dockerd.log}"

if docker info >/dev/null 2>&1; then
  echo "dockerd_start: a Docker daemon already answers; not starting another"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "dockerd_start: must run as root to start dockerd" >&2
  exit 1
fi

# No iptables and no bridge (the sandbox has neither); vfs works on any filesystem.
dockerd --iptables=false --ip6tables=false --bridge=none --storage-driver=vfs \
  >"$log_file" 2>&1 &
echo $! >"$pid_file"

for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    echo "dockerd_start: dockerd up (pid $(cat "$pid_file"), log $log_file)"
    exit 0
  fi
  if ! kill -0 "$(cat "$pid_file")" 2>/dev/null; then
    echo "dockerd_start: dockerd exited; last lines of $log_file:" >&2
    tail -n 20 "$log_file" >&2
    rm -f "$pid_file"
    exit 1
  fi
  sleep 1
done
echo "dockerd_start: dockerd did not answer within 60 s; see $log_file" >&2
exit 1
