#!/usr/bin/env bash
# Stops the Docker daemon that dockerd_start.sh started, by the pid in its pid file.
case "${1:-}" in -h | --help) sed -n "2,2p" "$0" | sed "s/^# \{0,1\}//"; exit 0 ;; esac
set -euo pipefail

pid_file="${DOCKERD_PID_FILE:-/tmp/mnist-deno-dockerd.pid}"

if [ ! -f "$pid_file" ]; then
  echo "dockerd_stop: no pid file $pid_file; nothing to stop"
  exit 0
fi
pid="$(cat "$pid_file")"
if kill -0 "$pid" 2>/dev/null; then
  kill -TERM "$pid"
  for _ in $(seq 1 30); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "dockerd_stop: dockerd (pid $pid) still running after 30 s; sending SIGKILL" >&2
    kill -KILL "$pid"
  fi
  echo "dockerd_stop: stopped dockerd (pid $pid)"
else
  echo "dockerd_stop: dockerd (pid $pid) was not running"
fi
rm -f "$pid_file"
