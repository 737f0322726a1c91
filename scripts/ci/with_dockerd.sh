#!/usr/bin/env bash
# Runs a command with a Docker daemon up and the project image built, for CI:
#   scripts/ci/with_dockerd.sh deno task test
# Starts dockerd when none answers (dockerd_start.sh, as root), builds the stand-in base image
# (base_image.sh, skipped when present) and the project image (deno task image), runs the
# command with CI=1 (so the container tests may not skip), and stops the dockerd it started,
# by its pid, on exit. Exits with the command's status.
case "${1:-}" in -h | --help) sed -n "2,7p" "$0" | sed "s/^# \{0,1\}//"; exit 0 ;; esac
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export DOCKERD_PID_FILE="${DOCKERD_PID_FILE:-/tmp/mnist-deno-dockerd.pid}"

if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi

# Stop only a daemon started here.
if docker info >/dev/null 2>&1; then
  echo "with_dockerd: a Docker daemon already answers; using it"
else
  "$here/dockerd_start.sh"
  trap '"$here/dockerd_stop.sh"' EXIT
fi
"$here/base_image.sh"
(cd "$repo" && deno task image)
cd "$repo"
CI="${CI:-1}" "$@"
