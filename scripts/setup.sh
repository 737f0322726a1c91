#!/usr/bin/env bash
# Installs what the project needs on a Debian machine with Node.js and npm (as root): Deno
# 2.9.6 from npm, OpenBLAS, fonts for the charts, the npm dependencies (deno install), and the
# WebAssembly kernels (deno task wasm: lib/blas/wasm/kernels.wasm, from AssemblyScript on npm).
# With --full also Docker, debootstrap, Jupyter and PyTorch (what the tests and CI use), and
# iproute2 and docker-registry (the 2-node swarm fixture: scripts/ci/swarm_fixture.sh).
# Safe to run again: it skips what is already there.
#
# Every program a command, test or CI script runs, and where it comes from (Debian's essential
# packages, always there, give sh, bash, coreutils, sed, grep, tar, gzip, findutils, util-linux's
# setsid and taskset, and passwd's useradd; mawk is "required" and always there too):
#   git (commit in records, image hash)           git
#   kill (sweep lock: is the holder alive)        procps
#   CA bundle (base image stand-in)               ca-certificates
#   docker, dockerd (--full)                      docker.io
#   debootstrap (base image stand-in, --full)     debootstrap
#   jupyter nbconvert (notebooks, --full)         jupyter-nbconvert python3-nbclient python3-ipykernel
#   /usr/bin/python3 with torch (bench, parity)   python3-torch python3-numpy (--full)
#   mount, umount (full-disk tests, as root)      mount (required priority, always there)
#   ip, nsenter, unshare (swarm fixture, --full)  iproute2; util-linux (essential)
#   registry (swarm fixture, --full)              docker-registry
#   kubectl (--runner kubernetes without --emit)  not installed: no Debian package; users with a
#                                                 cluster have it, and no test runs it
set -euo pipefail
cd "$(dirname "$0")/.."

DENO_VERSION=2.9.6
packages=(libopenblas0-pthread fonts-dejavu-core git procps ca-certificates)
if [ "${1:-}" = "--full" ]; then
  packages+=(docker.io debootstrap iproute2 docker-registry jupyter-nbconvert python3-nbclient python3-ipykernel
    python3-torch python3-numpy)
fi

if ! deno --version 2>/dev/null | grep -q "^deno $DENO_VERSION "; then
  echo "setup: installing Deno $DENO_VERSION from npm"
  npm install -g --no-fund --no-audit "deno@$DENO_VERSION" >/dev/null
fi
deno --version | head -1

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: apt-get install ${missing[*]}"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# Debian starts docker-registry as a system service on :5000; the swarm fixture runs its own.
if [[ " ${missing[*]:-} " == *" docker-registry "* ]] && command -v systemctl >/dev/null; then
  $SUDO systemctl disable --now docker-registry >/dev/null 2>&1 || true
fi

deno install --frozen
deno task wasm
echo "setup: done"
