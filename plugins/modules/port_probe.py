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
short_description: Prove that ports are free on a server and reachable, unfiltered, from its peers
version_added: 0.1.0
description:
  - One module, three modes, meant to be run in this order by a role across the inventory.
  - O(mode=listen) on every destination host. Ports that something already listens on are reported as
    V(in_use) with the owning process (from C(ss -H -ltnup), falling back to C(/proc/net) and C(/proc/PID/fd));
    for every other port it opens a short-lived TCP or UDP listener. The listeners are handed to a detached
    background process that answers the echo protocol and exits after O(lifetime) seconds (a C(SIGALRM)
    a few seconds later kills it should it hang), or at O(mode=stop), so everything it opens is closed even
    when the play fails.
  - O(mode=probe) on every source host, against the destinations' addresses. TCP is a connect -
    handshake = V(open), RST = V(rejected), silence until O(timeout) = V(filtered). UDP is a request/echo -
    the prober sends a token, the listener echoes it; echo = V(open), ICMP port unreachable
    (C(ECONNREFUSED) on a connected socket) = V(rejected), silence after O(udp_attempts) tries = V(filtered).
    When the destination's O(mode=listen) result is passed in O(targets[].listener), ports it found taken
    are reported as V(in_use) in the matrix.
  - O(mode=stop) on the destinations stops the listener early.
  - 'Ranges (C(10000-50000/udp)) are not probed port by port: both ends plus O(sample_size) evenly spaced inner
    ports are; listener and prober compute the same deterministic sample from the same range and
    O(sample_size), and the result says how many ports of each range were probed.'
options:
  mode:
    description: V(listen) on the destination, V(probe) from a source, V(stop) to close the listener early.
    type: str
    choices: [listen, probe, stop]
    required: true
  ports:
    description:
      - 'Port specifications: C(PORT[/PROTO]) or C(START-END[/PROTO]); the protocol defaults to V(tcp).
        Example: V(5060/udp), V(443), V(10000-50000/udp).'
      - Used by O(mode=listen), and by O(mode=probe) for targets without their own O(targets[].ports).
    type: list
    elements: raw
    default: []
  sample_size:
    description: Inner ports probed per range besides its two ends. Must be the same for listen and probe.
    type: int
    default: 8
  bind_address:
    description: Address the listeners bind to (V(::) for IPv4 and IPv6).
    type: str
    default: 0.0.0.0
  lifetime:
    description: Seconds the listeners live (O(mode=listen)); long enough for every peer to probe.
    type: int
    default: 300
  listener_id:
    description:
      - Name of the listener, so that O(mode=stop) and a repeated O(mode=listen) find it.
      - Its pid file is C(/run/voiceops/port_probe-ID.json) (the temp dir when C(/run/voiceops) is not writable).
    type: str
    default: preflight
  expected_processes:
    description:
      - Process names that may already hold ports (the services this collection installs, on a re-run).
        A port held by one of them passes; held by any other process it fails.
    type: list
    elements: str
    default: []
  targets:
    description: Destinations to probe (O(mode=probe)).
    type: list
    elements: dict
    default: []
    suboptions:
      address:
        description: Address to probe (the destination's private address).
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
        description: The RV(ports) returned by O(mode=listen) on this destination, to mark taken ports V(in_use).
        type: dict
  timeout:
    description: Seconds to wait for a TCP handshake or a UDP echo.
    type: float
    default: 1.0
  udp_attempts:
    description:
      - UDP requests per port before it counts as filtered. Linux rate-limits ICMP port unreachable per peer,
        so a second attempt also catches rejections lost to the limit.
    type: int
    default: 2
  source_name:
    description: Name of this host in the matrix (O(mode=probe)); defaults to its host name.
    type: str
  workers:
    description: Probes run in parallel.
    type: int
    default: 32
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - voiceops.platform.preflight
attributes:
  check_mode:
    support: full
    details:
      - Listening and probing change no configuration; the module behaves the same in check mode and never
        reports a change. Its listeners are transient and close by themselves.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: debian
    description: Debian 12; needs iproute2 (C(ss)) or C(/proc) to name the processes holding ports.
notes:
  - A UDP service that is not the voiceops listener and does not answer the token looks like a drop from the
    probe side; that is why the listener side reports ports that were already taken.
  - Ports below 1024 need root (C(become)) to listen on.
seealso:
  - module: voiceops.platform.link_quality
author:
  - voiceops.platform maintainers (@voiceops)
'''

EXAMPLES = r'''
# In a role: listen on every server, probe from every server, stop, aggregate.
- name: Open short-lived listeners for this host's ports
  voiceops.platform.port_probe:
    mode: listen
    ports: "{{ preflight_ports }}"           # e.g. ['80/tcp', '443/tcp', '5060/tcp', '5060/udp', '10000-50000/udp']
    expected_processes: [opensips, rtpengine, nginx]
    lifetime: 300
    fail_on: never
  register: preflight_listen

- name: Describe every other server as a destination
  ansible.builtin.set_fact:
    preflight_targets: >-
      {{ preflight_targets | default([]) + [{
           'name': item,
           'address': hostvars[item]['voiceops_private_address'],
           'ports': hostvars[item]['preflight_ports'],
           'listener': hostvars[item]['preflight_listen']['ports']}] }}
  loop: "{{ groups['voiceops'] | difference([inventory_hostname]) }}"

- name: Probe every other server
  voiceops.platform.port_probe:
    mode: probe
    source_name: "{{ inventory_hostname }}"
    targets: "{{ preflight_targets }}"
    fail_on: never
  register: preflight_probe

- name: Probe one destination
  voiceops.platform.port_probe:
    mode: probe
    targets:
      - name: telephony-1
        address: 10.0.0.11
        ports: ['5060/udp', '5060/tcp', '10000-50000/udp']
    sample_size: 8
    timeout: 1.0

- name: Close the listeners
  voiceops.platform.port_probe:
    mode: stop
'''

RETURN = r'''
ports:
  description: O(mode=listen) - per C(port/proto), what the listener found.
  returned: when mode is listen
  type: dict
  sample:
    5060/udp: {state: listening, processes: [], message: listening until the lifetime ends}
    80/tcp: {state: in_use, processes: ['nginx (pid 812)'], message: already in use by nginx (pid 812)}
listener:
  description: O(mode=listen) - the background listener (id, pid, lifetime, expires_at, pidfile).
  returned: when mode is listen
  type: dict
  sample: {id: preflight, pid: 4242, lifetime: 300, expires_at: 1767225600.0, pidfile: /run/voiceops/port_probe-preflight.json}
matrix:
  description:
    - O(mode=probe) - source -> destination -> C(port/proto) -> result with C(state)
      (V(open), V(filtered), V(rejected), V(in_use) or V(error)), C(responder) (V(voiceops) when the echo
      came from the preflight listener, V(other) for another service) and C(reason).
  returned: when mode is probe
  type: dict
  sample:
    db-1:
      telephony-1:
        5060/udp: {state: open, responder: voiceops, reason: echo received}
        5060/tcp: {state: filtered, responder: null, reason: no answer before the timeout}
ranges:
  description: For every range, its size and how many (and which) ports were probed.
  returned: when mode is listen or probe
  type: list
  elements: dict
  sample: [{destination: telephony-1, range: 10000-50000/udp, size: 40001, probed: 10, ports: [10000, 14444]}]
probed:
  description: O(mode=probe) - number of port probes sent.
  returned: when mode is probe
  type: int
  sample: 14
stopped_pid:
  description: O(mode=stop) and O(mode=listen) - pid of the listener that was stopped, or null.
  returned: when mode is listen or stop
  type: int
checks:
  description: One record per port (name, status, measured, required, message, fix, subject).
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

import errno
import os
import re
import socket
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule

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
from ansible_collections.voiceops.platform.plugins.module_utils._voiceops_net import (
    expand_port_specs,
    listeners_by_port,
    parse_proc_net,
    parse_ss,
    port_key,
)
from ansible_collections.voiceops.platform.plugins.module_utils._voiceops_probe import (
    ERROR,
    OPEN,
    bind_listener,
    spawn_listener_daemon,
    stop_listener,
    tcp_probe,
    udp_probe,
)

IN_USE = 'in_use'
LISTENING = 'listening'


# ---------------------------------------------------------------------------
# pure helpers
# ---------------------------------------------------------------------------

def pidfile_path(state_dir, listener_id):
    """The pid file of a listener id (the id is reduced to safe characters)."""
    safe = re.sub(r'[^A-Za-z0-9_.-]', '_', listener_id or 'preflight')
    return os.path.join(state_dir, 'port_probe-%s.json' % safe)


def process_names(labels):
    """'nginx (pid 812)' -> 'nginx'."""
    return [label.split(' (pid', 1)[0] for label in labels]


def listen_check(key, entry, expected_processes):
    """The check of one port on the listener side."""
    state = entry['state']
    if state == LISTENING:
        return make_check('port_free', PASS, state, 'free or held by an expected service',
                          entry['message'], '', subject=key)
    if state == IN_USE:
        names = process_names(entry['processes'])
        if names and all(n in expected_processes for n in names):
            return make_check('port_free', PASS, state, 'free or held by an expected service',
                              'held by expected %s' % ', '.join(entry['processes']), '', subject=key)
        owner = ', '.join(entry['processes']) or 'an unknown process'
        return make_check('port_free', FAIL, 'in use by %s' % owner, 'free or held by an expected service',
                          entry['message'], 'stop or reconfigure %s, or move the service to another port' % owner,
                          subject=key)
    return make_check('port_free', FAIL, state, 'a listener can bind', entry['message'],
                      'run the module as root (become) for ports below 1024' if 'permission' in entry['message'].lower()
                      else 'check the bind address', subject=key)


def merge_listener_state(result, listener_entry):
    """Overlay the destination listener's view (in_use) on a probe result."""
    merged = dict(result)
    if listener_entry and listener_entry.get('state') == IN_USE:
        merged['reachability'] = result['state']
        merged['state'] = IN_USE
        merged['processes'] = listener_entry.get('processes') or []
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
    """(jobs, ranges) for the targets: jobs are (name, address, port, proto) tuples."""
    jobs = []
    ranges = []
    for target in targets:
        name = target.get('name') or target['address']
        specs = target.get('ports')
        if specs is None:
            specs = default_ports
        pairs, target_ranges = expand_port_specs(specs, sample_size)
        for port, proto in pairs:
            jobs.append((name, target['address'], port, proto))
        for item in target_ranges:
            entry = dict(item)
            entry['destination'] = name
            ranges.append(entry)
    return jobs, ranges


# ---------------------------------------------------------------------------
# host access
# ---------------------------------------------------------------------------

def _read(path):
    try:
        with open(path) as handle:
            return handle.read()
    except (IOError, OSError):
        return ''


def socket_owners():
    """{socket inode: ['name (pid N)']} from /proc/PID/fd."""
    owners = {}
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        fd_dir = '/proc/%s/fd' % pid
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        name = _read('/proc/%s/comm' % pid).strip() or '?'
        for fd in fds:
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            if target.startswith('socket:['):
                label = '%s (pid %s)' % (name, pid)
                labels = owners.setdefault(int(target[8:-1]), [])
                if label not in labels:
                    labels.append(label)
    return owners


def current_listeners(module):
    """{(port, proto): [process labels]} of sockets already listening/bound on this host."""
    index = {}
    ss = module.get_bin_path('ss')
    if ss:
        rc, out, _err = module.run_command([ss, '-H', '-l', '-t', '-u', '-n', '-p'])
        if rc == 0:
            index = listeners_by_port(parse_ss(out))
    proc = []
    for proto in ('tcp', 'udp'):
        for suffix in ('', '6'):
            proc.extend(parse_proc_net(_read('/proc/net/%s%s' % (proto, suffix)), proto))
    owners = None
    for item in proc:
        key = (item['port'], item['proto'])
        if index.get(key):
            continue
        if owners is None:
            owners = socket_owners()
        labels = index.setdefault(key, [])
        for label in owners.get(item['inode'], []):
            if label not in labels:
                labels.append(label)
    return index


def state_dir():
    path = '/run/voiceops'
    try:
        os.makedirs(path, mode=0o755, exist_ok=True)
        if os.access(path, os.W_OK):
            return path
    except OSError:
        pass
    return tempfile.gettempdir()


def run_listen(module):
    params = module.params
    pidfile = pidfile_path(state_dir(), params['listener_id'])
    stopped = stop_listener(pidfile)
    try:
        pairs, ranges = expand_port_specs(params['ports'], params['sample_size'])
    except ValueError as exc:
        module.fail_json(msg='port_probe: %s' % exc)
    taken = current_listeners(module)
    ports = {}
    sockets = {}
    for port, proto in pairs:
        key = port_key(port, proto)
        if taken.get((port, proto)) is not None:
            labels = taken[(port, proto)]
            ports[key] = {'state': IN_USE, 'processes': labels,
                          'message': 'already in use by %s' % (', '.join(labels) or 'an unknown process')}
            continue
        sock, exc = bind_listener(port, proto, params['bind_address'])
        if sock is not None:
            sockets[sock] = proto
            ports[key] = {'state': LISTENING, 'processes': [], 'message': 'listening until the lifetime ends'}
        elif exc.errno == errno.EADDRINUSE:
            ports[key] = {'state': IN_USE, 'processes': [], 'message': 'already in use (bind: address in use)'}
        else:
            ports[key] = {'state': ERROR, 'processes': [], 'message': 'cannot listen: %s' % exc}
    listener = {'id': params['listener_id'], 'pid': None, 'lifetime': params['lifetime'],
                'expires_at': None, 'pidfile': pidfile}
    if sockets:
        info = {'id': params['listener_id'], 'ports': sorted(ports)}
        listener['pid'] = spawn_listener_daemon(sockets, params['lifetime'], pidfile, info)
        listener['expires_at'] = round(time.time() + params['lifetime'], 1)
    checks = [listen_check(key, ports[key], params['expected_processes']) for key in sorted(ports)]
    return dict(ports=ports, listener=listener, ranges=ranges, stopped_pid=stopped), checks


def run_probe(module):
    params = module.params
    source = params['source_name'] or socket.gethostname()
    try:
        jobs, ranges = build_probe_jobs(params['targets'], params['ports'], params['sample_size'])
    except ValueError as exc:
        module.fail_json(msg='port_probe: %s' % exc)
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
    return dict(matrix=matrix, ranges=ranges, probed=len(jobs)), checks


def main():
    target_spec = dict(
        address=dict(type='str', required=True),
        name=dict(type='str'),
        ports=dict(type='list', elements='raw'),
        listener=dict(type='dict'),
    )
    module = AnsibleModule(
        argument_spec=dict(
            mode=dict(type='str', choices=['listen', 'probe', 'stop'], required=True),
            ports=dict(type='list', elements='raw', default=[]),
            sample_size=dict(type='int', default=8),
            bind_address=dict(type='str', default='0.0.0.0'),
            lifetime=dict(type='int', default=300),
            listener_id=dict(type='str', default='preflight'),
            expected_processes=dict(type='list', elements='str', default=[]),
            targets=dict(type='list', elements='dict', default=[], options=target_spec),
            timeout=dict(type='float', default=1.0),
            udp_attempts=dict(type='int', default=2),
            source_name=dict(type='str'),
            workers=dict(type='int', default=32),
            fail_on=dict(type='str', choices=FAIL_ON_CHOICES, default='failure'),
        ),
        supports_check_mode=True,
    )
    if module.params['mode'] == 'probe' and not module.params['targets']:
        module.fail_json(msg='port_probe: mode=probe needs at least one entry in targets')
    if module.params['sample_size'] < 0 or module.params['lifetime'] < 1 or module.params['timeout'] <= 0:
        module.fail_json(msg='port_probe: sample_size must be >= 0, lifetime >= 1 and timeout > 0')
    mode = module.params['mode']
    if mode == 'stop':
        pid = stop_listener(pidfile_path(state_dir(), module.params['listener_id']))
        module.exit_json(changed=False, stopped_pid=pid, checks=[], verdict=PASS, failures=[], warnings_list=[])
    if mode == 'listen':
        result, checks = run_listen(module)
    else:
        result, checks = run_probe(module)
    summary = summarize(checks)
    result.update(changed=False, checks=checks, verdict=summary['verdict'], failures=summary['failures'],
                  warnings_list=summary['warnings'])
    if should_fail(checks, module.params['fail_on']):
        module.fail_json(msg=failure_message(checks, 'port_probe %s: ' % mode), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
