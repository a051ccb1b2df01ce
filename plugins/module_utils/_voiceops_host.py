# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure helpers for the host_requirements module (private API)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# systemd-detect-virt identifiers of container managers (the clock is the host kernel's).
CONTAINER_VIRT = ('container-other', 'docker', 'podman', 'lxc', 'lxc-libvirt', 'openvz',
                  'rkt', 'systemd-nspawn', 'wsl', 'proot', 'pouch')

ARCH_ALIASES = {'x86_64': 'amd64', 'amd64': 'amd64', 'aarch64': 'arm64', 'arm64': 'arm64',
                'i386': 'i386', 'i686': 'i386'}

_CPU_FIELDS = ('user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal', 'guest', 'guest_nice')


def parse_os_release(text):
    """KEY=value pairs of /etc/os-release (quotes removed, comments skipped)."""
    result = {}
    for line in (text or '').splitlines():
        line = line.strip()
        if not line or line.startswith('#') or '=' not in line:
            continue
        key, value = line.split('=', 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in ('"', "'"):
            value = value[1:-1]
        result[key.strip()] = value
    return result


def normalize_arch(machine):
    """Debian's name for a kernel machine type: x86_64 -> amd64."""
    return ARCH_ALIASES.get((machine or '').lower(), (machine or '').lower())


def parse_meminfo(text):
    """/proc/meminfo as {key: kB}."""
    result = {}
    for line in (text or '').splitlines():
        match = re.match(r'^(\w+(?:\(\w+\))?):\s+(\d+)', line)
        if match:
            result[match.group(1)] = int(match.group(2))
    return result


def parse_proc_stat_cpu(text):
    """The aggregate ``cpu`` line of /proc/stat as {field: jiffies}. Raises ValueError if absent."""
    for line in (text or '').splitlines():
        fields = line.split()
        if fields and fields[0] == 'cpu':
            values = []
            for value in fields[1:]:
                try:
                    values.append(int(value))
                except ValueError:
                    raise ValueError('malformed cpu line in /proc/stat: %r' % line)
            if len(values) < 4:
                raise ValueError('malformed cpu line in /proc/stat: %r' % line)
            values += [0] * (len(_CPU_FIELDS) - len(values))
            return dict(zip(_CPU_FIELDS, values))
    raise ValueError('no aggregate cpu line in /proc/stat')


def steal_percent(before, after):
    """Percentage of CPU time stolen by the hypervisor between two /proc/stat samples.

    guest and guest_nice are already counted in user and nice, so they are
    left out of the total. Returns 0.0 when no time elapsed.
    """
    keys = ('user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal')
    total = sum(after[k] - before[k] for k in keys)
    if total <= 0:
        return 0.0
    return round(100.0 * (after['steal'] - before['steal']) / total, 2)


_SPEC = re.compile(r'^\s*(>=|<=|==|!=|>|<)\s*(.+?)\s*$')


def _number(text):
    try:
        return int(text)
    except ValueError:
        return float(text)


def compare_sysctl(actual, expected):
    """Compare a kernel parameter's value with an expectation.

    ``expected`` is a value (compared after collapsing whitespace, so
    ``"1024 65535"`` matches the tab-separated ``ip_local_port_range``) or a
    numeric comparison ``">=N"``, ``"<=N"``, ``">N"``, ``"<N"``, ``"==N"``, ``"!=N"``.
    Returns (ok, requirement text). A missing parameter (actual None) is not ok.
    """
    expected_text = str(expected).strip()
    match = _SPEC.match(expected_text)
    if actual is None:
        return False, expected_text
    actual_text = ' '.join(str(actual).split())
    if not match:
        return actual_text == ' '.join(expected_text.split()), expected_text
    operator, value = match.group(1), match.group(2)
    try:
        left = _number(actual_text)
        right = _number(value)
    except ValueError:
        if operator in ('==', '!='):
            equal = actual_text == ' '.join(value.split())
            return (equal if operator == '==' else not equal), expected_text
        return False, expected_text
    ops = {
        '>=': left >= right, '<=': left <= right, '>': left > right,
        '<': left < right, '==': left == right, '!=': left != right,
    }
    return ops[operator], expected_text


def sysctl_path(name):
    """/proc/sys path of a dotted kernel parameter name. Raises ValueError on a bad name."""
    if not re.match(r'^[A-Za-z0-9_.\-/]+$', name or '') or '..' in name:
        raise ValueError('invalid kernel parameter name %r' % (name,))
    return '/proc/sys/' + name.replace('.', '/')


def parse_timedatectl(text):
    """NTPSynchronized from ``timedatectl show -p NTPSynchronized [--value]``: True/False/None."""
    for line in (text or '').splitlines():
        line = line.strip()
        if line.startswith('NTPSynchronized='):
            line = line.split('=', 1)[1]
        if line in ('yes', 'no'):
            return line == 'yes'
    return None


def parse_chronyc_tracking(text):
    """Synchronised according to ``chronyc tracking`` (Leap status Normal): True/False/None."""
    match = re.search(r'^Leap status\s*:\s*(.+?)\s*$', text or '', re.MULTILINE)
    if not match:
        return None
    return match.group(1).lower() in ('normal', 'insert second', 'delete second')


def is_container(virt):
    """Whether a systemd-detect-virt answer is a container (shared host kernel and clock)."""
    return (virt or '').strip() in CONTAINER_VIRT


def free_disk_gb(statvfs_result):
    """Free space for unprivileged users in GiB from an os.statvfs() result."""
    return round(statvfs_result.f_bavail * statvfs_result.f_frsize / float(1024 ** 3), 2)
