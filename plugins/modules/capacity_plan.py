#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: capacity_plan
short_description: Size calls, RTP ports, bandwidth, recording storage and load-balancer listeners
version_added: 0.1.0
description:
  - Pure computation, no host access; run it once on the controller (C(run_once) with C(delegate_to) V(localhost)).
  - From the daily call volume, the busy-hour share and the mean call duration it computes the busy-hour
    traffic in Erlang, then the peak simultaneous calls with the inverse of Erlang's B formula for the given
    blocking probability (grade of service). Erlang B is evaluated with the stable recursion
    B[0] = 1, B[n] = A*B[n-1] / (n + A*B[n-1]); the peak is the smallest N with B[N, A] <= O(blocking).
  - From the peak it derives the RTP ports each media server needs (O(ports_per_call) per call on the share of
    calls that server carries), the media bandwidth (codec payload plus IPv4/UDP/RTP and Ethernet overhead per
    packet), and the recording storage per day and for the retention period.
  - It compares those with what the inventory configures (each media server's RTP range, the free disk for
    recordings, the link capacity, the expected peak) and with a load balancer's listener limit
    (users served = floor((listeners - signalling listeners) / ports per user)), and returns a verdict and
    reason per comparison.
  - 'Worked example 1 (Webitel seed: "400,000 calls per day (250-350 simultaneous with call recording)").
    Assumptions: busy hour carries 10 % of the daily calls (a common contact-centre planning figure), mean
    holding time 25 s (the figure is only consistent with short calls: outbound dialer attempts, IVR and
    unanswered calls counted as calls), blocking 1 %, G.711 at 20 ms, 2 legs bridged by rtpengine with RTP and
    RTCP ports per leg (4 ports per call), one media server, recordings at 32 kbps kept 30 days.
    Busy-hour traffic A = 400000 x 0.10 x 25 / 3600 = 277.8 Erlang; Erlang B at 1 % gives 301 simultaneous
    calls, inside 250-350. With a 10 % busy hour the seed agrees for mean durations between 20.5 s
    (A = 227.8 E -> 250 channels) and 29.3 s (A = 325.6 E -> 350 channels); with a typical 3-minute call it
    would need 2028 channels. RTP ports: 301 x 4 = 1204 of the 40001 in 10000-50000. Bandwidth:
    301 calls x 2 legs x 87.2 kbps = 52.5 Mbit/s each way at the media server. Recording:
    400000 x 25 s x 32 kbps / 8 = 40 GB per day, 1200 GB for 30 days.'
  - 'Worked example 2 (Rocket.Chat seed: FreeSWITCH behind an AWS NLB). The NLB allows 50 listeners, one is
    kept for SIP signalling and each user needs 2 RTP ports: floor((50 - 1) / 2) = 24 users; planning 30 users
    fails with the reason and the fix (another load balancer type, NodePort, or fewer users).'
  - 'Every numeric option is checked against its range before anything is computed (finite, integer where an
    integer is meant); a bad value fails the module with one message per problem naming the option, for example
    C(capacity_plan: ports_per_call=0 is out of range; set it to an integer from 1 to 16.).'
options:
  calls_per_day:
    description:
      - Calls per day (all calls that hold a media channel, answered or not).
      - 'Range: an integer from 0 to 100000000.'
    type: int
    default: 0
  chats_per_day:
    description:
      - Chats per day; reported as busy-hour chats and chats per second (no media).
      - 'Range: an integer from 0 to 1000000000.'
    type: int
    default: 0
  busy_hour_share:
    description:
      - Share of the daily calls (and chats) that fall in the busiest hour. The busiest hour carries at least
        the average hour's share (1/24, about 0.042), hence the lower bound.
      - 'Range: a number from 0.04 to 1.'
    type: float
    default: 0.1
  avg_call_duration_s:
    description:
      - Mean holding time of a call in seconds, including ringing and IVR time.
      - 'Range: a number from 1 to 86400.'
    type: float
    default: 180
  blocking:
    description:
      - Accepted blocking probability (grade of service) for Erlang B (0.01 = 1 % of calls blocked).
      - 'Range: a number from 0.0001 to 0.5.'
    type: float
    default: 0.01
  expected_peak_calls:
    description:
      - The simultaneous calls the deployment is planned for, one value or V([min, max]).
      - The computed peak must lie within it (up to the value when only one is given).
      - 'Range: an integer from 0 to 1000000.'
    type: list
    elements: int
  codec:
    description:
      - Voice codec; payload rates are G.711 64 kbps, G.722 64 kbps, G.729 8 kbps, Opus 32 kbps (assumed,
        Opus is variable rate).
    type: str
    choices: [g711, g722, g729, opus]
    default: g711
  codec_payload_kbps:
    description:
      - Override of the codec's payload bit rate in kbit/s.
      - 'Range: a number from 1 to 2000.'
    type: float
  ptime_ms:
    description:
      - Packetisation time in milliseconds (one RTP packet per O(ptime_ms)).
      - 'Range: an integer from 10 to 120.'
    type: int
    default: 20
  srtp:
    description: Add the 10-byte SRTP authentication tag (HMAC-SHA1-80) to every packet.
    type: bool
    default: false
  legs_per_call:
    description:
      - Media legs per call at the media server (2 when rtpengine or FreeSWITCH bridges caller and callee).
      - 'Range: an integer from 1 to 10.'
    type: int
    default: 2
  ports_per_call:
    description:
      - RTP ports a call occupies on a media server (2 legs x RTP + RTCP = 4).
      - 'Range: an integer from 1 to 16.'
    type: int
    default: 4
  media_servers:
    description: The media servers and their configured RTP port ranges.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Server name (inventory host).
        type: str
        required: true
      rtp_port_min:
        description:
          - First port of the RTP range.
          - 'Range: an integer from 1 to 65535.'
        type: int
        required: true
      rtp_port_max:
        description:
          - Last port of the RTP range.
          - 'Range: an integer from 1 to 65535.'
        type: int
        required: true
  spare_media_servers:
    description:
      - Media servers kept in reserve; the peak is spread over the others, so any of them can fail.
      - Must be smaller than the number of O(media_servers); ignored when O(media_servers) is empty.
      - 'Range: an integer from 0 to 100.'
    type: int
    default: 0
  link_capacity_mbps:
    description:
      - Network capacity of one media server in Mbit/s per direction; compared with its media bandwidth.
      - 'Range: a number from 0.1 to 1000000.'
    type: float
  recording:
    description: Whether calls are recorded.
    type: bool
    default: true
  recording_kbps:
    description:
      - Recording bit rate in kbit/s (32 for mono MP3, 64 for G.711 WAV, 128 for 16-bit PCM at 8 kHz).
      - 'Range: a number from 1 to 2000.'
    type: float
    default: 32
  recorded_share:
    description:
      - Share of the calls that are recorded.
      - 'Range: a number from 0 to 1.'
    type: float
    default: 1.0
  retention_days:
    description:
      - Days recordings are kept.
      - 'Range: an integer from 0 to 3650.'
    type: int
    default: 30
  recording_disk_free_gb:
    description:
      - Free disk for recordings in GB; compared with the storage for O(retention_days).
      - 'Range: a number from 0 to 1000000000.'
    type: float
  lb_listener_limit:
    description:
      - Maximum listeners (ports) of the load balancer in front of the media server, for example 50 for an AWS NLB.
      - 'Range: an integer from 1 to 65535.'
    type: int
  lb_signalling_listeners:
    description:
      - Listeners of the load balancer kept for signalling (SIP).
      - 'Range: an integer from 0 to 65535.'
    type: int
    default: 1
  lb_ports_per_user:
    description:
      - Load-balancer ports each connected user needs.
      - 'Range: an integer from 1 to 16.'
    type: int
    default: 2
  planned_users:
    description:
      - Simultaneous users planned behind the load balancer; compared with the users it can serve.
      - 'Range: an integer from 0 to 1000000.'
    type: int
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - voiceops.platform.preflight
attributes:
  check_mode:
    support: full
    details: Pure computation; identical in check mode, never reports a change.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
    description: Runs anywhere Python runs; it reads nothing from the host.
seealso:
  - module: voiceops.platform.port_probe
author:
  - voiceops.platform maintainers (@voiceops)
'''

EXAMPLES = r'''
- name: Worked example 1 - the Webitel seed, 400,000 calls/day against 250-350 simultaneous calls
  voiceops.platform.capacity_plan:
    calls_per_day: 400000
    chats_per_day: 100000
    busy_hour_share: 0.10       # 10 % of the day's calls in the busy hour
    avg_call_duration_s: 25     # short calls: dialer attempts, IVR, unanswered
    blocking: 0.01
    expected_peak_calls: [250, 350]
    codec: g711
    ports_per_call: 4           # 2 legs x (RTP + RTCP) through rtpengine
    media_servers:
      - {name: telephony-1, rtp_port_min: 10000, rtp_port_max: 50000}
    recording: true
    recording_kbps: 32
    retention_days: 30
    recording_disk_free_gb: 2000
  run_once: true
  delegate_to: localhost
  register: plan
  # plan.plan.busy_hour_erlangs == 277.78, plan.plan.peak_simultaneous_calls == 301,
  # plan.plan.rtp_ports_needed_per_media_server == 1204, plan.plan.recording_gb_per_day == 40.0

- name: Worked example 2 - Rocket.Chat behind an AWS NLB with 50 listeners
  voiceops.platform.capacity_plan:
    lb_listener_limit: 50
    lb_signalling_listeners: 1
    lb_ports_per_user: 2
    planned_users: 24
    recording: false
  run_once: true
  delegate_to: localhost
  register: nlb
  # nlb.plan.lb_users_served == 24; planned_users: 30 would fail

- name: Size from the inventory, for the preflight role to aggregate over all checks
  voiceops.platform.capacity_plan:
    calls_per_day: "{{ voiceops_calls_per_day }}"
    busy_hour_share: "{{ voiceops_busy_hour_share }}"
    avg_call_duration_s: "{{ voiceops_avg_call_duration_s }}"
    media_servers:
      - name: "{{ groups['media'][0] }}"
        rtp_port_min: "{{ hostvars[groups['media'][0]]['rtpengine_port_min'] }}"
        rtp_port_max: "{{ hostvars[groups['media'][0]]['rtpengine_port_max'] }}"
    fail_on: never
  run_once: true
  delegate_to: localhost
  register: capacity
'''

RETURN = r'''
plan:
  description: The computed figures.
  returned: always
  type: dict
  contains:
    busy_hour_calls:
      description: Calls in the busy hour.
      type: float
      sample: 40000.0
    busy_hour_erlangs:
      description: Offered traffic in the busy hour, Erlang.
      type: float
      sample: 277.78
    peak_simultaneous_calls:
      description: Smallest number of channels with Erlang B blocking <= O(blocking).
      type: int
      sample: 301
    blocking_at_peak:
      description: Erlang B blocking probability with that many channels.
      type: float
      sample: 0.0097
    calls_per_media_server:
      description: Calls each media server carries (peak over the non-spare servers).
      type: int
      sample: 301
    rtp_ports_needed_per_media_server:
      description: calls_per_media_server x O(ports_per_call).
      type: int
      sample: 1204
    stream_kbps:
      description: Wire bandwidth of one RTP stream (one direction of one leg), kbit/s.
      type: float
      sample: 87.2
    bandwidth_mbps_per_direction:
      description: Media bandwidth of all peak calls, each direction, Mbit/s.
      type: float
      sample: 52.49
    bandwidth_mbps_per_media_server:
      description: Media bandwidth one media server carries, each direction, Mbit/s.
      type: float
      sample: 52.49
    recording_gb_per_day:
      description: Recording storage per day, GB (10^9 bytes); 0 without recording.
      type: float
      sample: 40.0
    recording_gb_retention:
      description: Recording storage for O(retention_days), GB.
      type: float
      sample: 1200.0
    busy_hour_chats:
      description: Chats in the busy hour.
      type: float
      sample: 10000.0
    lb_users_served:
      description: Users the load balancer can serve, or null without O(lb_listener_limit).
      type: int
      sample: 24
media_servers:
  description: Per media server, its configured RTP range against the need.
  returned: always
  type: list
  elements: dict
  sample:
    - name: telephony-1
      rtp_ports_configured: 40001
      rtp_ports_needed: 1204
      calls_capacity: 10000
      status: pass
checks:
  description: One record per comparison (name, status, measured, required, message, fix, subject).
  returned: always
  type: list
  elements: dict
verdict:
  description: Worst status of the checks (pass, warn or fail).
  returned: always
  type: str
  sample: pass
failures:
  description: The checks with status fail.
  returned: always
  type: list
  elements: dict
warnings_list:
  description: The checks with status warn.
  returned: always
  type: list
  elements: dict
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.voiceops.platform.plugins.module_utils._voiceops_capacity import (
    CODECS,
    MAX_CHANNELS,
    busy_hour_erlangs,
    erlang_b,
    erlang_b_channels,
    media_share,
    port_range_size,
    recording_gb_per_day,
    stream_bandwidth_kbps,
    users_served,
)
from ansible_collections.voiceops.platform.plugins.module_utils._voiceops_checks import (
    FAIL,
    FAIL_ON_CHOICES,
    PASS,
    WARN,
    failure_message,
    make_check,
    should_fail,
    summarize,
)
from ansible_collections.voiceops.platform.plugins.module_utils._voiceops_validate import (
    Number,
    check_options,
    start_module,
)

# The range of every numeric option (documented as "Range: ..." in DOCUMENTATION).
RULES = {
    'calls_per_day': Number(0, 100000000, integer=True),
    'chats_per_day': Number(0, 1000000000, integer=True),
    'busy_hour_share': Number(0.04, 1),
    'avg_call_duration_s': Number(1, 86400),
    'blocking': Number(0.0001, 0.5),
    'expected_peak_calls': Number(0, MAX_CHANNELS, integer=True),
    'codec_payload_kbps': Number(1, 2000),
    'ptime_ms': Number(10, 120, integer=True),
    'legs_per_call': Number(1, 10, integer=True),
    'ports_per_call': Number(1, 16, integer=True),
    'media_servers.rtp_port_min': Number(1, 65535, integer=True),
    'media_servers.rtp_port_max': Number(1, 65535, integer=True),
    'spare_media_servers': Number(0, 100, integer=True),
    'link_capacity_mbps': Number(0.1, 1000000),
    'recording_kbps': Number(1, 2000),
    'recorded_share': Number(0, 1),
    'retention_days': Number(0, 3650, integer=True),
    'recording_disk_free_gb': Number(0, 1000000000),
    'lb_listener_limit': Number(1, 65535, integer=True),
    'lb_signalling_listeners': Number(0, 65535, integer=True),
    'lb_ports_per_user': Number(1, 16, integer=True),
    'planned_users': Number(0, 1000000, integer=True),
}


def traffic_problem(erlangs):
    """The message for a busy hour that needs more channels than Erlang B is computed for."""
    return ('calls_per_day x busy_hour_share x avg_call_duration_s / 3600 = %.1f Erlang needs more than %d '
            'simultaneous calls; lower calls_per_day, busy_hour_share or avg_call_duration_s.' % (erlangs, MAX_CHANNELS))


def option_problems(params):
    """Problems that involve more than one option (each message names them); [] when none."""
    problems = []
    expected = params.get('expected_peak_calls') or []
    if len(expected) > 2:
        problems.append('expected_peak_calls has %d values; give one value or [min, max].' % len(expected))
    servers = params.get('media_servers') or []
    for index, server in enumerate(servers):
        if server['rtp_port_max'] < server['rtp_port_min']:
            problems.append('media_servers[%d].rtp_port_max=%d is below media_servers[%d].rtp_port_min=%d; '
                            'give the range in order.' % (index, server['rtp_port_max'], index, server['rtp_port_min']))
    if servers and params['spare_media_servers'] >= len(servers):
        problems.append('spare_media_servers=%d leaves none of the %d media_servers active; set it to at most %d.' % (
            params['spare_media_servers'], len(servers), len(servers) - 1))
    erlangs = busy_hour_erlangs(params['calls_per_day'], params['busy_hour_share'], params['avg_call_duration_s'])
    if erlangs > MAX_CHANNELS:
        problems.append(traffic_problem(erlangs))
    return problems


def compute_plan(params):
    """The capacity figures and checks for the module parameters (pure).

    Returns (plan, media_servers, checks). Raises ValueError on inconsistent input.
    """
    checks = []
    erlangs = busy_hour_erlangs(params['calls_per_day'], params['busy_hour_share'], params['avg_call_duration_s'])
    try:
        peak = erlang_b_channels(erlangs, params['blocking'])
    except ValueError:
        raise ValueError(traffic_problem(erlangs))
    servers = params.get('media_servers') or []
    per_server = media_share(peak, len(servers), params['spare_media_servers'])
    ports_needed = per_server * params['ports_per_call']
    payload = params.get('codec_payload_kbps') or CODECS[params['codec']]
    stream = stream_bandwidth_kbps(payload, params['ptime_ms'], srtp=params['srtp'])
    total_mbps = peak * params['legs_per_call'] * stream / 1000.0
    server_mbps = per_server * params['legs_per_call'] * stream / 1000.0
    rec_day = 0.0
    if params['recording']:
        rec_day = recording_gb_per_day(params['calls_per_day'], params['avg_call_duration_s'],
                                       params['recording_kbps'], params['recorded_share'])
    rec_total = rec_day * params['retention_days']
    lb_users = None
    if params.get('lb_listener_limit') is not None:
        lb_users = users_served(params['lb_listener_limit'], params['lb_signalling_listeners'],
                                params['lb_ports_per_user'])
    plan = {
        'busy_hour_calls': round(params['calls_per_day'] * params['busy_hour_share'], 2),
        'busy_hour_erlangs': round(erlangs, 2),
        'peak_simultaneous_calls': peak,
        'blocking_at_peak': round(erlang_b(peak, erlangs), 5),
        'calls_per_media_server': per_server,
        'rtp_ports_needed_per_media_server': ports_needed,
        'stream_kbps': round(stream, 2),
        'bandwidth_mbps_per_direction': round(total_mbps, 2),
        'bandwidth_mbps_per_media_server': round(server_mbps, 2),
        'recording_gb_per_day': round(rec_day, 2),
        'recording_gb_retention': round(rec_total, 2),
        'busy_hour_chats': round(params['chats_per_day'] * params['busy_hour_share'], 2),
        'lb_users_served': lb_users,
    }

    expected = params.get('expected_peak_calls') or []
    if expected:
        low, high = (0, expected[0]) if len(expected) == 1 else (min(expected), max(expected))
        ok = low <= peak <= high
        checks.append(make_check(
            'expected_peak_calls', PASS if ok else FAIL, peak, '%d-%d' % (low, high),
            '%.1f Erlang in the busy hour need %d channels at %.2f %% blocking%s' % (
                erlangs, peak, params['blocking'] * 100, '' if ok else ', outside the planned range'),
            '' if ok else 'revise calls_per_day, busy_hour_share or avg_call_duration_s, or plan for %d calls' % peak))

    media = []
    for server in servers:
        size = port_range_size(server['rtp_port_min'], server['rtp_port_max'])
        capacity = size // params['ports_per_call']
        ok = size >= ports_needed
        record = {
            'name': server['name'],
            'rtp_port_min': server['rtp_port_min'],
            'rtp_port_max': server['rtp_port_max'],
            'rtp_ports_configured': size,
            'rtp_ports_needed': ports_needed,
            'calls_capacity': capacity,
            'status': PASS if ok else FAIL,
        }
        media.append(record)
        checks.append(make_check(
            'rtp_port_range', record['status'], size, '>= %d' % ports_needed,
            'RTP range %d-%d holds %d ports = %d calls at %d ports per call; %d calls need %d' % (
                server['rtp_port_min'], server['rtp_port_max'], size, capacity, params['ports_per_call'],
                per_server, ports_needed),
            '' if ok else 'widen the RTP range of %s to at least %d ports (e.g. %d-%d)' % (
                server['name'], ports_needed, server['rtp_port_min'],
                min(65535, server['rtp_port_min'] + ports_needed - 1)),
            subject=server['name']))

    if params.get('link_capacity_mbps') is not None and servers:
        ok = server_mbps <= params['link_capacity_mbps']
        checks.append(make_check(
            'media_bandwidth', PASS if ok else FAIL, round(server_mbps, 2),
            '<= %s Mbit/s' % params['link_capacity_mbps'],
            '%d calls x %d legs x %.1f kbit/s per media server, each direction' % (
                per_server, params['legs_per_call'], stream),
            '' if ok else 'a faster link, more media servers or a lower-rate codec'))

    if params['recording'] and params.get('recording_disk_free_gb') is not None:
        ok = rec_total <= params['recording_disk_free_gb']
        checks.append(make_check(
            'recording_storage', PASS if ok else FAIL, round(rec_total, 2),
            '<= %s GB free' % params['recording_disk_free_gb'],
            '%.1f GB per day x %d days' % (rec_day, params['retention_days']),
            '' if ok else 'add disk, shorten retention_days or lower recording_kbps'))

    if lb_users is not None and params.get('planned_users') is not None:
        ok = lb_users >= params['planned_users']
        status = PASS if ok else FAIL
        checks.append(make_check(
            'lb_listener_limit', status, lb_users, '>= %d users' % params['planned_users'],
            'floor((%d listeners - %d signalling) / %d ports per user) = %d users' % (
                params['lb_listener_limit'], params['lb_signalling_listeners'], params['lb_ports_per_user'],
                lb_users),
            '' if ok else 'use a load balancer without the listener limit, a NodePort/host-network setup, '
                          'or plan for at most %d users' % lb_users))
    elif lb_users is not None:
        checks.append(make_check(
            'lb_listener_limit', WARN if lb_users == 0 else PASS, lb_users, None,
            'the load balancer can serve %d simultaneous users' % lb_users,
            'set planned_users to compare' if lb_users else 'raise lb_listener_limit'))
    return plan, media, checks


def main():
    argument_spec = dict(
        calls_per_day=dict(type='int', default=0),
        chats_per_day=dict(type='int', default=0),
        busy_hour_share=dict(type='float', default=0.1),
        avg_call_duration_s=dict(type='float', default=180),
        blocking=dict(type='float', default=0.01),
        expected_peak_calls=dict(type='list', elements='int'),
        codec=dict(type='str', choices=sorted(CODECS), default='g711'),
        codec_payload_kbps=dict(type='float'),
        ptime_ms=dict(type='int', default=20),
        srtp=dict(type='bool', default=False),
        legs_per_call=dict(type='int', default=2),
        ports_per_call=dict(type='int', default=4),
        media_servers=dict(type='list', elements='dict', default=[], options=dict(
            name=dict(type='str', required=True),
            rtp_port_min=dict(type='int', required=True),
            rtp_port_max=dict(type='int', required=True),
        )),
        spare_media_servers=dict(type='int', default=0),
        link_capacity_mbps=dict(type='float'),
        recording=dict(type='bool', default=True),
        recording_kbps=dict(type='float', default=32),
        recorded_share=dict(type='float', default=1.0),
        retention_days=dict(type='int', default=30),
        recording_disk_free_gb=dict(type='float'),
        lb_listener_limit=dict(type='int'),
        lb_signalling_listeners=dict(type='int', default=1),
        lb_ports_per_user=dict(type='int', default=2),
        planned_users=dict(type='int'),
        fail_on=dict(type='str', choices=FAIL_ON_CHOICES, default='failure'),
    )
    module = start_module(AnsibleModule, 'capacity_plan', argument_spec, RULES, supports_check_mode=True)
    check_options(module, 'capacity_plan', option_problems(module.params))
    try:
        plan, media, checks = compute_plan(module.params)
    except ValueError as exc:
        module.fail_json(msg='capacity_plan: %s' % exc)
    summary = summarize(checks)
    result = dict(changed=False, plan=plan, media_servers=media, checks=checks,
                  verdict=summary['verdict'], failures=summary['failures'], warnings_list=summary['warnings'])
    if should_fail(checks, module.params['fail_on']):
        module.fail_json(msg=failure_message(checks, 'capacity_plan: '), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
