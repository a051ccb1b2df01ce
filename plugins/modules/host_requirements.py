#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: host_requirements
short_description: Check a server against the deployment requirements before anything is installed
version_added: 0.1.0
description:
  - Measures the host and compares it with per-role minima; returns the facts and one check per requirement.
  - Operating system and architecture from C(/etc/os-release) and the kernel (Debian 12 on amd64 by default).
  - CPU cores usable by this process (C(sched_getaffinity)), memory (C(MemTotal) of C(/proc/meminfo)) and free
    disk for each given path (the nearest existing parent is measured when the path does not exist yet).
  - CPU steal time sampled from C(/proc/stat) over O(steal_sample_seconds); above O(max_steal_percent) it warns
    of a shared-CPU "noisy neighbour" (the seed advises dedicated or compute-optimised vCPUs for media).
  - Virtualisation type from C(systemd-detect-virt), optionally restricted to O(allowed_virtualization).
  - Clock synchronisation from C(timedatectl show -p NTPSynchronized), falling back to C(chronyc tracking) and
    C(ntpstat). In a container the clock is the host kernel's, so an unsynchronised answer there is a warning
    naming the host to fix.
  - Kernel parameters from C(/proc/sys) against O(sysctl).
  - Every option is checked before anything is measured (numbers finite and inside their range, sampling at most
    60 s); a bad value fails the module with one message per problem naming the option.
options:
  distribution:
    description: Expected distribution, compared case-insensitively with C(ID) and C(NAME) of C(/etc/os-release).
    type: str
    default: Debian
  distribution_major_version:
    description: Expected major version (C(VERSION_ID) up to the first dot).
    type: str
    default: '12'
  architectures:
    description: Accepted Debian architecture names (C(x86_64) is reported as V(amd64)); at least one.
    type: list
    elements: str
    default: [amd64]
  min_cores:
    description:
      - Minimum CPU cores.
      - 'Range: an integer from 1 to 4096.'
    type: int
    default: 1
  min_memory_mb:
    description:
      - Minimum memory in MiB.
      - 'Range: an integer from 0 to 16777216.'
    type: int
    default: 1024
  disks:
    description: Paths and the free space each needs.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Path whose file system is measured (for example C(/var/lib/postgresql)).
        type: path
        required: true
      min_free_gb:
        description:
          - Minimum free space in GiB.
          - 'Range: a number from 0 to 1000000.'
        type: float
        required: true
  steal_sample_seconds:
    description:
      - Seconds between the two C(/proc/stat) samples; V(0) skips the steal measurement.
      - 'Range: a number from 0 to 60.'
    type: float
    default: 3
  max_steal_percent:
    description:
      - CPU steal percentage above which a warning is raised.
      - 'Range: a number from 0 to 100.'
    type: float
    default: 5.0
  allowed_virtualization:
    description:
      - C(systemd-detect-virt) answers that are accepted (V(none) is bare metal), for example V([none, kvm, vmware,
        xen, microsoft]). Empty accepts any and only reports it.
    type: list
    elements: str
    default: []
  time_sync:
    description: V(required) fails an unsynchronised clock, V(warn) warns, V(ignore) only reports.
    type: str
    choices: [required, warn, ignore]
    default: required
  sysctl:
    description:
      - Kernel parameters and their expected values. A plain value is compared after collapsing whitespace;
        a value starting with C(>=), C(<=), C(>), C(<), C(==) or C(!=) is a numeric comparison.
      - Names are dotted kernel parameter names; C(>=), C(<=), C(>) and C(<) need a finite number.
    type: dict
    default: {}
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - voiceops.platform.preflight
attributes:
  check_mode:
    support: full
    details: Only reads C(/proc), C(/etc/os-release) and status commands; the same in check mode, never a change.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: debian
    description: Debian 12 (reads C(/proc) and systemd tools; other Linux systems report what they can).
notes:
  - In a container, C(MemTotal) and the core count are the host's unless a cgroup limit applies, and
    the steal time is the host kernel's.
seealso:
  - module: voiceops.platform.capacity_plan
author:
  - voiceops.platform maintainers (@voiceops)
'''

EXAMPLES = r'''
- name: Media server minima from the seed (dedicated vCPU, Debian 12 amd64)
  voiceops.platform.host_requirements:
    min_cores: 4
    min_memory_mb: 8192
    disks:
      - {path: /, min_free_gb: 20}
      - {path: /var/lib/webitel/recordings, min_free_gb: 1200}
    steal_sample_seconds: 3
    max_steal_percent: 5
    allowed_virtualization: [none, kvm, vmware, xen, microsoft, amazon, google, oracle]
    sysctl:
      net.core.rmem_max: ">=4194304"
      net.ipv4.ip_local_port_range: "1024 65535"
      net.ipv4.ip_forward: "0"
    fail_on: never
  register: preflight_host
'''

RETURN = r'''
facts:
  description: What was measured.
  returned: always
  type: dict
  contains:
    distribution: {description: ID of /etc/os-release., type: str, sample: debian}
    version: {description: VERSION_ID., type: str, sample: '12'}
    codename: {description: VERSION_CODENAME., type: str, sample: bookworm}
    architecture: {description: Debian architecture name., type: str, sample: amd64}
    cores: {description: Usable CPU cores., type: int, sample: 4}
    memory_mb: {description: MemTotal in MiB., type: int, sample: 7936}
    disks:
      description: Per path, the measured path, free GiB and minimum.
      type: list
      elements: dict
      sample: [{path: /var/lib/postgresql, measured_path: /var/lib, free_gb: 41.2, min_free_gb: 20}]
    steal_percent: {description: CPU steal over the sample (null when skipped)., type: float, sample: 0.4}
    virtualization: {description: systemd-detect-virt answer., type: str, sample: kvm}
    time_synchronized: {description: Clock synchronised (null when unknown)., type: bool, sample: true}
    time_sync_source: {description: Which tool answered., type: str, sample: timedatectl}
    sysctl: {description: Actual values of the requested kernel parameters (null when missing)., type: dict}
checks:
  description: One record per requirement (name, status, measured, required, message, fix).
  returned: always
  type: list
  elements: dict
verdict:
  description: Worst status of the checks.
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

import os
import platform
import re
import time

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
from ansible_collections.voiceops.platform.plugins.module_utils._voiceops_host import (
    compare_sysctl,
    free_disk_gb,
    is_container,
    normalize_arch,
    parse_chronyc_tracking,
    parse_meminfo,
    parse_os_release,
    parse_proc_stat_cpu,
    parse_timedatectl,
    steal_percent,
    sysctl_path,
)
from ansible_collections.voiceops.platform.plugins.module_utils._voiceops_validate import (
    Number,
    check_options,
    count_problem,
    start_module,
    to_number,
)

# The range of every numeric option (documented as "Range: ..." in DOCUMENTATION).
RULES = {
    'min_cores': Number(1, 4096, integer=True),
    'min_memory_mb': Number(0, 16777216, integer=True),
    'disks.min_free_gb': Number(0, 1000000),
    'steal_sample_seconds': Number(0, 60),
    'max_steal_percent': Number(0, 100),
}

_COMPARISON = re.compile(r'^\s*(>=|<=|==|!=|>|<)\s*(.*?)\s*$')


def existing_parent(path, exists=os.path.exists):
    """The path itself or its nearest existing parent."""
    path = os.path.abspath(path)
    while not exists(path) and path != os.path.dirname(path):
        path = os.path.dirname(path)
    return path


def evaluate(facts, params):
    """The checks for measured facts against the requirements (pure)."""
    checks = []
    dist_ok = (params['distribution'].lower() in (facts.get('distribution') or '', (facts.get('name') or '').lower())
               and (facts.get('version') or '').split('.')[0] == params['distribution_major_version'])
    checks.append(make_check(
        'os', PASS if dist_ok else FAIL, '%s %s' % (facts.get('name') or facts.get('distribution'), facts.get('version')),
        '%s %s' % (params['distribution'], params['distribution_major_version']),
        'operating system from /etc/os-release',
        '' if dist_ok else 'install %s %s (basic server installation, seed section 4)' % (
            params['distribution'], params['distribution_major_version'])))
    archs = [normalize_arch(a) for a in params['architectures']]
    arch_ok = facts.get('architecture') in archs
    checks.append(make_check('architecture', PASS if arch_ok else FAIL, facts.get('architecture'),
                             ' or '.join(archs), 'kernel machine type',
                             '' if arch_ok else 'use a 64-bit %s server' % ' or '.join(archs)))
    cores_ok = (facts.get('cores') or 0) >= params['min_cores']
    checks.append(make_check('cpu_cores', PASS if cores_ok else FAIL, facts.get('cores'), '>= %d' % params['min_cores'],
                             'CPU cores usable by processes', '' if cores_ok else 'give the server at least %d vCPUs'
                             % params['min_cores']))
    mem_ok = (facts.get('memory_mb') or 0) >= params['min_memory_mb']
    checks.append(make_check('memory', PASS if mem_ok else FAIL, facts.get('memory_mb'),
                             '>= %d MiB' % params['min_memory_mb'], 'MemTotal',
                             '' if mem_ok else 'give the server at least %d MiB of memory' % params['min_memory_mb']))
    for disk in facts.get('disks') or []:
        if disk.get('free_gb') is None:
            checks.append(make_check('disk_free', FAIL, None, '>= %s GiB' % disk['min_free_gb'],
                                     'cannot measure %s: %s' % (disk['path'], disk.get('error')), 'check the path',
                                     subject=disk['path']))
            continue
        ok = disk['free_gb'] >= disk['min_free_gb']
        checks.append(make_check('disk_free', PASS if ok else FAIL, disk['free_gb'], '>= %s GiB' % disk['min_free_gb'],
                                 'free space on the file system of %s' % disk['measured_path'],
                                 '' if ok else 'free or add at least %.1f GiB for %s' % (
                                     disk['min_free_gb'] - disk['free_gb'], disk['path']),
                                 subject=disk['path']))
    steal = facts.get('steal_percent')
    if steal is None:
        checks.append(make_check('cpu_steal', SKIP, None, '<= %s %%' % params['max_steal_percent'],
                                 facts.get('steal_error') or 'not measured', ''))
    else:
        ok = steal <= params['max_steal_percent']
        checks.append(make_check(
            'cpu_steal', PASS if ok else WARN, steal, '<= %s %%' % params['max_steal_percent'],
            'CPU time stolen by the hypervisor over %s s' % params['steal_sample_seconds'] if ok else
            'shared CPU ("noisy neighbour"): %.1f %% of CPU time stolen by the hypervisor' % steal,
            '' if ok else 'move media servers to dedicated-vCPU or compute-optimised instances (seed section 2)'))
    virt = facts.get('virtualization')
    allowed = params['allowed_virtualization']
    if allowed:
        ok = virt in allowed
        checks.append(make_check('virtualization', PASS if ok else FAIL, virt, ' or '.join(allowed),
                                 'systemd-detect-virt', '' if ok else 'run on bare metal or an enterprise hypervisor '
                                 '(VMware, KVM, Xen, Proxmox VE) or a listed cloud'))
    else:
        checks.append(make_check('virtualization', PASS, virt, 'any', 'systemd-detect-virt (reported only)', ''))
    synced = facts.get('time_synchronized')
    mode = params['time_sync']
    if mode == 'ignore' or synced:
        checks.append(make_check('time_sync', PASS if synced else SKIP, synced, 'synchronised' if mode != 'ignore'
                                 else 'reported only', 'according to %s' % (facts.get('time_sync_source') or 'nothing'),
                                 ''))
    else:
        status = FAIL if mode == 'required' else WARN
        fix = 'enable NTP: apt install systemd-timesyncd (or chrony) and timedatectl set-ntp true'
        message = 'clock not synchronised' if synced is False else 'synchronisation state unknown (no timedatectl, chronyc or ntpstat answer)'
        if is_container(virt):
            status = WARN
            message += ' - in a %s container the clock is the host kernel\'s' % virt
            fix = 'synchronise the container host\'s clock'
        checks.append(make_check('time_sync', status, synced, 'synchronised', message, fix))
    for name in sorted(params['sysctl'] or {}):
        expected = params['sysctl'][name]
        actual = (facts.get('sysctl') or {}).get(name)
        ok, required = compare_sysctl(actual, expected)
        checks.append(make_check('sysctl', PASS if ok else FAIL, actual, required,
                                 '%s is %s' % (name, 'missing' if actual is None else repr(actual)),
                                 '' if ok else 'set %s = %s in /etc/sysctl.d/ and run sysctl --system' % (
                                     name, str(expected).lstrip('<>=!')), subject=name))
    return checks


def _read(path):
    with open(path) as handle:
        return handle.read()


def gather(module, params):
    """Measure the host."""
    facts = {}
    try:
        release = parse_os_release(_read('/etc/os-release'))
    except (IOError, OSError):
        release = {}
    facts['distribution'] = release.get('ID', '').lower()
    facts['name'] = release.get('NAME')
    facts['version'] = release.get('VERSION_ID', '')
    facts['codename'] = release.get('VERSION_CODENAME')
    facts['architecture'] = normalize_arch(platform.machine())
    try:
        facts['cores'] = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        facts['cores'] = os.cpu_count()
    try:
        facts['memory_mb'] = parse_meminfo(_read('/proc/meminfo')).get('MemTotal', 0) // 1024
    except (IOError, OSError):
        facts['memory_mb'] = None
    disks = []
    for disk in params['disks']:
        entry = {'path': disk['path'], 'min_free_gb': disk['min_free_gb']}
        measured = existing_parent(disk['path'])
        entry['measured_path'] = measured
        try:
            entry['free_gb'] = free_disk_gb(os.statvfs(measured))
        except OSError as exc:
            entry['free_gb'] = None
            entry['error'] = str(exc)
        disks.append(entry)
    facts['disks'] = disks
    facts['steal_percent'] = None
    if params['steal_sample_seconds'] > 0:
        try:
            before = parse_proc_stat_cpu(_read('/proc/stat'))
            time.sleep(params['steal_sample_seconds'])
            after = parse_proc_stat_cpu(_read('/proc/stat'))
            facts['steal_percent'] = steal_percent(before, after)
        except (IOError, OSError, ValueError) as exc:
            facts['steal_error'] = str(exc)
    virt_bin = module.get_bin_path('systemd-detect-virt')
    facts['virtualization'] = None
    if virt_bin:
        _rc, out, _err = module.run_command([virt_bin])
        facts['virtualization'] = out.strip() or None
    facts['time_synchronized'], facts['time_sync_source'] = time_sync_state(module)
    sysctl = {}
    for name in params['sysctl'] or {}:
        try:
            sysctl[name] = ' '.join(_read(sysctl_path(name)).split())
        except (IOError, OSError, ValueError):
            sysctl[name] = None
    facts['sysctl'] = sysctl
    return facts


def time_sync_state(module):
    """(synchronised, source): timedatectl, then chronyc, then ntpstat."""
    timedatectl = module.get_bin_path('timedatectl')
    if timedatectl:
        rc, out, _err = module.run_command([timedatectl, 'show', '-p', 'NTPSynchronized', '--value'])
        state = parse_timedatectl(out) if rc == 0 else None
        if state is not None:
            if state:
                return True, 'timedatectl'
            if not module.get_bin_path('chronyc'):
                return False, 'timedatectl'
    chronyc = module.get_bin_path('chronyc')
    if chronyc:
        rc, out, _err = module.run_command([chronyc, 'tracking'])
        state = parse_chronyc_tracking(out) if rc == 0 else None
        if state is not None:
            return state, 'chronyc'
    ntpstat = module.get_bin_path('ntpstat')
    if ntpstat:
        rc, _out, _err = module.run_command([ntpstat])
        if rc in (0, 1):
            return rc == 0, 'ntpstat'
    return None, None


def option_problems(params):
    """Problems the types cannot catch, each naming the option; [] when none."""
    problems = [count_problem('architectures', params['architectures'], what='Debian architecture (amd64)')]
    for index, disk in enumerate(params['disks']):
        if not (disk['path'] or '').strip():
            problems.append('disks[%d].path is empty; give the path whose file system must have room.' % index)
    for name in sorted(params['sysctl'], key=str):
        try:
            sysctl_path(name)
        except ValueError:
            problems.append('sysctl key %r is not a kernel parameter name; use its dotted name '
                            '(net.core.rmem_max).' % (name,))
            continue
        expected = params['sysctl'][name]
        if expected is None or isinstance(expected, (dict, list, bool)):
            problems.append('sysctl.%s=%r is not a value; give the expected value (1, "1024 65535") or a '
                            'comparison (">=4194304").' % (name, expected))
            continue
        match = _COMPARISON.match(str(expected))
        if match and match.group(1) not in ('==', '!='):
            _number, reason = to_number(match.group(2))
            if reason:
                problems.append('sysctl.%s=%r compares with %r, which %s; give a finite number (">=4194304").' % (
                    name, expected, match.group(2), reason))
    return problems


def main():
    module = start_module(
        AnsibleModule, 'host_requirements',
        argument_spec=dict(
            distribution=dict(type='str', default='Debian'),
            distribution_major_version=dict(type='str', default='12'),
            architectures=dict(type='list', elements='str', default=['amd64']),
            min_cores=dict(type='int', default=1),
            min_memory_mb=dict(type='int', default=1024),
            disks=dict(type='list', elements='dict', default=[], options=dict(
                path=dict(type='path', required=True),
                min_free_gb=dict(type='float', required=True),
            )),
            steal_sample_seconds=dict(type='float', default=3),
            max_steal_percent=dict(type='float', default=5.0),
            allowed_virtualization=dict(type='list', elements='str', default=[]),
            time_sync=dict(type='str', choices=['required', 'warn', 'ignore'], default='required'),
            sysctl=dict(type='dict', default={}),
            fail_on=dict(type='str', choices=FAIL_ON_CHOICES, default='failure'),
        ),
        rules=RULES,
        supports_check_mode=True,
    )
    params = module.params
    check_options(module, 'host_requirements', option_problems(params))
    facts = gather(module, params)
    checks = evaluate(facts, params)
    summary = summarize(checks)
    result = dict(changed=False, facts=facts, checks=checks, verdict=summary['verdict'],
                  failures=summary['failures'], warnings_list=summary['warnings'])
    if should_fail(checks, params['fail_on']):
        module.fail_json(msg=failure_message(checks, 'host_requirements: '), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
