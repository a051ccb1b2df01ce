# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections

import pytest

from ansible_collections.voiceops.platform.plugins.module_utils import _voiceops_host as host

OS_RELEASE = '''\
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
# a comment
garbage line
HOME_URL='https://www.debian.org/'
'''


def test_os_release():
    release = host.parse_os_release(OS_RELEASE)
    assert release['ID'] == 'debian' and release['VERSION_ID'] == '12'
    assert release['VERSION_CODENAME'] == 'bookworm'
    assert release['NAME'] == 'Debian GNU/Linux'
    assert release['HOME_URL'] == 'https://www.debian.org/'
    assert host.parse_os_release('') == {} and host.parse_os_release(None) == {}


@pytest.mark.parametrize('machine,expected', [('x86_64', 'amd64'), ('aarch64', 'arm64'), ('AMD64', 'amd64'),
                                              ('riscv64', 'riscv64'), ('', ''), (None, '')])
def test_arch(machine, expected):
    assert host.normalize_arch(machine) == expected


def test_meminfo():
    info = host.parse_meminfo('MemTotal:       24684412 kB\nMemFree:  100 kB\nActive(anon):  5 kB\nbad line\n')
    assert info == {'MemTotal': 24684412, 'MemFree': 100, 'Active(anon)': 5}


PROC_STAT_1 = 'cpu  100 0 50 1000 10 0 5 20 0 0\ncpu0 50 0 25 500 5 0 2 10 0 0\nintr 1 2 3\n'
PROC_STAT_2 = 'cpu  200 0 100 1700 20 0 10 120 0 0\ncpu0 100 0 50 850 10 0 5 60 0 0\n'


def test_proc_stat_and_steal():
    before = host.parse_proc_stat_cpu(PROC_STAT_1)
    after = host.parse_proc_stat_cpu(PROC_STAT_2)
    assert before['steal'] == 20 and before['idle'] == 1000
    # deltas: user 100, system 50, idle 700, iowait 10, softirq 5, steal 100 -> 100 / 965
    assert host.steal_percent(before, after) == round(100.0 * 100 / 965, 2)


def test_steal_guest_not_double_counted():
    before = host.parse_proc_stat_cpu('cpu 100 0 0 100 0 0 0 0 50 0')
    after = host.parse_proc_stat_cpu('cpu 200 0 0 200 0 0 0 0 150 0')
    assert host.steal_percent(before, after) == 0.0


def test_steal_no_time_and_old_kernels():
    sample = host.parse_proc_stat_cpu('cpu 1 2 3 4')
    assert sample['steal'] == 0
    assert host.steal_percent(sample, sample) == 0.0


@pytest.mark.parametrize('text', ['', 'cpu0 1 2 3 4 5', 'cpu 1 2 x 4', 'cpu 1 2'])
def test_proc_stat_malformed(text):
    with pytest.raises(ValueError):
        host.parse_proc_stat_cpu(text)


@pytest.mark.parametrize('actual,expected,ok', [
    ('1', '1', True),
    ('0', 1, False),
    ('32768\t60999', '32768 60999', True),
    ('1024 65535', '32768 60999', False),
    ('4194304', '>=4194304', True),
    ('212992', '>= 4194304', False),
    ('10', '<=10', True),
    ('11', '<10', False),
    ('11', '>10', True),
    ('5', '==5', True),
    ('5', '!=5', False),
    ('bbr', '==bbr', True),
    ('cubic', '!=bbr', True),
    ('cubic', '>=5', False),
    (None, '1', False),
    ('1.5', '>1', True),
])
def test_compare_sysctl(actual, expected, ok):
    assert host.compare_sysctl(actual, expected)[0] is ok


def test_sysctl_path():
    assert host.sysctl_path('net.ipv4.ip_forward') == '/proc/sys/net/ipv4/ip_forward'
    for bad in ('', '../etc/passwd', 'net..x', 'a b', None):
        with pytest.raises(ValueError):
            host.sysctl_path(bad)


@pytest.mark.parametrize('text,expected', [
    ('yes\n', True), ('no\n', False), ('NTPSynchronized=yes\n', True), ('NTPSynchronized=no', False),
    ('', None), ('Failed to connect to bus', None), (None, None)])
def test_timedatectl(text, expected):
    assert host.parse_timedatectl(text) is expected


def test_chronyc():
    ok = 'Reference ID    : C0A80001 (gw)\nStratum         : 3\nLeap status     : Normal\n'
    bad = 'Reference ID    : 00000000 ()\nLeap status     : Not synchronised\n'
    assert host.parse_chronyc_tracking(ok) is True
    assert host.parse_chronyc_tracking(bad) is False
    assert host.parse_chronyc_tracking('506 Cannot talk to daemon') is None


def test_container():
    assert host.is_container('docker') and host.is_container('lxc\n')
    assert not host.is_container('kvm') and not host.is_container('none') and not host.is_container(None)


def test_free_disk():
    stat = collections.namedtuple('statvfs', 'f_bavail f_frsize')(2621440, 4096)
    assert host.free_disk_gb(stat) == 10.0
