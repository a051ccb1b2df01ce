#!/usr/bin/env bash
# OpenSIPS call set-up rate (CPS): the collection's full script against a bare stateful relay.
# Not a test: it never fails the test command. Record the figures in docs/performance.md.
# STATUS: the full-script figure is reproducible (200-300 cps here); the bare-relay figure is not yet
# (150 cps in one run, 25-50 in the next ones): to be investigated before it is wired into make bench.
#
# On the converged molecule/opensips containers (created here when missing):
#   voiceops-opensips-1  OpenSIPS (the role's full script: pike, ratelimit, proxy digest auth on
#                        PostgreSQL, dispatcher, dialog + topology hiding, rtpengine offer/answer/delete)
#                        and, on port 5062, a second OpenSIPS running a bare relay (tm + rr only);
#   voiceops-opensips-3  the sipp UAC and the sipp UAS (the FreeSWITCH stand-in, 5080; it also answers
#                        the dispatcher's OPTIONS probes).
# For each script, sipp raises the rate (calls per second, BENCH_RATES) with BENCH_SECONDS of calls
# per step; the figure is the highest rate with 0 failed calls. Prints both and their ratio.
# The ratelimit cap of the full script (opensips_ratelimit_invite_cps, 200) is raised for the run.
set -euo pipefail
source "$(dirname "$0")/common.sh"
activate_venv
cd "$TOP"

RATES=${BENCH_RATES:-"25 50 100 150 200 300 400 600 800"}
SECONDS_PER_STEP=${BENCH_SECONDS:-10}
TEL=voiceops-opensips-1
CLI=voiceops-opensips-3
FILES="$TOP/molecule/opensips/files"

if [ -z "$VOICEOPS_VENDOR_APT" ]; then
  echo "[bench-opensips] SKIPPED: no vendor packages (set VOICEOPS_VENDOR_APT)"; exit 0
fi
if ! docker exec "$TEL" systemctl is-active --quiet opensips 2>/dev/null; then
  echo "[bench-opensips] converging molecule/opensips"
  molecule create -s opensips >/dev/null && molecule prepare -s opensips >/dev/null && molecule converge -s opensips >/dev/null
fi
ip_of() { docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$1"; }
tel_ip=$(ip_of "$TEL"); cli_ip=$(ip_of "$CLI")
domain=sip.voiceops.test

# A subscriber for the full script, and no rate cap for the run (restored at the end).
docker exec "$(docker ps --format '{{.Names}}' | grep -x voiceops-opensips-2)" su postgres -c \
  "psql -q -d opensips -c \"INSERT INTO subscriber (username, domain, ha1) VALUES ('bench', '$domain', md5('bench:$domain:bench-secret')) ON CONFLICT (username, domain) DO NOTHING\""
docker exec "$TEL" cp /etc/opensips/opensips.cfg /tmp/opensips.cfg.bench-saved
docker exec "$TEL" sed -i -e 's/rl_check("invite", [0-9]*,/rl_check("invite", 100000,/' \
  -e 's/"reqs_density_per_unit", [0-9]*/"reqs_density_per_unit", 100000/' /etc/opensips/opensips.cfg
docker exec "$TEL" systemctl restart opensips
restore() {
  docker exec "$TEL" cp /tmp/opensips.cfg.bench-saved /etc/opensips/opensips.cfg || true
  docker exec "$TEL" systemctl restart opensips || true
  docker exec "$TEL" systemctl stop voiceops-bench-bare-opensips 2>/dev/null || true
  docker exec "$CLI" systemctl stop voiceops-bench-uas 2>/dev/null || true
}
trap restore EXIT

# The bare relay: stateful forwarding with record-routing, straight to the stand-in
# (sipmsgops only for has_totag/is_method, maxfwd for the hop limit).
docker exec -i "$TEL" sh -c 'cat > /tmp/bare-opensips.cfg' <<EOF
# bench_opensips.sh: the bare stateful relay (tm + rr) the full script is compared with.
log_level=2
udp_workers=$(docker exec "$TEL" awk -F= '/^udp_workers/{print $2}' /etc/opensips/opensips.cfg)
socket=udp:$tel_ip:5062
mpath="/usr/lib/x86_64-linux-gnu/opensips/modules/"
loadmodule "proto_udp.so"
loadmodule "signaling.so"
loadmodule "sl.so"
loadmodule "tm.so"
loadmodule "rr.so"
loadmodule "maxfwd.so"
loadmodule "sipmsgops.so"
route {
	if (!mf_process_maxfwd_header(10)) { send_reply(483, "Too Many Hops"); exit; }
	if (has_totag()) {
		if (loose_route() || is_method("ACK")) { t_relay(); exit; }
		send_reply(404, "Not Here"); exit;
	}
	record_route();
	\$du = "sip:$cli_ip:5080";
	t_relay();
}
EOF
docker exec "$TEL" /usr/sbin/opensips -C -f /tmp/bare-opensips.cfg >/dev/null
# Under systemd (a daemon started by `docker exec` does not outlive the exec session), in the foreground.
docker exec "$TEL" systemctl stop voiceops-bench-bare-opensips 2>/dev/null || true
docker exec "$TEL" systemd-run --unit voiceops-bench-bare-opensips --collect \
  /usr/sbin/opensips -F -f /tmp/bare-opensips.cfg -m 128 -M 8 >/dev/null

for f in uas.xml bench_invite.xml; do docker cp "$FILES/$f" "$CLI:/root/$f"; done
docker exec "$CLI" systemctl stop voiceops-bench-uas 2>/dev/null || true
docker exec "$CLI" systemd-run --unit voiceops-bench-uas --collect sipp -sf /root/uas.xml -i "$cli_ip" -p 5080 \
  -set rtpport 40200 -nostdin -max_socket 10000 >/dev/null
sleep 5

# highest_rate PORT: the highest rate of RATES that completes every call.
highest_rate() {
  local port=$1 best=0 rate calls
  for rate in $RATES; do
    calls=$((rate * SECONDS_PER_STEP))
    if docker exec "$CLI" sipp "$tel_ip:$port" -sf /root/bench_invite.xml -s 1000 -i "$cli_ip" -p 5075 \
         -set domain "$domain" -set user bench -au bench -ap bench-secret \
         -r "$rate" -m "$calls" -l $((rate * 4)) -nostdin -timeout $((SECONDS_PER_STEP * 4))s -timeout_error \
         -recv_timeout 5000 >/dev/null 2>&1; then
      best=$rate; echo "[bench-opensips]   port $port: $rate cps x ${SECONDS_PER_STEP}s: 0 failed" >&2
    else
      echo "[bench-opensips]   port $port: $rate cps: calls failed, stop" >&2; break
    fi
  done
  echo "$best"
}

echo "[bench-opensips] bare relay (tm + rr), port 5062"
bare=$(highest_rate 5062)
echo "[bench-opensips] full script (auth on PostgreSQL, dispatcher, dialog, topology hiding, rtpengine), port 5060"
full=$(highest_rate 5060)
ratio=$(python3 -c "print(f'{$full / $bare:.2f}' if $bare else 'n/a')")
echo "[bench-opensips] highest rate with 0 failed calls: full script ${full} cps, bare relay ${bare} cps, ratio ${ratio} (target >= 0.5)"
