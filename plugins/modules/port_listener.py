#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: port_listener
short_description: Check that ports are free on a server and hold short-lived echo listeners on them
version_added: 0.1.0
description:
  - The destination side of the port check; M(voiceops.platform.port_probe) is the source side.
  - O(state=started) looks at every port first. Ports that something already listens on are reported as
    V(in_use) with the owning process (from C(ss -H -ltnup), falling back to C(/proc/net) and C(/proc/PID/fd)).
    Every other port gets a TCP or UDP listener. The listeners are handed to a detached background process that
    answers the echo protocol of M(voiceops.platform.port_probe) and exits after O(lifetime) seconds (a
    C(SIGALRM) a few seconds later kills it should it hang) or at O(state=stopped), so everything it opens is
    closed even when the play fails. A listener of the same O(listener_id) that still runs is stopped first.
  - The background process writes its pid file before it reports its pid. When it exits before that (or
    right after it started), the module says so in a failed C(listener) check instead of reporting ports
    as listening that nobody holds.
  - O(state=stopped) stops the listener of O(listener_id) if it still runs; a pid file left by a process that
    is gone is removed and reported as RV(stale_pidfile).
  - 'Ranges (C(10000-50000/udp)) are not held port by port: both ends plus O(sample_size) evenly spaced inner
    ports are, the same deterministic sample that M(voiceops.platform.port_probe) computes from the same range
    and O(sample_size).'
  - Every option is checked before any port is looked at (numbers finite and inside their range, O(bind_address) an
    IP address, at most 1000 ports after range sampling); a bad value fails the module with one message per problem
    naming the option (V(ports[2])).
  - An empty O(ports) list checks nothing; the result then has verdict V(skip), never V(pass).
options:
  state:
    description:
      - V(started) checks the ports and starts the listener (a running one of the same O(listener_id) is
        replaced); V(stopped) stops it.
    type: str
    choices: [started, stopped]
    default: started
  ports:
    description:
      - 'Port specifications: C(PORT[/PROTO]) or C(START-END[/PROTO]); the protocol defaults to V(tcp).
        Example: V(5060/udp), V(443), V(10000-50000/udp). Ports are 1-65535.'
      - Used by O(state=started).
    type: list
    elements: raw
    default: []
  sample_size:
    description:
      - Inner ports held per range besides its two ends. Must be the same as the O(voiceops.platform.port_probe#module:sample_size)
        of the probes.
      - 'Range: an integer from 0 to 100.'
    type: int
    default: 8
  bind_address:
    description: IP address the listeners bind to (V(::) for IPv4 and IPv6).
    type: str
    default: 0.0.0.0
  lifetime:
    description:
      - Seconds the listeners live at most; long enough for every peer to probe.
      - 'Range: an integer from 1 to 3600.'
    type: int
    default: 300
  listener_id:
    description:
      - Name of the listener, so that O(state=stopped) and a repeated O(state=started) find it; 1-64 letters,
        digits, dots, dashes or underscores.
      - Its pid file is C(/run/voiceops/port_listener-ID.json) (the temp dir when C(/run/voiceops) is not writable).
    type: str
    default: preflight
  expected_processes:
    description:
      - Process names that may already hold ports (the services this collection installs, on a re-run).
        A port held by one of them passes; held by any other process it fails.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - voiceops.platform.preflight
attributes:
  check_mode:
    support: full
    details:
      - In check mode nothing is started or stopped; the ports are looked at and C(changed) says whether a
        listener would be started or stopped.
      - 'A caller that needs the listener even in check mode (the preflight role probes with it) runs the task with
        C(check_mode: false).'
  diff_mode:
    support: none
  platform:
    support: full
    platforms: debian
    description: Debian 12; needs iproute2 (C(ss)) or C(/proc) to name the processes holding ports.
notes:
  - C(changed) is true when a listener process was started or stopped. The listener is transient - it closes by
    itself after O(lifetime) - so a caller that starts and stops it within one play leaves the host as it found it.
  - Ports below 1024 need root (C(become)) to listen on.
seealso:
  - module: voiceops.platform.port_probe
  - module: voiceops.platform.link_quality
author:
  - voiceops.platform maintainers (@voiceops)
'''

EXAMPLES = r'''
- name: Check this host's ports and hold them for the probes of the other servers
  voiceops.platform.port_listener:
    state: started
    ports: ['80/tcp', '443/tcp', '5060/tcp', '5060/udp', '10000-50000/udp']
    expected_processes: [opensips, rtpengine, nginx]
    lifetime: 300
    fail_on: never
  register: listen

- name: Close the listeners
  voiceops.platform.port_listener:
    state: stopped
'''

RETURN = r'''
ports:
  description: Per C(port/proto), what the listener found (state V(listening), V(free) in check mode, V(in_use) or V(error)).
  returned: when state is started
  type: dict
  sample:
    5060/udp: {state: listening, processes: [], message: listening until the lifetime ends}
    80/tcp: {state: in_use, processes: ['nginx (pid 812)'], message: already in use by nginx (pid 812)}
listener:
  description: The background listener (id, pid, lifetime, expires_at, pidfile); pid is null when none runs.
  returned: always
  type: dict
  sample: {id: preflight, pid: 4242, lifetime: 300, expires_at: 1767225600.0, pidfile: /run/voiceops/port_listener-preflight.json}
ranges:
  description: For every range, its size and how many (and which) ports are held.
  returned: when state is started
  type: list
  elements: dict
  sample: [{range: 10000-50000/udp, size: 40001, probed: 10, ports: [10000, 14444]}]
stopped_pid:
  description: Pid of the listener that was stopped (would be, in check mode), or null.
  returned: always
  type: int
stale_pidfile:
  description: Whether a pid file of a listener that no longer ran was found (and removed, outside check mode).
  returned: always
  type: bool
checks:
  description: One record per port (name C(port_free)), plus a failed C(listener) check when the listener died.
  returned: always
  type: list
  elements: dict
verdict:
  description: Worst status of the checks; V(skip) when O(ports) is empty or O(state=stopped).
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
import tempfile
import time

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
)
from ansible_collections.voiceops.platform.plugins.module_utils._voiceops_net import (
    expand_port_specs,
    listeners_by_port,
    parse_port_spec,
    parse_proc_net,
    parse_ss,
    port_key,
)
from ansible_collections.voiceops.platform.plugins.module_utils._voiceops_probe import (
    ERROR,
    bind_listener,
    process_start_time,
    running_listener,
    spawn_listener_daemon,
    stop_listener,
)
from ansible_collections.voiceops.platform.plugins.module_utils._voiceops_validate import (
    Number,
    address_problem,
    check_options,
    listener_id_problem,
    start_module,
)

IN_USE = 'in_use'
LISTENING = 'listening'
FREE = 'free'

# The range of every numeric option (documented as "Range: ..." in DOCUMENTATION).
RULES = {
    'sample_size': Number(0, 100, integer=True),
    'lifetime': Number(1, 3600, integer=True),
}
# The most sockets one listener holds (after range sampling), well below the usual 1024 open files.
MAX_PORTS = 1000
_PID_LABEL = re.compile(r'\(pid (\d+)\)$')


# ---------------------------------------------------------------------------
# pure helpers
# ---------------------------------------------------------------------------

def pidfile_path(state_dir_path, listener_id):
    """The pid file of a listener id (the id is reduced to safe characters)."""
    safe = re.sub(r'[^A-Za-z0-9_.-]', '_', listener_id or 'preflight')
    return os.path.join(state_dir_path, 'port_listener-%s.json' % safe)


def process_names(labels):
    """'nginx (pid 812)' -> 'nginx'."""
    return [label.split(' (pid', 1)[0] for label in labels]


def without_pid(labels, pid):
    """The process labels other than those of ``pid`` (the listener being replaced)."""
    if pid is None:
        return labels
    kept = []
    for label in labels:
        match = _PID_LABEL.search(label)
        if not (match and int(match.group(1)) == pid):
            kept.append(label)
    return kept


def listen_check(key, entry, expected_processes):
    """The check of one port on the listener side."""
    state = entry['state']
    if state in (LISTENING, FREE):
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


def port_problems(specs, sample_size):
    """(pairs, ranges, problems) of the ports option; problems name each bad entry (ports[2])."""
    problems = []
    good = []
    for index, spec in enumerate(specs or []):
        try:
            parse_port_spec(spec)
        except ValueError as exc:
            problems.append('ports[%d]=%r is not a port specification: %s.' % (index, spec, exc))
            continue
        good.append(spec)
    pairs, ranges = expand_port_specs(good, sample_size)
    if len(pairs) > MAX_PORTS:
        problems.append('ports expand to %d ports (sample_size=%d per range); at most %d: lower sample_size or '
                        'give fewer ports.' % (len(pairs), sample_size, MAX_PORTS))
    return pairs, ranges, problems


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


def listener_alive(pid, pidfile):
    """Whether the listener ``pid`` runs and its pid file names it."""
    return pid is not None and process_start_time(pid) is not None and running_listener(pidfile) == pid


# ---------------------------------------------------------------------------
# the two states
# ---------------------------------------------------------------------------

def run_started(module, pairs, ranges):
    params = module.params
    pidfile = pidfile_path(state_dir(), params['listener_id'])
    running = running_listener(pidfile)
    stale = running is None and os.path.exists(pidfile)
    listener = {'id': params['listener_id'], 'pid': None, 'lifetime': params['lifetime'],
                'expires_at': None, 'pidfile': pidfile}
    if module.check_mode:
        stopped = running
    else:
        stopped = stop_listener(pidfile)
    taken = current_listeners(module)
    ports = {}
    sockets = {}
    for port, proto in pairs:
        key = port_key(port, proto)
        labels = taken.get((port, proto))
        if labels and module.check_mode and not without_pid(labels, running):
            labels = None  # held only by the listener that a real run replaces first
        if labels is not None:
            ports[key] = {'state': IN_USE, 'processes': labels,
                          'message': 'already in use by %s' % (', '.join(labels) or 'an unknown process')}
            continue
        if module.check_mode:
            ports[key] = {'state': FREE, 'processes': [], 'message': 'free; a listener would hold it (check mode)'}
            continue
        sock, exc = bind_listener(port, proto, params['bind_address'])
        if sock is not None:
            sockets[sock] = proto
            ports[key] = {'state': LISTENING, 'processes': [], 'message': 'listening until the lifetime ends'}
        elif exc.errno == errno.EADDRINUSE:
            ports[key] = {'state': IN_USE, 'processes': [], 'message': 'already in use (bind: address in use)'}
        else:
            ports[key] = {'state': ERROR, 'processes': [], 'message': 'cannot listen: %s' % exc}
    checks = []
    started = False
    if sockets:
        info = {'id': params['listener_id'], 'ports': sorted(ports)}
        pid = spawn_listener_daemon(sockets, params['lifetime'], pidfile, info)
        if pid is not None:
            time.sleep(0.05)  # a process that fails at once has exited by now
        if listener_alive(pid, pidfile):
            started = True
            listener['pid'] = pid
            listener['expires_at'] = round(time.time() + params['lifetime'], 1)
        else:
            what = ('exited before it wrote its pid file' if pid is None
                    else '(pid %s) exited right after it started' % pid)
            for entry in ports.values():
                if entry['state'] == LISTENING:
                    entry.update(state=ERROR, message='the listener %s' % what)
            checks.append(make_check('listener', FAIL, 'not running', 'running for %d s' % params['lifetime'],
                                     'the listener process %s; no port is held' % what,
                                     'check %s is writable and the process limits (ulimit -n) of the '
                                     'remote user' % os.path.dirname(pidfile)))
    checks.extend(listen_check(key, ports[key], params['expected_processes']) for key in sorted(ports))
    if module.check_mode:
        changed = bool(stopped) or any(e['state'] == FREE for e in ports.values())
    else:
        changed = bool(stopped) or started
    return dict(changed=changed, ports=ports, listener=listener, ranges=ranges, stopped_pid=stopped,
                stale_pidfile=stale), checks


def run_stopped(module):
    pidfile = pidfile_path(state_dir(), module.params['listener_id'])
    running = running_listener(pidfile)
    stale = running is None and os.path.exists(pidfile)
    if module.check_mode:
        stopped = running
    else:
        stopped = stop_listener(pidfile)
        if stale:
            try:
                os.unlink(pidfile)
            except OSError:
                pass
    listener = {'id': module.params['listener_id'], 'pid': None, 'lifetime': None, 'expires_at': None,
                'pidfile': pidfile}
    return dict(changed=stopped is not None, listener=listener, stopped_pid=stopped, stale_pidfile=stale), []


def main():
    module = start_module(
        AnsibleModule, 'port_listener',
        argument_spec=dict(
            state=dict(type='str', choices=['started', 'stopped'], default='started'),
            ports=dict(type='list', elements='raw', default=[]),
            sample_size=dict(type='int', default=8),
            bind_address=dict(type='str', default='0.0.0.0'),
            lifetime=dict(type='int', default=300),
            listener_id=dict(type='str', default='preflight'),
            expected_processes=dict(type='list', elements='str', default=[]),
            fail_on=dict(type='str', choices=FAIL_ON_CHOICES, default='failure'),
        ),
        rules=RULES,
        supports_check_mode=True,
    )
    params = module.params
    check_options(module, 'port_listener', [
        listener_id_problem('listener_id', params['listener_id']),
        address_problem('bind_address', params['bind_address'], host_names=False),
    ])
    if params['state'] == 'stopped':
        result, checks = run_stopped(module)
    else:
        pairs, ranges, problems = port_problems(params['ports'], params['sample_size'])
        check_options(module, 'port_listener', problems)
        result, checks = run_started(module, pairs, ranges)
        if not pairs:
            checks.append(make_check('port_free', SKIP, None, 'a port to check', 'ports is empty: nothing was checked',
                                     'give the ports of this host'))
    summary = summarize(checks)
    result.update(checks=checks, verdict=summary['verdict'], failures=summary['failures'],
                  warnings_list=summary['warnings'])
    if should_fail(checks, params['fail_on']):
        module.fail_json(msg=failure_message(checks, 'port_listener: '), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
