#!/usr/bin/env bash
# OpenSIPS call set-up rate (CPS): the collection's full script against a bare stateful relay,
# on one fresh Debian 12 container, in the same run. Prints both figures and their ratio.
# Not a test: never run by scripts/test.sh, never fails the caller. Record the figures in
# docs/performance.md.
#
# The container (voiceops-sipbench-1) is the whole telephony server of the seed, converged with the
# collection's roles: postgres_replica (the opensips database), rtpengine and opensips with their
# defaults, the host in the telephony, database and application groups. On it:
#   - port 5060: the role's full script (pike, ratelimit, proxy digest auth against the subscriber
#     table in PostgreSQL, usrloc, dispatcher set 1 with OPTIONS probing, dialog + topology hiding,
#     rtpengine offer/answer/delete);
#   - port 5062: a bare stateful relay written here (proto_udp, tm, rr: record-route, t_relay to the
#     stand-in, loose_route in dialog), same binary, same worker count and memory as the role's;
#   - sipp UAS on 5080, the FreeSWITCH stand-in (the dispatcher's only node; answers its probes;
#     molecule/opensips/files/bench_uas.xml: it answers 200 at once, see there why not 180 first);
#   - sipp UAC on 5075: INVITE (answering the 407 with digest auth on the full script), 200, ACK, BYE.
# The role's flood limits are raised (opensips_pike_reqs_density_per_unit, opensips_ratelimit_invite_cps)
# so that the modules still run on every request but do not refuse the load of one source.
#
# For each script the rate doubles from BENCH_START_CPS until calls fail, then a bisection between
# the last rate with 0 failed calls and the first with failures (BENCH_BISECT steps); each step sends
# BENCH_SECONDS seconds of calls; a step that fails is tried once more before it counts as failed
# (the machine is shared). The figure is the highest rate with 0 failed calls.
#
# Knobs (environment): BENCH_SECONDS=5, BENCH_START_CPS=50, BENCH_MAX_CPS=3200, BENCH_BISECT=2,
# BENCH_KEEP=1 (keep the container; a later run re-uses it and skips the converge).
set -euo pipefail
source "$(dirname "$0")/common.sh"
source "$TOP/scripts/containers.sh"
"$TOP/scripts/host-setup.sh" >/dev/null
activate_venv
cd "$TOP"

SECONDS_PER_STEP=${BENCH_SECONDS:-5}
START=${BENCH_START_CPS:-50}
MAX=${BENCH_MAX_CPS:-3200}
BISECT=${BENCH_BISECT:-2}
NAME=voiceops-sipbench-1
NETWORK=voiceops-sipbench
FILES="$TOP/molecule/opensips/files"
DOMAIN=sip.voiceops.test
work=$(mktemp -d)
log() { echo "[bench-opensips] $*" >&2; }

if [ -z "$VOICEOPS_VENDOR_APT" ] || [ ! -f "$VOICEOPS_VENDOR_APT/Packages" ]; then
  echo "SKIPPED: no vendor packages (set VOICEOPS_VENDOR_APT)"; exit 0
fi

cleanup() {
  if [ "${BENCH_KEEP:-0}" != 1 ]; then remove_containers "$NETWORK" "$NAME"; fi
  rm -rf "$work"
}
trap cleanup EXIT

t_start=$(date +%s)
if [ "${BENCH_KEEP:-0}" != 1 ] || ! docker exec "$NAME" systemctl is-active --quiet opensips 2>/dev/null; then
  log "fresh container $NAME: postgres_replica + rtpengine + opensips (the collection's roles)"
  remove_containers "$NETWORK" "$NAME"
  start_container "$NAME" "$NETWORK" --mount "type=bind,source=$VOICEOPS_VENDOR_APT,target=/srv/vendor-apt,readonly"
  wait_systemd "$NAME"
  cat >"$work/inventory.yml" <<EOF
all:
  vars:
    ansible_connection: community.docker.docker
    ansible_python_interpreter: /usr/bin/python3
  children:
    telephony: {hosts: {$NAME: }}
    database: {hosts: {$NAME: }}
    application: {hosts: {$NAME: }}
EOF
  secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  cat >"$work/vars.yml" <<EOF
voiceops_environment: lab
postgres_replica_replication_password: "r$secret"
postgres_replica_webitel_password: "w$secret"
postgres_replica_memory_mb: 1024
postgres_replica_users: [{name: opensips, password: "o$secret"}]
postgres_replica_databases: [{name: opensips, owner: opensips}]
opensips_install_source: {url: "file:/srv/vendor-apt", suite: "./", components: [], key_url: "", trusted: true, username: "", password: ""}
opensips_db_password: "o$secret"
opensips_sip_domain: $DOMAIN
# The phones (sipp UAC) and the FreeSWITCH stand-in share the address: tell them apart by port.
opensips_dispatcher_match_port: true
# One source sends every call: flood limits the load would trip (the modules still run).
opensips_pike_reqs_density_per_unit: 1000000
opensips_ratelimit_invite_cps: 1000000
EOF
  cat >"$work/play.yml" <<'EOF'
- name: The telephony server of the seed on one container (bench)
  hosts: all
  gather_facts: true
  pre_tasks:
    - name: Install sipp
      ansible.builtin.apt:
        name: sip-tester
        update_cache: true
        cache_valid_time: 3600
  roles:
    - role: voiceops.platform.postgres_replica
    - role: voiceops.platform.rtpengine
    - role: voiceops.platform.opensips
EOF
  ansible-playbook -i "$work/inventory.yml" "$work/play.yml" -e "@$work/vars.yml" >"$work/converge.log" 2>&1 ||
    { tail -n 40 "$work/converge.log"; exit 1; }
fi
t_converged=$(date +%s)
ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$NAME")
cx() { docker exec "$NAME" bash -c "$1"; }

# The subscriber the UAC authenticates as (HA1, as production stores it).
cx "runuser -u postgres -- psql -qAtX -d opensips -c \"INSERT INTO subscriber (username, domain, ha1)
    VALUES ('bench', '$DOMAIN', md5('bench:$DOMAIN:bench-secret')) ON CONFLICT (username, domain) DO NOTHING\""

# The bare relay: the same binary, listener address, worker count and memory as the role's service.
workers=$(cx "sed -n 's/^udp_workers=//p' /etc/opensips/opensips.cfg")
memory=$(cx ". /etc/default/opensips; echo \"-m \$S_MEMORY -M \$P_MEMORY\"")
docker exec -i "$NAME" bash -c "cat > /tmp/bare-opensips.cfg" <<EOF
# bench_opensips.sh: a bare stateful relay (tm + rr), what the role's full script is compared with.
log_level=2
stderror_enabled=no
syslog_enabled=yes
udp_workers=$workers
socket=udp:$ip:5062
mpath="/usr/lib/x86_64-linux-gnu/opensips/modules/"
loadmodule "proto_udp.so"
loadmodule "tm.so"
loadmodule "rr.so"
route {
	if (\$tt != NULL) {
		loose_route();
		t_relay();
		exit;
	}
	record_route();
	\$du = "sip:$ip:5080";
	t_relay();
}
EOF
cx "/usr/sbin/opensips -C -f /tmp/bare-opensips.cfg" >/dev/null 2>&1 || { cx "/usr/sbin/opensips -C -f /tmp/bare-opensips.cfg"; exit 1; }
# Under systemd, in the foreground, as the opensips user like the service.
cx "systemctl stop voiceops-bench-bare voiceops-bench-uas 2>/dev/null; true"
cx "systemd-run --unit voiceops-bench-bare --collect -p User=opensips /usr/sbin/opensips -F -f /tmp/bare-opensips.cfg $memory" >/dev/null 2>&1

for f in bench_uas.xml bench_invite.xml; do docker cp "$FILES/$f" "$NAME:/root/$f"; done
cx "systemd-run --unit voiceops-bench-uas --collect sipp -sf /root/bench_uas.xml -i $ip -p 5080 -set rtpport 40200 -nostdin" >/dev/null 2>&1
# The dispatcher's probes see the stand-in before the first call.
for _ in $(seq 1 30); do
  docker exec -i "$NAME" python3 - <<'EOF' | grep -q Active && break
import json, urllib.request
req = urllib.request.Request("http://127.0.0.1:8000/mi", data=b'{"jsonrpc": "2.0", "method": "ds_list", "id": 1}',
                             headers={"Content-Type": "application/json"})
result = json.load(urllib.request.urlopen(req))["result"]
print(" ".join(d["state"] for p in result["PARTITIONS"] for s in p["SETS"] for d in s["Destinations"]))
EOF
  sleep 1
done

# one_step PORT RATE: BENCH_SECONDS of calls at RATE; true when no call failed.
one_step() {
  local port=$1 rate=$2
  cx "sipp $ip:$port -sf /root/bench_invite.xml -s 1000 -i $ip -p 5075 -set domain $DOMAIN -set user bench \
      -au bench -ap bench-secret -r $rate -m $((rate * SECONDS_PER_STEP)) -l $((rate * 4)) -nostdin \
      -timeout $((SECONDS_PER_STEP * 3 + 10))s -timeout_error -recv_timeout 8000 >/dev/null 2>&1"
}
# step PORT RATE: one_step, tried once more when it fails.
step() {
  if one_step "$1" "$2" || one_step "$1" "$2"; then
    log "  port $1: $2 cps x ${SECONDS_PER_STEP}s: 0 failed"; return 0
  fi
  log "  port $1: $2 cps: calls failed (twice)"; return 1
}
# highest_rate PORT: doubling, then bisection; prints the highest rate with 0 failed calls.
highest_rate() {
  local port=$1 good=0 bad=0 rate=$START mid
  while [ "$rate" -le "$MAX" ]; do
    if step "$port" "$rate"; then good=$rate; rate=$((rate * 2)); else bad=$rate; break; fi
  done
  if [ "$bad" -gt 0 ]; then
    for _ in $(seq 1 "$BISECT"); do
      mid=$(((good + bad) / 2))
      if [ "$mid" -le "$good" ] || [ "$mid" -ge "$bad" ]; then break; fi
      if step "$port" "$mid"; then good=$mid; else bad=$mid; fi
    done
  fi
  echo "$good"
}

log "bare stateful relay (tm + rr), port 5062"
bare=$(highest_rate 5062)
log "the role's full script (auth on PostgreSQL, usrloc, dispatcher, dialog, topology hiding, rtpengine), port 5060"
full=$(highest_rate 5060)
t_end=$(date +%s)
cx "systemctl stop voiceops-bench-bare voiceops-bench-uas 2>/dev/null; true"

ratio=$(python3 -c "print(f'{$full / $bare:.2f}' if $bare else 'n/a')")
echo "OpenSIPS $(cx "/usr/sbin/opensips -V" | sed -n 's/^version: opensips \([^ ]*\).*/\1/p'), $(nproc) host CPUs, sipp UAC -> OpenSIPS -> sipp UAS on one container"
echo "  highest rate with 0 failed calls (${SECONDS_PER_STEP}s steps, doubling from ${START} then ${BISECT} bisections):"
echo "  bare relay (tm + rr)  : ${bare} cps"
echo "  the role's full script: ${full} cps"
echo "  ratio full/bare       : ${ratio}x (target >= 0.5x)"
echo "  time: converge $((t_converged - t_start))s, measurement $((t_end - t_converged))s"
