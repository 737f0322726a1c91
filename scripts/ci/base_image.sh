#!/usr/bin/env bash
# Builds a local stand-in for the Dockerfile's base image (denoland/deno:debian-<version>) where
# Docker Hub cannot be reached: Debian bookworm from debootstrap (minbase) plus the Deno binary
# from the npm package @deno/linux-x64-glibc, a `deno` user (uid 1993, as in the official image),
# DENO_DIR=/deno-dir/, and the host's CA bundle (DENO_CERT) so npm traffic through a TLS proxy
# works. Tagged exactly as the Dockerfile's FROM line; skipped when that tag already exists.
# Needs root (debootstrap), npm and a running Docker daemon.
# Cache (reused across runs): $MNIST_DENO_CACHE (default /var/cache/mnist-deno).
case "${1:-}" in -h | --help) sed -n "2,8p" "$0" | sed "s/^# \{0,1\}//"; exit 0 ;; esac
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
cache="${MNIST_DENO_CACHE:-/var/cache/mnist-deno}"
tag="$(awk 'toupper($1) == "FROM" { print $2; exit }' "$repo/Dockerfile")"
deno_version="${tag##*-}" # denoland/deno:debian-2.9.6 -> 2.9.6
suite=bookworm

if [ -z "$tag" ]; then
  echo "base_image: no FROM line in $repo/Dockerfile" >&2
  exit 1
fi
if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "base_image: $tag already exists; skipping"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "base_image: must run as root (debootstrap)" >&2
  exit 1
fi

# The Debian mirror apt uses on this host (deb822 "URIs:" or one-line "deb URL suite").
mirror="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list \
  2>/dev/null | awk -v s="$suite" '
    $1 == "URIs:" { uri = $2 }
    $1 == "Suites:" && uri != "" { for (i = 2; i <= NF; i++) if ($i == s) { print uri; exit } }
    $1 == "deb" && $3 == s { print $2; exit }' || true)"
mirror="${mirror:-http://deb.debian.org/debian}"

mkdir -p "$cache"
rootfs_tar="$cache/debian-$suite-minbase.tar.gz"
if [ ! -f "$rootfs_tar" ]; then
  echo "base_image: debootstrap $suite (minbase) from $mirror (a few minutes; cached in $cache)"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  debootstrap --variant=minbase "$suite" "$work/rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1 || {
    echo "base_image: debootstrap failed; last lines of $cache/debootstrap.log:" >&2
    tail -n 20 "$cache/debootstrap.log" >&2
    exit 1
  }
  rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
  tar -C "$work/rootfs" --numeric-owner -czf "$rootfs_tar.tmp" .
  mv "$rootfs_tar.tmp" "$rootfs_tar"
  rm -rf "$work/rootfs"
fi

deno_bin="$cache/deno-$deno_version"
if [ ! -x "$deno_bin" ]; then
  echo "base_image: fetching Deno $deno_version from npm (@deno/linux-x64-glibc)"
  pack="$(mktemp -d)"
  (cd "$pack" && npm pack --silent "@deno/linux-x64-glibc@$deno_version" >/dev/null && tar -xzf ./*.tgz)
  install -m 0755 "$pack/package/deno" "$deno_bin.tmp"
  mv "$deno_bin.tmp" "$deno_bin"
  rm -rf "$pack"
fi

rootfs_image="mnist-deno-base/debian:$suite-minbase"
if ! docker image inspect "$rootfs_image" >/dev/null 2>&1; then
  docker import "$rootfs_tar" "$rootfs_image" >/dev/null
fi

ctx="$(mktemp -d)"
cp "$deno_bin" "$ctx/deno"
cp /etc/ssl/certs/ca-certificates.crt "$ctx/ca-certificates.crt"
cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $rootfs_image
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY deno /usr/bin/deno
RUN useradd --uid 1993 --user-group deno && mkdir /deno-dir/ && chown deno:deno /deno-dir/
ENV DENO_DIR=/deno-dir/ DENO_INSTALL_ROOT=/usr/local \
    DENO_CERT=/etc/ssl/certs/ca-certificates.crt SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
ENTRYPOINT ["/usr/bin/deno"]
CMD ["--version"]
DOCKERFILE
docker build --network none -q -t "$tag" "$ctx" >/dev/null
rm -rf "$ctx"
echo "base_image: built $tag ($(docker run --rm --network none "$tag" --version | head -n 1))"
