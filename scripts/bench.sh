#!/usr/bin/env bash
# make bench: how fast is site.yml, measured on fresh lab containers.
#  1. first converge of site.yml (over BENCH_TRANSPORT, default ssh as in production) vs the floor:
#     the same packages installed by one bare `apt-get install` (services start as Debian starts
#     them) in fresh containers of the same image, all hosts in parallel;
#  2. the idempotent re-run vs the first converge, on both transports side by side (docker exec;
#     SSH with pipelining and ControlPersist), and with Mitogen for Ansible on both when it is in
#     the virtualenv (BENCH_MITOGEN=0 skips those);
#  3. tasks, and round trips per host on a re-run on both transports (-vvv: `EXEC` lines for
#     docker, `SSH: EXEC` lines for ssh);
#  4. pgbench with Debian's default postgresql.conf vs the postgres_replica role's settings
#     (scripts/bench_pgbench.sh; skip with BENCH_PGBENCH=0);
#  5. OpenSIPS calls per second: the opensips role's full script vs a bare tm + rr relay on one
#     container (scripts/bench_opensips.sh, about 5 minutes; skip with BENCH_OPENSIPS=0).
# The lab includes OpenSIPS and FreeSWITCH when VOICEOPS_VENDOR_APT names the local vendor repository.
# Not a test: it never fails the test command. Record the figures in docs/performance.md.
set -euo pipefail
source "$(dirname "$0")/common.sh"
source "$TOP/scripts/containers.sh"
"$TOP/scripts/host-setup.sh"
activate_venv
cd "$TOP"

LAB_HOSTS=(voiceops-lab-telephony voiceops-lab-database voiceops-lab-replica voiceops-lab-application)
FLOOR_HOSTS=(voiceops-floor-telephony voiceops-floor-database voiceops-floor-replica voiceops-floor-application)
BENCH_TRANSPORT="${BENCH_TRANSPORT:-ssh}"
out=$(mktemp -d)
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.1f}')"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
mitogen=0
if [ "${BENCH_MITOGEN:-1}" = 1 ]; then (use_mitogen) 2>/dev/null && mitogen=1 || echo "[bench] mitogen is not in the virtualenv: its re-runs are skipped"; fi
vendor_mount=()
[ -z "$VOICEOPS_VENDOR_APT" ] || vendor_mount=(--mount "type=bind,source=$VOICEOPS_VENDOR_APT,target=/srv/vendor-apt,readonly")

echo "[bench] fresh lab containers (vendor repository: ${VOICEOPS_VENDOR_APT:-none, OpenSIPS and FreeSWITCH are skipped})"
scripts/lab.sh down >/dev/null
for h in "${LAB_HOSTS[@]}"; do start_container "$h" voiceops-lab "${vendor_mount[@]}"; done
wait_systemd "${LAB_HOSTS[@]}"
t0=$(now); enable_sshd "${LAB_HOSTS[@]}"; sshd_setup=$(secs "$t0" "$(now)")
base_manual=$(docker exec voiceops-lab-database apt-mark showmanual | sort)
ssh_inventory "$out/ssh.yml" voiceops-lab "${LAB_HOSTS[@]}"
# Mitogen takes over the connection named `docker` (the lab inventory names community.docker.docker).
{ printf -- '---\nall:\n  hosts:\n'; for h in "${LAB_HOSTS[@]}"; do printf '    %s: {ansible_connection: docker}\n' "$h"; done; } >"$out/docker.yml"
scripts/lab.sh prepare

# site TRANSPORT MITOGEN [ansible-playbook args]: site.yml on the lab over docker or ssh, with Mitogen or not.
site() {
  local transport=$1 with_mitogen=$2 inv=(-i inventory/lab)
  shift 2
  [ "$transport" = docker ] || inv+=(-i "$out/ssh.yml")
  [ "$transport" = ssh ] || [ "$with_mitogen" = 0 ] || inv+=(-i "$out/docker.yml")
  (
    [ "$with_mitogen" = 0 ] || use_mitogen
    ansible-playbook "${inv[@]}" playbooks/site.yml -e "@$VOICEOPS_CACHE/lab-secrets.yml" -e "@$VOICEOPS_CACHE/lab-vendor.yml" "$@"
  )
}
declare -A rerun changed loadavg
# rerun_of NAME TRANSPORT MITOGEN: one timed idempotent re-run.
rerun_of() {
  local name=$1 l0 t0 t1
  l0=$(load); t0=$(now)
  site "$2" "$3" >"$out/rerun-$name.log" 2>&1 || true
  t1=$(now)
  rerun[$name]=$(secs "$t0" "$t1")
  loadavg[$name]="$l0 -> $(load)"
  changed[$name]=$(grep -E '^voiceops-lab-[a-z]+ +: ' "$out/rerun-$name.log" | grep -vc 'changed=0 .*failed=0' || true)
}

echo "[bench] 1/3 first converge of site.yml over $BENCH_TRANSPORT"
l0=$(load); t0=$(now)
site "$BENCH_TRANSPORT" 0 >"$out/converge.log" 2>&1 || { tail -n 40 "$out/converge.log"; exit 1; }
t1=$(now); converge=$(secs "$t0" "$t1"); converge_load="$l0 -> $(load)"

echo "[bench] 2/3 idempotent re-runs: docker, ssh$([ "$mitogen" = 1 ] && echo ', ssh + mitogen, docker + mitogen')"
runs=(docker ssh)
rerun_of docker docker 0
rerun_of ssh ssh 0
if [ "$mitogen" = 1 ]; then
  runs+=(ssh+mitogen docker+mitogen)
  rerun_of ssh+mitogen ssh 1
  rerun_of docker+mitogen docker 1
fi

echo "[bench] 3/3 round trips (re-runs with -vvv on both transports)"
site docker 0 -vvv >"$out/trips-docker.log" 2>&1 || true
site ssh 0 -vvv >"$out/trips-ssh.log" 2>&1 || true

echo "[bench] floor: the same packages with one apt-get install per host, in fresh containers"
declare -A pkgs
for i in "${!LAB_HOSTS[@]}"; do
  pkgs[$i]=$(comm -13 <(echo "$base_manual") <(docker exec "${LAB_HOSTS[$i]}" apt-mark showmanual | sort) | tr '\n' ' ')
done
remove_containers voiceops-floor "${FLOOR_HOSTS[@]}"
for h in "${FLOOR_HOSTS[@]}"; do start_container "$h" voiceops-floor "${vendor_mount[@]}"; done
wait_systemd "${FLOOR_HOSTS[@]}"
# The floor gets the same apt sources and pins as the converged host (e.g. bullseye for consul).
for i in "${!FLOOR_HOSTS[@]}"; do
  docker exec "${LAB_HOSTS[$i]}" tar -C /etc/apt -cf - sources.list.d preferences.d |
    docker exec -i "${FLOOR_HOSTS[$i]}" tar -C /etc/apt -xf -
done
t0=$(now)
for i in "${!FLOOR_HOSTS[@]}"; do
  (
    docker exec "${FLOOR_HOSTS[$i]}" apt-get update -qq
    if [ -n "${pkgs[$i]// /}" ]; then
      # shellcheck disable=SC2086
      docker exec -e DEBIAN_FRONTEND=noninteractive "${FLOOR_HOSTS[$i]}" apt-get install -y -qq ${pkgs[$i]}
    fi
  ) >"$out/floor-$i.log" 2>&1 &
done
floor_ok=true
wait || floor_ok=false
for i in "${!FLOOR_HOSTS[@]}"; do grep -q '^E:' "$out/floor-$i.log" && { floor_ok=false; sed 's/^/   floor: /' "$out/floor-$i.log" | grep 'E:'; }; done
t1=$(now)
floor=$(secs "$t0" "$t1")
remove_containers voiceops-floor "${FLOOR_HOSTS[@]}"

ratio() { python3 -c "print(f'{$1 / $2:.2f}' if $2 > 0 else 'n/a')"; }
echo
echo "== voiceops.platform benchmark ($(date -u +%F), $(nproc) cores) =="
echo "0. sshd in the lab containers (installed from their apt caches, keys by the harness): ${sshd_setup}s"
echo "1. first converge / floor : $(ratio "$converge" "$floor")x  (${converge}s over $BENCH_TRANSPORT / ${floor}s; target <= 2x on the lab of today, 1.3x in the end; load ${converge_load})$($floor_ok || echo '  FLOOR INVALID: its apt-get install failed (above)')"
echo "2. re-run / converge (target <= 0.15x on the lab of today, 0.10x in the end):"
for r in "${runs[@]}"; do
  printf '   %-15s %6ss  %sx  hosts with changes or failures: %s  load %s\n' "$r" "${rerun[$r]}" "$(ratio "${rerun[$r]}" "$converge")" "${changed[$r]}" "${loadavg[$r]}"
done
[ "$mitogen" = 1 ] || echo "   (mitogen: not measured, BENCH_MITOGEN=0 or not in the virtualenv)"
echo "3. per host on a re-run (target <= 60 round trips):"
for h in "${LAB_HOSTS[@]}"; do
  ip=$(awk -v h="$h" '$1 == h":" { getline; print $2 }' "$out/ssh.yml")
  tasks=$(grep -cE "^(ok|changed|skipping|fatal): \[$h\]" "$out/trips-ssh.log" || true)
  dtrips=$(grep -cE "^<$h> EXEC " "$out/trips-docker.log" || true)
  strips=$(grep -cE "^<$ip> SSH: EXEC " "$out/trips-ssh.log" || true)
  printf '   %-26s tasks=%-4s round trips: docker exec=%-4s ssh=%s\n' "$h" "$tasks" "$dtrips" "$strips"
done
for i in "${!LAB_HOSTS[@]}"; do
  printf '   floor packages on %-26s %s\n' "${LAB_HOSTS[$i]}" "${pkgs[$i]:-(none)}"
done
rm -rf "$out"

if [ "${BENCH_PGBENCH:-1}" = 1 ]; then
  echo
  echo "4. PostgreSQL: the postgres_replica role's settings vs Debian's defaults (target >= 1.3x)"
  "$TOP/scripts/bench_pgbench.sh" 2>/dev/null | sed 's/^/   /'
fi

if [ "${BENCH_OPENSIPS:-1}" = 1 ]; then
  echo
  echo "5. OpenSIPS calls per second: the opensips role's full script vs a bare tm + rr relay (target >= 0.5x)"
  "$TOP/scripts/bench_opensips.sh" 2>/dev/null | sed 's/^/   /' || echo "   bench_opensips.sh failed (run it alone to see why)"
fi
