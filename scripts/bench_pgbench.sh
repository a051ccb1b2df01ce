#!/usr/bin/env bash
# What the postgres_replica role's derived settings buy: pgbench read-write (TPC-B like) on one
# fresh Debian 12 container, first with Debian's default postgresql.conf, then with the role
# applied (ansible-playbook over the community.docker.docker connection), same data size, same
# duration, same clients. Prints both TPS figures and their ratio.
# Not a test: never run by scripts/test.sh. Record the figures in docs/performance.md.
#
# Knobs (environment):
#   BENCH_SCALE=100         pgbench scale (100 ~ 1.5 GB: more than either shared_buffers, less than the RAM)
#   BENCH_SECONDS=60        duration of each run
#   BENCH_CLIENTS=4         client connections (BENCH_JOBS=2 pgbench threads)
#   BENCH_MEMORY_MB=2048    the container's memory limit (page cache included), and the RAM the
#                           role sizes for: a database server of that size
#   BENCH_DISK_IOPS=0       when set, the container's read and write IOPS on the disk that holds
#                           Docker's data are capped (blkio throttle), like a cloud volume
#   BENCH_DISK_MBPS=0       the same for MB/s
#   BENCH_ROUNDS=3          default/role pairs, interleaved (default, role, default, role, ...) so that
#                           load from other work on the machine hits both sides alike; the median is kept
#   BENCH_KEEP=1            keep the container afterwards
set -euo pipefail
source "$(dirname "$0")/common.sh"
source "$TOP/scripts/containers.sh"
"$TOP/scripts/host-setup.sh" >/dev/null
activate_venv

SCALE=${BENCH_SCALE:-100}
SECONDS_RUN=${BENCH_SECONDS:-60}
CLIENTS=${BENCH_CLIENTS:-4}
JOBS=${BENCH_JOBS:-2}
MEMORY_MB=${BENCH_MEMORY_MB:-2048}
ROUNDS=${BENCH_ROUNDS:-3}
NAME=voiceops-pgbench-1
NETWORK=voiceops-pgbench
work=$(mktemp -d)

cleanup() {
  if [ "${BENCH_KEEP:-0}" != 1 ]; then remove_containers "$NETWORK" "$NAME"; fi
  rm -rf "$work"
}
trap cleanup EXIT

psql_c() { docker exec "$NAME" runuser -u postgres -- psql -qAtX -c "$1"; }

# run_pgbench LABEL [SECONDS] : re-create the pgbench tables, then one timed read-write run; prints TPS.
run_pgbench() {
  local label=$1 seconds=${2:-$SECONDS_RUN} log="$work/$1.log"
  docker exec "$NAME" runuser -u postgres -- dropdb --if-exists bench
  docker exec "$NAME" runuser -u postgres -- createdb bench
  docker exec "$NAME" runuser -u postgres -- pgbench -q -i -s "$SCALE" bench >"$work/$label-init.log" 2>&1
  psql_c "CHECKPOINT" >/dev/null
  psql_c "SELECT pg_stat_reset_shared('bgwriter')" >/dev/null
  docker exec "$NAME" runuser -u postgres -- pgbench -M prepared -c "$CLIENTS" -j "$JOBS" -T "$seconds" bench >"$log" 2>&1
  echo "[pgbench]   $label: $(sed -n 's/^tps = \([0-9.]*\) .*/\1 tps/p' "$log"), $(psql_c "SELECT 'checkpoints ' ||
    (checkpoints_timed + checkpoints_req) || ', buffers written by backends ' || buffers_backend FROM pg_stat_bgwriter")" >&2
  sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$log" | tail -n 1
}

echo "[pgbench] fresh container $NAME" >&2
remove_containers "$NETWORK" "$NAME"
run_options=(--memory "${MEMORY_MB}m" --memory-swap "${MEMORY_MB}m")
disk_iops=${BENCH_DISK_IOPS:-0}
disk_mbps=${BENCH_DISK_MBPS:-0}
if [ "$disk_iops" != 0 ] || [ "$disk_mbps" != 0 ]; then
  # The whole disk under Docker's data root (blkio throttles whole devices, not partitions).
  source_dev=$(df --output=source "$(docker info -f '{{.DockerRootDir}}')" | tail -n 1)
  disk=/dev/$(lsblk -no pkname "$source_dev" 2>/dev/null | head -n 1)
  [ "$disk" != /dev/ ] || disk=$source_dev
  echo "[pgbench] disk $disk capped at ${disk_iops} IOPS, ${disk_mbps} MB/s (0 = no cap)" >&2
  if [ "$disk_iops" != 0 ]; then run_options+=(--device-read-iops "$disk:$disk_iops" --device-write-iops "$disk:$disk_iops"); fi
  if [ "$disk_mbps" != 0 ]; then run_options+=(--device-read-bps "$disk:${disk_mbps}mb" --device-write-bps "$disk:${disk_mbps}mb"); fi
fi
start_container "$NAME" "$NETWORK" "${run_options[@]}"
wait_systemd "$NAME"
docker exec "$NAME" apt-get update -qq >/dev/null
docker exec -e DEBIAN_FRONTEND=noninteractive "$NAME" apt-get install -y -qq postgresql-15 >/dev/null
psql_c "SELECT 1" >/dev/null

settings_query="SELECT string_agg(name || '=' || current_setting(name), ' ' ORDER BY name) FROM pg_settings
  WHERE name IN ('shared_buffers','effective_cache_size','work_mem','max_wal_size','checkpoint_timeout','wal_buffers',
                 'random_page_cost','max_connections','synchronous_commit','fsync','wal_log_hints')"

default_settings=$(psql_c "$settings_query")

echo "[pgbench] applying voiceops.platform.postgres_replica (sized for ${MEMORY_MB} MiB)" >&2
cat >"$work/inventory.yml" <<EOF
all:
  vars:
    ansible_connection: community.docker.docker
    ansible_python_interpreter: /usr/bin/python3
  children:
    database:
      hosts:
        $NAME:
EOF
cat >"$work/play.yml" <<'EOF'
- name: Apply the postgres_replica role to the bench container
  hosts: database
  become: true
  gather_facts: true
  roles:
    - role: voiceops.platform.postgres_replica
EOF
secret=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
cat >"$work/vars.yml" <<EOF
postgres_replica_replication_password: "repl-$secret"
postgres_replica_webitel_password: "app-$secret"
postgres_replica_memory_mb: $MEMORY_MB
EOF
ansible-playbook -i "$work/inventory.yml" "$work/play.yml" -e "@$work/vars.yml" >"$work/role.log" 2>&1 ||
  { tail -n 40 "$work/role.log"; exit 1; }

role_settings=$(psql_c "$settings_query")
tuning=/etc/postgresql/15/main/conf.d/50-voiceops-tuning.conf

# use_config default|role : Debian's postgresql.conf alone, or with the role's tuning drop-in.
use_config() {
  if [ "$1" = default ]; then
    docker exec "$NAME" mv "$tuning" /root/tuning.conf.off
  else
    docker exec "$NAME" mv /root/tuning.conf.off "$tuning"
  fi
  docker exec "$NAME" systemctl restart postgresql@15-main
}

median() { python3 -c "import statistics, sys; print(f'{statistics.median(map(float, sys.argv[1:])):.1f}')" "$@"; }

# The first run in a fresh container is slower whatever the config (measured: 1730-1760 tps, then
# 2150-2260 with the same settings); a short discarded run (with the role's settings, just applied)
# takes that penalty.
run_pgbench warmup 20 >/dev/null
tps_default_all=(); tps_role_all=()
for round in $(seq 1 "$ROUNDS"); do
  echo "[pgbench] round $round/$ROUNDS: default postgresql.conf (scale $SCALE, ${SECONDS_RUN}s, $CLIENTS clients)" >&2
  use_config default
  tps_default_all+=("$(run_pgbench "default-$round")")
  echo "[pgbench] round $round/$ROUNDS: the role's settings" >&2
  use_config role
  tps_role_all+=("$(run_pgbench "role-$round")")
done
tps_default=$(median "${tps_default_all[@]}")
tps_role=$(median "${tps_role_all[@]}")

ratio=$(python3 -c "print(f'{$tps_role / $tps_default:.2f}')")
echo
echo "pgbench read-write, scale $SCALE (~$((SCALE * 15)) MB), ${SECONDS_RUN}s, $CLIENTS clients, $JOBS threads, $(nproc) host CPUs"
echo "  default postgresql.conf : $tps_default tps median of ${tps_default_all[*]}"
echo "                            ($default_settings)"
echo "  postgres_replica role   : $tps_role tps median of ${tps_role_all[*]}"
echo "                            ($role_settings)"
echo "  ratio role/default      : ${ratio}x"
