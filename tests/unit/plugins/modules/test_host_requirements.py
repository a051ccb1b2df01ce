# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.voiceops.platform.plugins.modules import host_requirements as hr

PARAMS = dict(distribution='Debian', distribution_major_version='12', architectures=['amd64'], min_cores=4,
              min_memory_mb=8192, disks=[], steal_sample_seconds=3, max_steal_percent=5.0,
              allowed_virtualization=[], time_sync='required', sysctl={}, fail_on='failure')

GOOD = dict(distribution='debian', name='Debian GNU/Linux', version='12', architecture='amd64', cores=4,
            memory_mb=16000, disks=[{'path': '/var/lib/postgresql', 'measured_path': '/var/lib', 'free_gb': 50.0,
                                     'min_free_gb': 20.0}],
            steal_percent=0.5, virtualization='kvm', time_synchronized=True, time_sync_source='timedatectl',
            sysctl={'net.ipv4.ip_forward': '0'})


def statuses(checks):
    return dict(((c['name'], c.get('subject')), c['status']) for c in checks)


def run(facts=None, **params):
    return hr.evaluate(dict(GOOD, **(facts or {})), dict(PARAMS, **params))


def test_all_good():
    checks = run(sysctl={'net.ipv4.ip_forward': '0'})
    assert all(c['status'] == 'pass' for c in checks), checks
    assert ('disk_free', '/var/lib/postgresql') in statuses(checks)


@pytest.mark.parametrize('facts,name', [
    (dict(version='11'), 'os'),
    (dict(distribution='ubuntu', name='Ubuntu'), 'os'),
    (dict(architecture='arm64'), 'architecture'),
    (dict(cores=2), 'cpu_cores'),
    (dict(memory_mb=4000), 'memory'),
])
def test_failures(facts, name):
    checks = run(facts)
    failed = [c for c in checks if c['status'] == 'fail']
    assert [c['name'] for c in failed] == [name]
    assert failed[0]['fix']


def test_disk_too_small_and_unmeasurable():
    disks = [{'path': '/srv/rec', 'measured_path': '/srv', 'free_gb': 5.0, 'min_free_gb': 20.0},
             {'path': '/x', 'measured_path': '/', 'free_gb': None, 'min_free_gb': 1.0, 'error': 'EIO'}]
    checks = [c for c in run(dict(disks=disks)) if c['name'] == 'disk_free']
    assert [c['status'] for c in checks] == ['fail', 'fail']
    assert checks[0]['fix'] == 'free or add at least 15.0 GiB for /srv/rec'


def test_steal():
    check = [c for c in run(dict(steal_percent=12.5)) if c['name'] == 'cpu_steal'][0]
    assert check['status'] == 'warn' and 'noisy neighbour' in check['message']
    check = [c for c in run(dict(steal_percent=None, steal_error='no /proc')) if c['name'] == 'cpu_steal'][0]
    assert check['status'] == 'skip'


def test_virtualization():
    assert statuses(run(allowed_virtualization=['none', 'kvm']))[('virtualization', None)] == 'pass'
    assert statuses(run(dict(virtualization='oracle'), allowed_virtualization=['none', 'kvm']))[
        ('virtualization', None)] == 'fail'


@pytest.mark.parametrize('synced,virt,mode,expected', [
    (True, 'kvm', 'required', 'pass'),
    (False, 'kvm', 'required', 'fail'),
    (None, 'kvm', 'required', 'fail'),
    (False, 'kvm', 'warn', 'warn'),
    (False, 'docker', 'required', 'warn'),
    (False, 'kvm', 'ignore', 'skip'),
])
def test_time_sync(synced, virt, mode, expected):
    checks = run(dict(time_synchronized=synced, virtualization=virt), time_sync=mode)
    check = [c for c in checks if c['name'] == 'time_sync'][0]
    assert check['status'] == expected
    if virt == 'docker':
        assert 'host kernel' in check['message']


def test_sysctl():
    checks = run(dict(sysctl={'net.core.rmem_max': '212992', 'net.ipv4.ip_forward': '0', 'x.y': None}),
                 sysctl={'net.core.rmem_max': '>=4194304', 'net.ipv4.ip_forward': 0, 'x.y': '1'})
    result = statuses(checks)
    assert result[('sysctl', 'net.core.rmem_max')] == 'fail'
    assert result[('sysctl', 'net.ipv4.ip_forward')] == 'pass'
    assert result[('sysctl', 'x.y')] == 'fail'
    fix = [c for c in checks if c.get('subject') == 'net.core.rmem_max'][0]['fix']
    assert fix == 'set net.core.rmem_max = 4194304 in /etc/sysctl.d/ and run sysctl --system'


def test_existing_parent():
    existing = set(['/', '/var', '/var/lib'])
    assert hr.existing_parent('/var/lib/postgresql/15', existing.__contains__) == '/var/lib'
    assert hr.existing_parent('/nope', existing.__contains__) == '/'
    assert hr.existing_parent('/var', existing.__contains__) == '/var'


class FakeModule(object):
    def __init__(self, bins, outputs):
        self.bins = bins
        self.outputs = outputs

    def get_bin_path(self, name, required=False):
        return '/usr/bin/' + name if name in self.bins else None

    def run_command(self, cmd):
        return self.outputs[cmd[0].rsplit('/', 1)[1]]


@pytest.mark.parametrize('bins,outputs,expected', [
    (['timedatectl'], {'timedatectl': (0, 'yes\n', '')}, (True, 'timedatectl')),
    (['timedatectl'], {'timedatectl': (0, 'no\n', '')}, (False, 'timedatectl')),
    (['timedatectl', 'chronyc'], {'timedatectl': (0, 'no\n', ''),
                                  'chronyc': (0, 'Leap status     : Normal\n', '')}, (True, 'chronyc')),
    (['timedatectl', 'ntpstat'], {'timedatectl': (1, '', 'Failed to connect to bus'),
                                  'ntpstat': (1, 'unsynchronised', '')}, (False, 'ntpstat')),
    (['ntpstat'], {'ntpstat': (2, '', 'cannot contact ntpd')}, (None, None)),
    ([], {}, (None, None)),
])
def test_time_sync_state(bins, outputs, expected):
    assert hr.time_sync_state(FakeModule(bins, outputs)) == expected


def test_main_on_this_machine(run_module, tmp_path):
    result, failed = run_module(hr, dict(min_cores=1, min_memory_mb=1, architectures=['amd64', 'arm64'],
                                         distribution='Debian', steal_sample_seconds=0.2, time_sync='ignore',
                                         disks=[{'path': str(tmp_path / 'not' / 'yet'), 'min_free_gb': 0.001}],
                                         sysctl={'kernel.ostype': 'Linux'}, fail_on='never'))
    assert not failed and result['changed'] is False
    assert result['facts']['cores'] >= 1 and result['facts']['memory_mb'] > 0
    assert result['facts']['disks'][0]['measured_path'] == str(tmp_path)
    assert result['facts']['sysctl'] == {'kernel.ostype': 'Linux'}
    assert isinstance(result['facts']['steal_percent'], float)


def test_main_fails_with_message(run_module):
    result, failed = run_module(hr, dict(min_cores=4096, steal_sample_seconds=0, time_sync='ignore'))
    assert failed and 'FAIL: cpu_cores' in result['msg'] and 'required >= 4096' in result['msg']
    result, failed = run_module(hr, dict(sysctl={'../../etc/passwd': 'x'}))
    assert failed and result['msg'] == ("host_requirements: sysctl key '../../etc/passwd' is not a kernel parameter "
                                        "name; use its dotted name (net.core.rmem_max).")
