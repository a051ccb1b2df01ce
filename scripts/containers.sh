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

# --- SSH into the containers, the way production hosts are reached (LAB_TRANSPORT=ssh) ---
# The harness's key pair (ed25519, made once per machine, never committed) and the known hosts
# of the containers (their host keys read through `docker exec`, a channel that is already trusted).
LAB_SSH_DIR="$VOICEOPS_CACHE/lab-ssh"

# enable_sshd NAME... : openssh-server in each container (installed at its first start with the
# image's package lists; the .debs stay in its apt cache volume), root's authorized key, ssh running.
enable_sshd() {
  mkdir -p "$LAB_SSH_DIR" && chmod 700 "$LAB_SSH_DIR"
  [ -f "$LAB_SSH_DIR/id_ed25519" ] ||
    ssh-keygen -q -t ed25519 -N '' -C "voiceops-lab@$(hostname)" -f "$LAB_SSH_DIR/id_ed25519"
  local name pids=() rc=0 pid
  for name in "$@"; do
    (
      docker exec "$name" test -x /usr/sbin/sshd ||
        docker exec -e DEBIAN_FRONTEND=noninteractive "$name" sh -c \
          'apt-get install -y -qq --no-install-recommends openssh-server >/dev/null 2>&1 ||
           { apt-get update -qq && apt-get install -y -qq --no-install-recommends openssh-server >/dev/null; }'
      docker exec -i "$name" sh -c 'install -d -m 700 /root/.ssh && cat >/root/.ssh/authorized_keys &&
        chmod 600 /root/.ssh/authorized_keys && systemctl enable --now -q ssh' <"$LAB_SSH_DIR/id_ed25519.pub"
    ) &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
  [ "$rc" -eq 0 ] || { echo "sshd could not be enabled in: $*" >&2; return 1; }
}

# ssh_inventory FILE NETWORK NAME... : an inventory source, given after the lab's own (-i lab -i FILE),
# whose host variables reach each container by SSH at its address on NETWORK as root with the
# harness's key; the host keys go to a known_hosts file next to it (host key checking stays on).
ssh_inventory() {
  local file=$1 network=$2 name ip key known
  shift 2
  known="${file%.yml}.known_hosts"
  : >"$known"
  {
    printf -- '---\n# Written by scripts/containers.sh (ssh_inventory): the lab containers reached by SSH.\nall:\n  hosts:\n'
    for name in "$@"; do
      ip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$network\").IPAddress}}" "$name")
      key=$(docker exec "$name" cat /etc/ssh/ssh_host_ed25519_key.pub | cut -d' ' -f1,2)
      printf '%s %s\n' "$ip" "$key" >>"$known"
      printf '    %s:\n      ansible_host: %s\n      ansible_connection: ssh\n      ansible_user: root\n' "$name" "$ip"
      printf '      ansible_ssh_private_key_file: %s\n' "$LAB_SSH_DIR/id_ed25519"
      printf '      ansible_ssh_common_args: -o UserKnownHostsFile=%s -o IdentitiesOnly=yes\n' "$known"
    done
  } >"$file"
}
