#!/usr/bin/env bash
# Proof of playbooks/rolling_upgrade.yml on a converged lab with two FreeSWITCH nodes (make lab LAYOUT=scale_out):
#   1. a call is held open through the stack (acceptance.yml's call check: subscriber -> OpenSIPS -> dispatcher ->
#      a FreeSWITCH echo, RTP both ways through rtpengine) for CALL_SECONDS;
#   2. while it runs, the rolling upgrade upgrades the OTHER node (taken out of the dispatcher set, drained,
#      packages, freeswitch role, restart: rolling_upgrade_restart=always, back in) and runs the acceptance
#      checks of the whole stack (a second call among them) with the held call still up;
#   3. then the rolling upgrade of the node holding the call starts: its drain waits until the call has ended,
#      then it is upgraded, and the acceptance checks of the whole stack run again;
#   4. the held call must pass: answered, RTP both ways (acceptance_rtp_min_echo_percent), BYE answered 200.
# The held call has its own subscriber (acceptance_sip_user), so that the acceptance checks between hosts do not
# replace it. Usage: LAYOUT=scale_out scripts/lab_rolling_upgrade.sh [CALL_SECONDS (default 480)]
set -euo pipefail
source "$(dirname "$0")/common.sh"
LAYOUT="${LAYOUT:-scale_out}"
CALL_SECONDS="${1:-480}"
activate_venv
cd "$TOP"
inv=$(LAYOUT=$LAYOUT scripts/lab.sh inventory)
lab_vars=(-e "@$VOICEOPS_CACHE/lab-secrets.yml" -e "@$VOICEOPS_CACHE/lab-vendor.yml")
# After make lab-switchover, the primary the lab runs with (as scripts/lab.sh passes it).
[ ! -f "$VOICEOPS_CACHE/lab-topology-$LAYOUT.yml" ] || lab_vars+=(-e "@$VOICEOPS_CACHE/lab-topology-$LAYOUT.yml")
LOG_DIR="$VOICEOPS_CACHE/lab-logs"
mkdir -p "$LOG_DIR"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
call_log="$LOG_DIR/rolling-upgrade-call-$stamp.log"
mapfile -t nodes < <(ansible -i "$inv" application --list-hosts "${lab_vars[@]}" | tail -n +2 | tr -d ' ')
[ "${#nodes[@]}" -ge 2 ] || { echo "LAYOUT=$LAYOUT has ${#nodes[@]} FreeSWITCH node(s); the proof needs two" >&2; exit 2; }

channels() { docker exec "voiceops-lab-${1#voiceops-lab-}" fs_cli -x 'show channels count' 2>/dev/null | grep -o '^[0-9]*' || echo 0; }

echo "$(date -u +%T) holding a call of ${CALL_SECONDS}s through OpenSIPS' dispatcher (log: $call_log)"
ANSIBLE_FORCE_COLOR=0 ansible-playbook -i "$inv" playbooks/acceptance.yml "${lab_vars[@]}" \
  -e '{"acceptance_checks": ["call"]}' -e "acceptance_rtp_packets=$((CALL_SECONDS * 50))" -e acceptance_sip_user=voiceops-held-call \
  -e "acceptance_report_dir=$inv/.acceptance-report-held-call" >"$call_log" 2>&1 &
call_pid=$!
held=""
for _ in $(seq 1 120); do
  for n in "${nodes[@]}"; do
    if [ "$(channels "$n")" -gt 0 ]; then held=$n; break 2; fi
  done
  sleep 1
done
[ -n "$held" ] || { echo "no FreeSWITCH node got the call; see $call_log" >&2; wait "$call_pid" || true; exit 1; }
other=""
for n in "${nodes[@]}"; do [ "$n" = "$held" ] || { other=$n; break; }; done
echo "$(date -u +%T) the call is on $held ($(channels "$held") channel(s)); upgrading $other first"

start=$(date +%s)
rc1=0
ANSIBLE_FORCE_COLOR=0 ansible-playbook -i "$inv" playbooks/rolling_upgrade.yml "${lab_vars[@]}" \
  -e "rolling_upgrade_hosts=$other" -e rolling_upgrade_restart=always -e "acceptance_report_dir=$inv/.acceptance-report-1" \
  >"$LOG_DIR/rolling-upgrade-1-$stamp.log" 2>&1 || rc1=$?
d1=$(( $(date +%s) - start ))
still=$(channels "$held")
echo "$(date -u +%T) rolling upgrade of $other: exit $rc1 in ${d1}s; $held still has $still channel(s)" \
  "(log: $LOG_DIR/rolling-upgrade-1-$stamp.log)"
grep -E '^(PLAY RECAP|voiceops-lab-)' "$LOG_DIR/rolling-upgrade-1-$stamp.log" | tail -8 || true
grep -o 'Acceptance \(PASS\|FAIL\)[^"]*' "$LOG_DIR/rolling-upgrade-1-$stamp.log" | tail -1 || true
grep -E '^\| ' "$inv/.acceptance-report-1/acceptance-report.md" 2>/dev/null | grep -iE '\| call|session' || true
# The proof needs the call still up when the first node is back and the stack checked.
if [ "$still" -eq 0 ]; then
  echo "the held call had ended before the upgrade of $other finished: run again with more than ${CALL_SECONDS}s" >&2
  [ "$rc1" -ne 0 ] || rc1=1
fi

start=$(date +%s)
rc2=0
ANSIBLE_FORCE_COLOR=0 ansible-playbook -i "$inv" playbooks/rolling_upgrade.yml "${lab_vars[@]}" \
  -e "rolling_upgrade_hosts=$held" -e rolling_upgrade_restart=always -e rolling_upgrade_drain_timeout=$((CALL_SECONDS + 120)) \
  -e "acceptance_report_dir=$inv/.acceptance-report" >"$LOG_DIR/rolling-upgrade-2-$stamp.log" 2>&1 || rc2=$?
d2=$(( $(date +%s) - start ))
echo "$(date -u +%T) rolling upgrade of $held (drained: waited for the call): exit $rc2 in ${d2}s" \
  "(log: $LOG_DIR/rolling-upgrade-2-$stamp.log)"
grep -E 'Drain - wait|FAILED - RETRYING: \[.*Drain' "$LOG_DIR/rolling-upgrade-2-$stamp.log" | tail -2 || true
grep -o 'Acceptance \(PASS\|FAIL\)[^"]*' "$LOG_DIR/rolling-upgrade-2-$stamp.log" | tail -1 || true

rc3=0
wait "$call_pid" || rc3=$?
echo "$(date -u +%T) the held call (acceptance call check, exit $rc3):"
grep -E '^\| ' "$inv/.acceptance-report-held-call/acceptance-report.md" | grep -iE 'call|RTP|torn|session' || true
[ "$rc1" -eq 0 ] && [ "$rc2" -eq 0 ] && [ "$rc3" -eq 0 ] && echo "VERDICT: PASS (the call on $held was not dropped)" && exit 0
echo "VERDICT: FAIL (rolling upgrade $other: $rc1, rolling upgrade $held: $rc2, held call: $rc3)"
exit 1
