#!/usr/bin/env bash
# A real 2-node Docker Swarm on one machine, for the swarm runner's tests and CI (as root):
#
#   scripts/ci/swarm_fixture.sh up     # prints KEY=VALUE lines (registry, worker socket, ...)
#   scripts/ci/swarm_fixture.sh kill-worker   # kill -9 the worker's dockerd and containerd
#   scripts/ci/swarm_fixture.sh down   # tears everything down, by pid and name; safe to repeat
#
# Manager: the Docker daemon at the default socket (`docker swarm init`, advertising the host
# end of a veth pair). Worker: a second dockerd (own data, exec root, pid file, socket and
# cgroup parent; the flags of dockerd_start.sh) started with `nsenter` in a network namespace
# made here, in its own UTS namespace so that its node has its own hostname, joined as a worker.
# Registry: Debian's docker-registry on the veth address, plus a TCP forwarder in each namespace
# on 127.0.0.1:$PORT, so every node reaches it at the same loopback address (plain HTTP is
# trusted there). Traffic stays between this machine's namespaces, in 10.213.47.0/30.
#
# Settings (environment): SWARM_FIXTURE_DIR (state, default /tmp/mnist-swarm),
# SWARM_FIXTURE_NS (default mnist-swarm-w1), SWARM_FIXTURE_PORT (default 47500).
case "${1:-}" in -h | --help) sed -n "2,17p" "$0" | sed "s/^# \{0,1\}//"; exit 0 ;; esac
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
state="${SWARM_FIXTURE_DIR:-/tmp/mnist-swarm}"
ns="${SWARM_FIXTURE_NS:-mnist-swarm-w1}"
port="${SWARM_FIXTURE_PORT:-47500}"
host_if="mnsw-h0"
worker_if="mnsw-w0"
host_ip="10.213.47.1"
worker_ip="10.213.47.2"
sock="unix://$state/w/docker.sock"
cgroup="mnist-swarm-w1"

log() { echo "swarm_fixture: $*" >&2; }

# Starts a background command, its pid in $state/NAME.pid and its output in $state/NAME.log.
start_bg() {
  local name="$1"
  shift
  setsid "$@" >"$state/$name.log" 2>&1 </dev/null &
  echo $! >"$state/$name.pid"
}

kill_pidfile() {
  local file="$1" signal="${2:-TERM}"
  [ -f "$file" ] || return 0
  local pid
  pid="$(cat "$file")"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "-$signal" "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

wait_for() {
  local what="$1" tries="$2"
  shift 2
  for _ in $(seq 1 "$tries"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  log "$what did not come up; see $state/*.log"
  return 1
}

# Kills what still runs in the worker's cgroups (containers of a killed worker daemon).
kill_worker_cgroups() {
  local f
  for f in /sys/fs/cgroup/pids/"$cgroup"/*/cgroup.procs /sys/fs/cgroup/pids/"$cgroup"/cgroup.procs; do
    [ -f "$f" ] || continue
    xargs -r kill -KILL <"$f" 2>/dev/null || true
  done
}

kill_worker() {
  kill_pidfile "$state/w/dockerd.pid" KILL
  kill_pidfile "$state/dockerd.pid" KILL
  kill_pidfile "$state/w/exec/containerd/containerd.pid" KILL
  # The containerd shims of the worker live in its network namespace.
  if ip netns list 2>/dev/null | grep -qw "$ns"; then
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
  fi
  kill_worker_cgroups
}

down() {
  if [ -S "$state/w/docker.sock" ] && [ -f "$state/w/dockerd.pid" ]; then
    timeout 20 docker -H "$sock" swarm leave --force >/dev/null 2>&1 || true
  fi
  kill_worker
  for name in forward_host forward_worker registry; do kill_pidfile "$state/$name.pid"; done
  if [ -f "$state/manager_joined" ]; then
    timeout 60 docker swarm leave --force >/dev/null 2>&1 || true
    rm -f "$state/manager_joined"
  fi
  # Tags pushed to the fixture's registry (the images keep their own tags).
  docker images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | grep "^127.0.0.1:$port/" |
    xargs -r docker rmi >/dev/null 2>&1 || true
  ip link del "$host_if" 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  local sub
  for sub in /sys/fs/cgroup/*/"$cgroup"; do
    [ -d "$sub" ] || continue
    find "$sub" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
  # The worker's vfs layers are full copies of the image (gigabytes of small files, minutes to
  # delete on a busy disk): the state directory is renamed and deleted in the background.
  # Mounts left by a killed worker (its exec root, its containers' shm) go first.
  if [ -d "$state" ]; then
    grep -o " $state/[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    local trash="$state.trash.$$"
    mv "$state" "$trash"
    setsid nice rm -rf "$trash" >/dev/null 2>&1 </dev/null &
  fi
  log "down"
}

up() {
  if [ "$(id -u)" != 0 ]; then
    log "must run as root (ip netns, a second dockerd)"
    exit 1
  fi
  for prog in ip nsenter unshare dockerd docker docker-registry deno setsid; do
    command -v "$prog" >/dev/null || {
      log "$prog not found; run scripts/setup.sh --full"
      exit 1
    }
  done
  state_now="$(docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || echo none)"
  if [ "$state_now" != "inactive" ]; then
    log "the Docker daemon is in swarm state '$state_now'; expected inactive (docker swarm leave?)"
    exit 1
  fi
  if ip netns list | grep -qw "$ns"; then
    log "network namespace $ns exists; run '$0 down' first"
    exit 1
  fi
  mkdir -p "$state/w" "$state/registry"

  # Network: a namespace for the worker and a veth pair between it and this one.
  ip netns add "$ns"
  ip link add "$host_if" type veth peer name "$worker_if"
  ip link set "$worker_if" netns "$ns"
  ip addr add "$host_ip/30" dev "$host_if"
  ip link set "$host_if" up
  ip -n "$ns" addr add "$worker_ip/30" dev "$worker_if"
  ip -n "$ns" link set "$worker_if" up
  ip -n "$ns" link set lo up

  # Registry on the veth address; each namespace reaches it at 127.0.0.1:$port.
  cat >"$state/registry.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $state/registry
  delete:
    enabled: true
http:
  addr: $host_ip:$port
EOF
  start_bg registry docker-registry serve "$state/registry.yml"
  start_bg forward_host deno run --allow-net "$here/tcp_forward.ts" "127.0.0.1:$port" "$host_ip:$port"
  start_bg forward_worker nsenter --net="/var/run/netns/$ns" \
    deno run --allow-net "$here/tcp_forward.ts" "127.0.0.1:$port" "$host_ip:$port"
  wait_for "registry" 30 curl_registry "127.0.0.1:$port"

  # Manager: the default daemon; a short heartbeat so that a dead node is noticed quickly.
  docker swarm init --advertise-addr "$host_ip" --listen-addr "$host_ip:2377" \
    --dispatcher-heartbeat 2s >/dev/null
  touch "$state/manager_joined"
  token="$(docker swarm join-token -q worker)"

  # Worker: a second dockerd in the namespace (nsenter, not `ip netns exec`: that remounts /sys).
  start_bg dockerd nsenter --net="/var/run/netns/$ns" unshare --uts sh -c \
    "hostname $ns && exec dockerd --data-root '$state/w/data' --exec-root '$state/w/exec' \
      --pidfile '$state/w/dockerd.pid' -H '$sock' --cgroup-parent /$cgroup \
      --iptables=false --ip6tables=false --bridge=none --storage-driver=vfs"
  wait_for "worker dockerd" 60 docker -H "$sock" info
  docker -H "$sock" swarm join --token "$token" --advertise-addr "$worker_ip" \
    --listen-addr "$worker_ip:2377" "$host_ip:2377" >/dev/null
  wait_for "worker node" 30 worker_ready

  echo "SWARM_REGISTRY=127.0.0.1:$port"
  echo "SWARM_WORKER_HOST=$sock"
  echo "SWARM_WORKER_NODE=$ns"
  echo "SWARM_MANAGER_NODE=$(docker info --format '{{.Name}}')"
  log "up: manager $(docker info --format '{{.Name}}'), worker $ns, registry 127.0.0.1:$port"
}

curl_registry() {
  # The registry's API root answers 200 with {} (no curl needed: bash's /dev/tcp).
  exec 3<>"/dev/tcp/${1%:*}/${1#*:}" || return 1
  printf 'GET /v2/ HTTP/1.0\r\n\r\n' >&3
  head -1 <&3 | grep -q " 200 "
  local ok=$?
  exec 3<&-
  return $ok
}

worker_ready() {
  [ "$(docker node ls --filter "name=$ns" --format '{{.Status}}')" = "Ready" ]
}

case "${1:-}" in
  up)
    trap 'status=$?; [ $status = 0 ] || { log "up failed; tearing down"; down; }' EXIT
    up
    ;;
  down) down ;;
  kill-worker) kill_worker ;;
  *)
    echo "usage: $0 up|down|kill-worker" >&2
    exit 2
    ;;
esac
