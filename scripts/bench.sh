#!/usr/bin/env bash
# make bench: how fast is site.yml, measured on fresh lab containers.
#  1. first converge of site.yml vs the floor: the same packages installed by one
#     bare `apt-get install` (services start as Debian starts them) in fresh
#     containers of the same image, all hosts in parallel;
#  2. the idempotent re-run vs the first converge;
#  3. tasks and `docker exec` round trips per host on a re-run;
#  4. pgbench with Debian's default postgresql.conf vs the postgres_replica role's settings
#     (scripts/bench_pgbench.sh; skip with BENCH_PGBENCH=0);
#  5. OpenSIPS calls per second: the opensips role's full script vs a bare tm + rr relay on one
#     container (scripts/bench_opensips.sh, about 5 minutes; skip with BENCH_OPENSIPS=0).
# Not a test: it never fails the test command. Record the figures in docs/performance.md.
set -euo pipefail
source "$(dirname "$0")/common.sh"
source "$TOP/scripts/containers.sh"
"$TOP/scripts/host-setup.sh"
activate_venv
cd "$TOP"

LAB_HOSTS=(voiceops-lab-telephony voiceops-lab-database voiceops-lab-replica voiceops-lab-application)
FLOOR_HOSTS=(voiceops-floor-telephony voiceops-floor-database voiceops-floor-replica voiceops-floor-application)
out=$(mktemp -d)
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.1f}')"; }

echo "[bench] fresh lab containers"
scripts/lab.sh down >/dev/null
for h in "${LAB_HOSTS[@]}"; do start_container "$h" voiceops-lab; done
wait_systemd "${LAB_HOSTS[@]}"
base_manual=$(docker exec voiceops-lab-database apt-mark showmanual | sort)

site() { ansible-playbook -i inventory/lab playbooks/site.yml -e "@$VOICEOPS_CACHE/lab-secrets.yml" "$@"; }
scripts/lab.sh secrets

echo "[bench] 1/3 first converge of site.yml"
t0=$(now); site >"$out/converge.log" 2>&1 || { tail -n 40 "$out/converge.log"; exit 1; }; t1=$(now)
converge=$(secs "$t0" "$t1")

echo "[bench] 2/3 idempotent re-run"
t0=$(now); site >"$out/rerun.log" 2>&1; t1=$(now)
rerun=$(secs "$t0" "$t1")
changed=$(grep -E '^voiceops-lab-[a-z]+ +: ' "$out/rerun.log" | grep -vc 'changed=0' || true)

echo "[bench] 3/3 round trips (re-run with -vvv)"
site -vvv >"$out/trips.log" 2>&1 || true

echo "[bench] floor: the same packages with one apt-get install per host, in fresh containers"
declare -A pkgs
for i in "${!LAB_HOSTS[@]}"; do
  pkgs[$i]=$(comm -13 <(echo "$base_manual") <(docker exec "${LAB_HOSTS[$i]}" apt-mark showmanual | sort) | tr '\n' ' ')
done
remove_containers voiceops-floor "${FLOOR_HOSTS[@]}"
for h in "${FLOOR_HOSTS[@]}"; do start_container "$h" voiceops-floor; done
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
echo "1. first converge / floor : $(ratio "$converge" "$floor")x  (${converge}s / ${floor}s; target <= 1.3x)$($floor_ok || echo '  FLOOR INVALID: its apt-get install failed (above)')"
echo "2. re-run / converge      : $(ratio "$rerun" "$converge")x  (${rerun}s / ${converge}s; target <= 0.10x; hosts with changes on re-run: $changed)"
echo "3. per host on a re-run   :"
for h in "${LAB_HOSTS[@]}"; do
  tasks=$(grep -cE "^(ok|changed|skipping|fatal): \[$h\]" "$out/trips.log" || true)
  trips=$(grep -cE "^<$h> EXEC " "$out/trips.log" || true)
  printf '   %-26s tasks=%-4s docker-exec round trips=%s\n' "$h" "$tasks" "$trips"
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
