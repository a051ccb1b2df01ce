#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: link_quality
short_description: Measure round-trip time, jitter and packet loss to servers and user networks
version_added: 0.1.0
description:
  - Sends O(count) echo requests to every target, O(interval) seconds apart, and compares the average round
    trip, the jitter and the loss with thresholds; returns the statistics and a verdict per target.
  - ICMP first (C(ping -n -c COUNT -i INTERVAL -W TIMEOUT), parsed per packet; an ICMP socket when no
    C(ping) is installed). With O(method=auto) it falls back to a UDP echo on O(udp_port) when ICMP is not
    permitted or gets no reply at all. The UDP echo needs a responder on the target - the listener of
    M(voiceops.platform.port_listener), which echoes the probe tokens on every port it opens, or any RFC 862
    echo service.
  - Jitter is the mean absolute difference between consecutive round trips (the |D(i-1,i)| of RFC 3550
    section 6.4.1, averaged); the RFC's smoothed estimator is returned as well.
  - 'Default thresholds: delay (average round trip) 20 ms - the seed requires user connections "with delays of
    no more than 15-20 ms"; jitter 30 ms and loss 1 % - common VoIP guidance (Cisco''s QoS design guidance
    for voice - average one-way jitter under 30 ms, loss no more than 1 %, one-way delay within ITU-T G.114''s
    150 ms), which the seed''s delay limit is far inside. Override them per target for user or phone networks.'
  - Every option is checked before anything is sent - numbers finite and inside their range, addresses well formed
    (nothing is resolved before), at least one target, and the whole measurement bounded to 600 s (O(count) x the
    larger of O(interval) and O(timeout) per target, 16 targets at a time); a bad value fails the module with one
    message per problem naming the option (V(targets[2].max_delay_ms)).
options:
  targets:
    description:
      - The targets, each an address string or a dict with C(address) (required), C(name) and per-target
        C(max_delay_ms), C(max_jitter_ms), C(max_loss_percent) (same ranges as the options of those names).
      - An address is an IP address or a host name (resolved by C(ping) on the host); 1 to 256 targets.
    type: list
    elements: raw
    required: true
  count:
    description:
      - Echo requests per target.
      - 'Range: an integer from 1 to 1000.'
    type: int
    default: 20
  interval:
    description:
      - Seconds between requests.
      - 'Range: a number from 0.01 to 10.'
    type: float
    default: 0.2
  timeout:
    description:
      - Seconds to wait for each reply.
      - 'Range: a number from 0.1 to 30.'
    type: float
    default: 1.0
  method:
    description: V(icmp), V(udp) (echo on O(udp_port)), or V(auto) (ICMP, UDP echo when ICMP is not permitted or silent).
    type: str
    choices: [auto, icmp, udp]
    default: auto
  udp_port:
    description:
      - UDP port of the echo responder on the targets.
      - 'Range: an integer from 1 to 65535.'
    type: int
    default: 7
  max_delay_ms:
    description:
      - Maximum average round-trip time in milliseconds.
      - 'Range: a number from 0 to 10000.'
    type: float
    default: 20
  max_jitter_ms:
    description:
      - Maximum jitter in milliseconds.
      - 'Range: a number from 0 to 10000.'
    type: float
    default: 30
  max_loss_percent:
    description:
      - Maximum packet loss in percent.
      - 'Range: a number from 0 to 100.'
    type: float
    default: 1
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - voiceops.platform.preflight
attributes:
  check_mode:
    support: full
    details: Only sends echo requests; the same in check mode, never a change.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: debian
    description: Debian 12; C(ping) from iputils-ping when installed, else an ICMP socket (root or ping_group_range).
seealso:
  - module: voiceops.platform.port_probe
  - module: voiceops.platform.port_listener
author:
  - voiceops.platform maintainers (@voiceops)
'''

EXAMPLES = r'''
- name: Server-to-server links
  voiceops.platform.link_quality:
    targets: >-
      {{ groups['voiceops'] | difference([inventory_hostname])
         | map('extract', hostvars, 'voiceops_private_address') | list }}
    count: 20
    interval: 0.2
    fail_on: never
  register: preflight_links

- name: User and phone networks from the inventory (one representative address each)
  voiceops.platform.link_quality:
    targets:
      - {name: office-kyiv, address: 198.51.100.10, max_delay_ms: 20}
      - {name: sip-phones, address: 198.51.100.20, max_delay_ms: 20, max_loss_percent: 1}
    method: auto

- name: UDP echo against the echo listener of port_listener (ICMP filtered on the path)
  voiceops.platform.link_quality:
    targets: [10.20.0.13]
    method: udp
    udp_port: 5060
'''

RETURN = r'''
links:
  description: Per target, the statistics and the verdict.
  returned: always
  type: list
  elements: dict
  sample:
    - name: db-1
      address: 172.18.0.3
      method: icmp
      sent: 20
      received: 20
      loss_percent: 0.0
      rtt_min_ms: 0.041
      rtt_avg_ms: 0.071
      rtt_max_ms: 0.132
      jitter_ms: 0.024
      jitter_rfc3550_ms: 0.017
      thresholds: {max_delay_ms: 20.0, max_jitter_ms: 30.0, max_loss_percent: 1.0}
      status: pass
      reasons: ['loss 0.0 %: within <= 1.0 %', 'delay 0.071 ms: within <= 20.0 ms', 'jitter 0.024 ms: within <= 30.0 ms']
checks:
  description: One record per target and criterion (name delay, jitter or loss; status, measured, required, message, fix, subject).
  returned: always
  type: list
  elements: dict
verdict:
  description: Worst status of the checks.
  returned: always
  type: str
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

from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.voiceops.platform.plugins.module_utils._voiceops_checks import (
    FAIL,
    FAIL_ON_CHOICES,
    PASS,
    SKIP,
    failure_message,
    make_check,
    should_fail,
    summarize,
    worst_status,
)
from ansible_collections.voiceops.platform.plugins.module_utils._voiceops_ping import (
    evaluate_link,
    parse_ping_output,
    rtt_statistics,
)
from ansible_collections.voiceops.platform.plugins.module_utils._voiceops_probe import (
    icmp_ping,
    udp_echo_rtts,
)
from ansible_collections.voiceops.platform.plugins.module_utils._voiceops_validate import (
    Number,
    address_problem,
    check_options,
    count_problem,
    fail,
    start_module,
)

THRESHOLD_KEYS = ('max_delay_ms', 'max_jitter_ms', 'max_loss_percent')

# Targets measured at the same time, the most targets, and the longest the whole measurement may take.
PARALLEL = 16
MAX_TARGETS = 256
MAX_SAMPLING_SECONDS = 600

# The range of every numeric option (documented as "Range: ..." in DOCUMENTATION); the
# per-target thresholds in targets[] follow the same ranges.
RULES = {
    'count': Number(1, 1000, integer=True),
    'interval': Number(0.01, 10),
    'timeout': Number(0.1, 30),
    'udp_port': Number(1, 65535, integer=True),
    'max_delay_ms': Number(0, 10000),
    'max_jitter_ms': Number(0, 10000),
    'max_loss_percent': Number(0, 100),
}

FIXES = {
    'loss': 'find the lossy hop (mtr) and fix or replace the link; voice needs <= the loss limit',
    'delay': 'use a closer or faster link (the seed requires 15-20 ms for users)',
    'jitter': 'prioritise voice (DSCP EF / QoS) or remove the congested hop',
}


def normalize_targets(targets, defaults):
    """Targets as dicts with name, address and thresholds.

    Raises ValueError with one sentence per bad entry, each naming it as the
    user wrote it (``targets[2].max_delay_ms``); addresses are checked for
    syntax only, nothing is resolved.
    """
    result = []
    problems = []
    for index, target in enumerate(targets or []):
        path = 'targets[%d]' % index
        if isinstance(target, str):
            target = {'address': target}
            address_path = path
        else:
            address_path = path + '.address'
        if not isinstance(target, dict):
            problems.append('%s=%r is neither an address nor a dict with an address.' % (path, target))
            continue
        unknown = set(target) - set(('address', 'name') + THRESHOLD_KEYS)
        if unknown:
            problems.append('%s has unknown keys %s; use address, name, %s.' % (
                path, ', '.join(sorted(str(k) for k in unknown)), ', '.join(THRESHOLD_KEYS)))
        problem = address_problem(address_path, target.get('address'))
        if problem:
            problems.append(problem)
            continue
        address = target['address'].strip()
        entry = {'address': address, 'name': str(target.get('name') or address)}
        for key in THRESHOLD_KEYS:
            value = target.get(key)
            if value is None:
                entry[key] = float(defaults[key])
                continue
            number, problem = RULES[key].check('%s.%s' % (path, key), value)
            if problem:
                problems.append(problem)
            else:
                entry[key] = float(number)
        result.append(entry)
    if problems:
        raise ValueError(' '.join(problems))
    return result


def sampling_seconds(params, targets):
    """Worst-case seconds of the measurement: count x max(interval, timeout) per target, PARALLEL at a time."""
    batches = -(-targets // PARALLEL)
    return batches * params['count'] * max(params['interval'], params['timeout'])


def evaluate_target(target, stats, method, note=None):
    """Result record and checks of one target (pure)."""
    criteria = evaluate_link(stats, target['max_delay_ms'], target['max_jitter_ms'], target['max_loss_percent'])
    checks = []
    reasons = []
    subject = '%s (%s)' % (target['name'], target['address'])
    for name, ok, measured, required in criteria:
        unit = '%' if name == 'loss' else 'ms'
        if not stats.get('received') and name != 'loss':
            reasons.append('%s: no reply to measure' % name)
            checks.append(make_check(name, SKIP, None, required, 'no reply to measure', '', subject=subject))
            continue
        shown = 'no reply' if measured is None else '%s %s' % (measured, unit)
        reasons.append('%s %s: %s' % (name, shown, ('within ' if ok else 'exceeds ') + required))
        message = '%s over %d %s echo requests' % (name, stats.get('sent') or 0, method or 'no')
        if note:
            message += ' (%s)' % note
        checks.append(make_check(name, PASS if ok else FAIL, measured, required, message,
                                 '' if ok else FIXES[name], subject=subject))
    record = dict(stats)
    record.update({
        'name': target['name'],
        'address': target['address'],
        'method': method,
        'thresholds': dict((k, target[k]) for k in THRESHOLD_KEYS),
        'status': worst_status([c['status'] for c in checks]),
        'reasons': reasons,
    })
    if note:
        record['note'] = note
    return record, checks


class Measurer(object):
    def __init__(self, module):
        self.module = module
        self.ping = module.get_bin_path('ping')
        self.params = module.params

    def icmp(self, address):
        """Round trips over ICMP; raises OSError when ICMP is not permitted."""
        p = self.params
        if self.ping:
            cmd = [self.ping, '-n', '-c', str(p['count']), '-i', '%.3f' % p['interval'],
                   '-W', str(max(1, int(round(p['timeout'])))), address]
            rc, out, err = self.module.run_command(cmd)
            if 'not permitted' in (err or '') or 'Permission denied' in (err or ''):
                raise OSError(err.strip())
            try:
                return parse_ping_output(out)['rtts']
            except ValueError as exc:
                raise OSError('ping rc %d: %s' % (rc, (err or '').strip() or exc))
        rtts, _ttl = icmp_ping(address, p['count'], p['interval'], p['timeout'])
        return rtts

    def udp(self, address):
        p = self.params
        return udp_echo_rtts(address, p['udp_port'], p['count'], p['interval'], p['timeout'])

    def measure(self, target):
        """(rtts, method, note) for one target."""
        method = self.params['method']
        note = None
        if method in ('auto', 'icmp'):
            try:
                rtts = self.icmp(target['address'])
                if method == 'icmp' or any(r is not None for r in rtts):
                    return rtts, 'icmp', None
                note = 'no ICMP echo reply; measured with UDP echo on port %d' % self.params['udp_port']
            except (OSError, ValueError) as exc:
                if method == 'icmp':
                    return [None] * self.params['count'], 'icmp', 'ICMP failed: %s' % exc
                note = 'ICMP not usable (%s); measured with UDP echo on port %d' % (exc, self.params['udp_port'])
        try:
            return self.udp(target['address']), 'udp', note
        except OSError as exc:
            return [None] * self.params['count'], 'udp', '%sUDP echo failed: %s (is a port_probe listener running?)' % (
                (note + '; ') if note else '', exc)


def main():
    module = start_module(
        AnsibleModule, 'link_quality',
        argument_spec=dict(
            targets=dict(type='list', elements='raw', required=True),
            count=dict(type='int', default=20),
            interval=dict(type='float', default=0.2),
            timeout=dict(type='float', default=1.0),
            method=dict(type='str', choices=['auto', 'icmp', 'udp'], default='auto'),
            udp_port=dict(type='int', default=7),
            max_delay_ms=dict(type='float', default=20),
            max_jitter_ms=dict(type='float', default=30),
            max_loss_percent=dict(type='float', default=1),
            fail_on=dict(type='str', choices=FAIL_ON_CHOICES, default='failure'),
        ),
        rules=RULES,
        supports_check_mode=True,
    )
    params = module.params
    check_options(module, 'link_quality', [count_problem('targets', params['targets'], 1, MAX_TARGETS, 'target')])
    targets = []
    try:
        targets = normalize_targets(params['targets'], params)
    except ValueError as exc:
        fail(module, 'link_quality', [str(exc)])
    seconds = sampling_seconds(params, len(targets))
    if seconds > MAX_SAMPLING_SECONDS:
        fail(module, 'link_quality', [
            'count=%d x max(interval=%s, timeout=%s) for %d target(s), %d at a time, could take %d s; at most %d s: '
            'lower count, interval or timeout, or split targets.' % (
                params['count'], params['interval'], params['timeout'], len(targets), PARALLEL, seconds,
                MAX_SAMPLING_SECONDS)])
    measurer = Measurer(module)
    with ThreadPoolExecutor(max_workers=min(PARALLEL, len(targets))) as pool:
        measured = list(pool.map(measurer.measure, targets))
    links = []
    checks = []
    for target, (rtts, method, note) in zip(targets, measured):
        record, target_checks = evaluate_target(target, rtt_statistics(rtts), method, note)
        links.append(record)
        checks.extend(target_checks)
    summary = summarize(checks)
    result = dict(changed=False, links=links, checks=checks, verdict=summary['verdict'],
                  failures=summary['failures'], warnings_list=summary['warnings'])
    if should_fail(checks, params['fail_on']):
        module.fail_json(msg=failure_message(checks, 'link_quality: '), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
