# shellcheck shell=bash
# Create and remove Debian 12 systemd containers with the settings this machine
# needs (no --privileged; see docs/testing.md). SYS_PTRACE lets root see which
# process holds a port, as root on a real host can. Sourced by lab.sh and bench.sh.

# start_container NAME NETWORK [DOCKER_RUN_OPTION...] : create (or start) a systemd container.
start_container() {
  local name=$1 network=$2
  shift 2
  docker network inspect "$network" >/dev/null 2>&1 || docker network create "$network" >/dev/null
  if ! docker container inspect "$name" >/dev/null 2>&1; then
    docker run -d --name "$name" --hostname "$name" --network "$network" \
      --cap-add SYS_ADMIN --cap-add NET_ADMIN --cap-add SYS_PTRACE --cgroupns host \
      -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
      --mount "type=volume,source=voiceops-apt-${name#voiceops-},target=/var/cache/apt/archives" \
      --tmpfs /run --tmpfs /run/lock --tmpfs /tmp \
      --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
      "$@" "$BASE_IMAGE" /lib/systemd/systemd >/dev/null
  else
    docker start "$name" >/dev/null
  fi
}

# wait_systemd NAME... : wait until systemd in each container has booted.
wait_systemd() {
  local name state
  for name in "$@"; do
    for _ in $(seq 1 60); do
      state=$(docker exec "$name" systemctl is-system-running 2>/dev/null || true)
      case "$state" in running|degraded) break ;; esac
      sleep 1
    done
    case "$state" in
      running|degraded) ;;
      *) echo "systemd in $name did not boot (state: ${state:-none})" >&2; return 1 ;;
    esac
  done
}

# remove_containers NETWORK NAME... : remove containers and their network.
remove_containers() {
  local network=$1; shift
  docker rm -f "$@" >/dev/null 2>&1 || true
  docker network rm "$network" >/dev/null 2>&1 || true
}
