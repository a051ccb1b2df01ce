#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: port_probe
short_description: Prove that ports of other servers are reachable, unfiltered, from this one
version_added: 0.1.0
description:
  - The source side of the port check. The destinations hold their ports with M(voiceops.platform.port_listener)
    first (or run the real services); this module, run on every source host against the destinations' addresses,
    probes every port of every target.
  - TCP is a connect - handshake = V(open), RST = V(rejected), silence until O(timeout) = V(filtered). UDP is a
    request/echo - the prober sends a token, the listener echoes it; echo = V(open), ICMP port unreachable
    (C(ECONNREFUSED) on a connected socket) = V(rejected), silence after O(udp_attempts) tries = V(filtered).
    When the destination's M(voiceops.platform.port_listener) result is passed in O(targets[].listener), ports
    it found taken are reported as V(in_use) in the matrix.
  - 'Ranges (C(10000-50000/udp)) are not probed port by port: both ends plus O(sample_size) evenly spaced inner
    ports are; listener and prober compute the same deterministic sample from the same range and
    O(sample_size), and the result says how many ports of each range were probed.'
  - Every option is checked before anything is resolved or sent - numbers finite and inside their range, target
    addresses well formed, port specifications valid, at least one target, at most 10000 probes and at most 600 s
    of probing in the worst case (every probe timing out); a bad value fails the module with one message per
    problem naming the option (V(targets[1].ports[0])).
  - A target with an empty port list is reported as a V(skip) check, never as passed.
options:
  targets:
    description:
      - Destinations to probe; at least one.
    type: list
    elements: dict
    required: true
    suboptions:
      address:
        description: Address to probe (the destination's private address), an IP address or a host name.
        type: str
        required: true
      name:
        description: Name of the destination in the matrix (inventory host name); defaults to O(targets[].address).
        type: str
      ports:
        description: Port specifications for this destination; defaults to O(ports).
        type: list
        elements: raw
      listener:
        description: The RV(voiceops.platform.port_listener#module:ports) of this destination, to mark taken ports V(in_use).
        type: dict
  ports:
    description:
      - 'Port specifications: C(PORT[/PROTO]) or C(START-END[/PROTO]); the protocol defaults to V(tcp).
        Example: V(5060/udp), V(443), V(10000-50000/udp). Ports are 1-65535.'
      - Used for targets without their own O(targets[].ports).
    type: list
    elements: raw
    default: []
  sample_size:
    description:
      - Inner ports probed per range besides its two ends. Must be the same as the
        O(voiceops.platform.port_listener#module:sample_size) of the listener.
      - 'Range: an integer from 0 to 100.'
    type: int
    default: 8
  timeout:
    description:
      - Seconds to wait for a TCP handshake or a UDP echo.
      - 'Range: a number from 0.05 to 30.'
    type: float
    default: 1.0
  udp_attempts:
    description:
      - UDP requests per port before it counts as filtered. Linux rate-limits ICMP port unreachable per peer,
        so a second attempt also catches rejections lost to the limit.
      - 'Range: an integer from 1 to 10.'
    type: int
    default: 2
  source_name:
    description: Name of this host in the matrix; defaults to its host name.
    type: str
  workers:
    description:
      - Probes run in parallel.
      - 'Range: an integer from 1 to 256.'
    type: int
    default: 32
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - voiceops.platform.preflight
attributes:
  check_mode:
    support: full
    details:
      - Probing changes nothing; the module behaves the same in check mode and never reports a change.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: debian
    description: Debian 12 (Python sockets only).
notes:
  - A UDP service that is not the voiceops listener and does not answer the token looks like a drop from the
    probe side; that is why the listener side reports ports that were already taken.
seealso:
  - module: voiceops.platform.port_listener
  - module: voiceops.platform.link_quality
author:
  - voiceops.platform maintainers (@voiceops)
'''

EXAMPLES = r'''
# In a role: a listener on every server, probes from every server, stop the listeners.
- name: Hold this host's ports for the probes
  voiceops.platform.port_listener:
    ports: "{{ preflight_ports }}"           # e.g. ['80/tcp', '443/tcp', '5060/tcp', '5060/udp', '10000-50000/udp']
    expected_processes: [opensips, rtpengine, nginx]
    lifetime: 300
    fail_on: never
  register: preflight_listen

- name: Probe every other server
  voiceops.platform.port_probe:
    source_name: "{{ inventory_hostname }}"
    targets: >-
      {{ groups['voiceops'] | difference([inventory_hostname])
         | map('extract', hostvars) | map(attribute='preflight_target') | list }}
    fail_on: never
  register: preflight_probe

- name: Probe one destination
  voiceops.platform.port_probe:
    targets:
      - name: telephony-1
        address: 10.0.0.11
        ports: ['5060/udp', '5060/tcp', '10000-50000/udp']
    sample_size: 8
    timeout: 1.0

- name: Close the listeners
  voiceops.platform.port_listener:
    state: stopped
'''

RETURN = r'''
matrix:
  description:
    - Source -> destination -> C(port/proto) -> result with C(state)
      (V(open), V(filtered), V(rejected), V(in_use) or V(error)), C(responder) (V(voiceops) when the echo
      came from the preflight listener, V(other) for another service) and C(reason).
  returned: always
  type: dict
  sample:
    db-1:
      telephony-1:
        5060/udp: {state: open, responder: voiceops, reason: echo received}
        5060/tcp: {state: filtered, responder: null, reason: no answer before the timeout}
ranges:
  description: For every range, its size and how many (and which) ports were probed.
  returned: always
  type: list
  elements: dict
  sample: [{destination: telephony-1, range: 10000-50000/udp, size: 40001, probed: 10, ports: [10000, 14444]}]
probed:
  description: Number of port probes sent.
  returned: always
  type: int
  sample: 14
checks:
  description: One record per port (name C(port_reachable)), and a V(skip) record per target without ports.
  returned: always
  type: list
  elements: dict
verdict:
  description: Worst status of the checks; V(skip) when no target had a port.
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

import socket
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.voiceops.platform.plugins.module_utils._voiceops_checks import (
    FAIL,
    FAIL_ON_CHOICES,
    PASS,
    SKIP,
    WARN,
    failure_message,
    make_check,
    should_fail,
    summarize,
)
from ansible_collections.voiceops.platform.plugins.module_utils._voiceops_net import (
    expand_port_specs,
    parse_port_spec,
    port_key,
)
from ansible_collections.voiceops.platform.plugins.module_utils._voiceops_probe import (
    OPEN,
    tcp_probe,
    udp_probe,
)
from ansible_collections.voiceops.platform.plugins.module_utils._voiceops_validate import (
    Number,
    address_problem,
    check_options,
    count_problem,
    start_module,
)

IN_USE = 'in_use'

# The range of every numeric option (documented as "Range: ..." in DOCUMENTATION).
RULES = {
    'sample_size': Number(0, 100, integer=True),
    'timeout': Number(0.05, 30),
    'udp_attempts': Number(1, 10, integer=True),
    'workers': Number(1, 256, integer=True),
}
MAX_TARGETS = 256
MAX_PROBES = 10000
# The longest the probes may take when every one of them times out.
MAX_PROBE_SECONDS = 600


# ---------------------------------------------------------------------------
# pure helpers
# ---------------------------------------------------------------------------

def merge_listener_state(result, listener_entry):
    """Overlay the destination listener's view (in_use) on a probe result."""
    merged = dict(result)
    if isinstance(listener_entry, dict) and listener_entry.get('state') == IN_USE:
        processes = listener_entry.get('processes')
        merged['reachability'] = result['state']
        merged['state'] = IN_USE
        merged['processes'] = [str(p) for p in processes] if isinstance(processes, list) else []
    return merged


def probe_check(source, destination, key, result):
    """The check of one probed port: open passes, in_use passes when reachable, the rest fails."""
    subject = '%s -> %s %s' % (source, destination, key)
    state = result['state']
    required = 'open (no filtering between the servers)'
    if state == OPEN:
        return make_check('port_reachable', PASS, state, required, result['reason'], '', subject=subject)
    if state == IN_USE:
        reach = result.get('reachability')
        owner = ', '.join(result.get('processes') or []) or 'another process'
        if reach == OPEN:
            return make_check('port_reachable', PASS, 'in_use, reachable', required,
                              'served by %s and reachable' % owner, '', subject=subject)
        return make_check('port_reachable', WARN, 'in_use, %s' % reach, required,
                          'held by %s, which did not answer the probe: a drop cannot be told from a silent '
                          'service' % owner, 'check the firewall of %s for %s' % (destination, key),
                          subject=subject)
    fix = 'allow %s from %s to %s in every firewall on the path (nftables/iptables, security group)' % (
        key, source, destination)
    return make_check('port_reachable', FAIL, state, required, result['reason'], fix, subject=subject)


def build_probe_jobs(targets, default_ports, sample_size):
    """(jobs, ranges, empty) for the targets: jobs are (name, address, port, proto) tuples, empty the
    names of targets without a port. Raises ValueError on a bad port specification."""
    jobs = []
    ranges = []
    empty = []
    for target in targets:
        name = target.get('name') or target['address']
        specs = target.get('ports')
        if specs is None:
            specs = default_ports
        pairs, target_ranges = expand_port_specs(specs, sample_size)
        if not pairs:
            empty.append(name)
        for port, proto in pairs:
            jobs.append((name, target['address'], port, proto))
        for item in target_ranges:
            entry = dict(item)
            entry['destination'] = name
            ranges.append(entry)
    return jobs, ranges, empty


def spec_problems(path, specs):
    """One message per bad port specification in specs, naming it (ports[2], targets[0].ports[1])."""
    problems = []
    for index, spec in enumerate(specs or []):
        try:
            parse_port_spec(spec)
        except ValueError as exc:
            problems.append('%s[%d]=%r is not a port specification: %s.' % (path, index, spec, exc))
    return problems


def option_problems(params):
    """Problems the types cannot catch, each naming the option; [] when none."""
    problems = [count_problem('targets', params['targets'], 1, MAX_TARGETS, 'target')]
    problems.extend(spec_problems('ports', params['ports']))
    for index, target in enumerate(params['targets'] or []):
        path = 'targets[%d]' % index
        problems.append(address_problem(path + '.address', target['address']))
        if target.get('ports') is not None:
            problems.extend(spec_problems(path + '.ports', target['ports']))
        listener = target.get('listener') or {}
        bad = sorted(str(k) for k, v in listener.items() if not isinstance(v, dict))
        if bad:
            problems.append('%s.listener has entries that are not port_listener results (%s); pass the ports '
                            'returned by port_listener.' % (path, ', '.join(bad[:5])))
    return problems


def probe_seconds(params, jobs):
    """Worst-case seconds of the probes: every probe waits timeout x max(udp_attempts, 2), workers at a time."""
    batches = -(-len(jobs) // params['workers'])
    return batches * params['timeout'] * max(params['udp_attempts'], 2)


def run_probe(module):
    params = module.params
    source = params['source_name'] or socket.gethostname()
    jobs, ranges, empty = build_probe_jobs(params['targets'], params['ports'], params['sample_size'])
    if len(jobs) > MAX_PROBES:
        check_options(module, 'port_probe', [
            'targets and ports expand to %d probes (sample_size=%d per range); at most %d: lower sample_size or '
            'split targets.' % (len(jobs), params['sample_size'], MAX_PROBES)])
    seconds = probe_seconds(params, jobs)
    if seconds > MAX_PROBE_SECONDS:
        check_options(module, 'port_probe', [
            '%d probes, workers=%d at a time, each up to timeout=%s x %d attempt(s), could take %d s; at most %d s: '
            'lower timeout or udp_attempts, or raise workers.' % (
                len(jobs), params['workers'], params['timeout'], max(params['udp_attempts'], 2), seconds,
                MAX_PROBE_SECONDS)])
    listeners = dict(((t.get('name') or t['address']), t.get('listener') or {}) for t in params['targets'])

    def probe(job):
        _name, address, port, proto = job
        if proto == 'tcp':
            return tcp_probe(address, port, params['timeout'])
        return udp_probe(address, port, params['timeout'], params['udp_attempts'])

    results = []
    if jobs:
        with ThreadPoolExecutor(max_workers=max(1, min(params['workers'], len(jobs)))) as pool:
            results = list(pool.map(probe, jobs))
    matrix = {source: {}}
    checks = []
    for (name, _address, port, proto), result in zip(jobs, results):
        key = port_key(port, proto)
        merged = merge_listener_state(result, listeners.get(name, {}).get(key))
        matrix[source].setdefault(name, {})[key] = merged
        checks.append(probe_check(source, name, key, merged))
    for name in empty:
        checks.append(make_check('port_reachable', SKIP, None, 'a port to probe', 'no ports given for %s: nothing '
                                 'was probed' % name, 'give the ports of %s' % name, subject='%s -> %s' % (source, name)))
    return dict(matrix=matrix, ranges=ranges, probed=len(jobs)), checks


def main():
    target_spec = dict(
        address=dict(type='str', required=True),
        name=dict(type='str'),
        ports=dict(type='list', elements='raw'),
        listener=dict(type='dict'),
    )
    module = start_module(
        AnsibleModule, 'port_probe',
        argument_spec=dict(
            targets=dict(type='list', elements='dict', required=True, options=target_spec),
            ports=dict(type='list', elements='raw', default=[]),
            sample_size=dict(type='int', default=8),
            timeout=dict(type='float', default=1.0),
            udp_attempts=dict(type='int', default=2),
            source_name=dict(type='str'),
            workers=dict(type='int', default=32),
            fail_on=dict(type='str', choices=FAIL_ON_CHOICES, default='failure'),
        ),
        rules=RULES,
        supports_check_mode=True,
    )
    check_options(module, 'port_probe', option_problems(module.params))
    result, checks = run_probe(module)
    summary = summarize(checks)
    result.update(changed=False, checks=checks, verdict=summary['verdict'], failures=summary['failures'],
                  warnings_list=summary['warnings'])
    if should_fail(checks, module.params['fail_on']):
        module.fail_json(msg=failure_message(checks, 'port_probe: '), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
