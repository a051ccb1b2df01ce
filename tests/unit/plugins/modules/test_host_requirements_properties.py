# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""host_requirements over its whole option space (hypothesis), and the bad values measured in issue 9.

The host is this machine (/proc, /etc/os-release, statvfs); commands and sleeping are
replaced, so the steal sampling asks to sleep and returns at once.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

import option_space as space

from ansible_collections.voiceops.platform.plugins.modules import host_requirements as module

NAME = 'host_requirements'
OPTIONS = space.documented_options(module)
NAMES = space.option_names(OPTIONS)
MAX_SLEEP = module.RULES['steal_sample_seconds'].maximum
SYSCTL_NAMES = ['net.core.rmem_max', 'kernel.pid_max', 'net.ipv4.ip_local_port_range']
OVERRIDES = {
    'sysctl': st.one_of(
        st.dictionaries(st.one_of(st.sampled_from(SYSCTL_NAMES + ['../../etc/passwd', 'x y', '', 'a..b']),
                                  st.text(max_size=6)),
                        st.one_of(st.sampled_from(['1', '>=1', '<= 5', '>=inf', '<nan', '>= 1e999', '!=x', '== 0',
                                                   '1024 65535', None, True]),
                                  st.text(max_size=6), st.integers(), st.lists(st.integers(), max_size=1)),
                        max_size=3),
        space.junk()),
}
VALID_OVERRIDES = {
    'sysctl': st.dictionaries(st.sampled_from(SYSCTL_NAMES), st.sampled_from(['1', '>=1', '<=99999999', '!=0']),
                              max_size=2),
    'disks.path': st.sampled_from(['/', '/tmp', '/var/lib/nothing-here']),
}
ARGS = space.arguments(OPTIONS, module.RULES, OVERRIDES)
VALID_ARGS = space.arguments(OPTIONS, module.RULES, VALID_OVERRIDES, valid=True)
BASE = {'disks': [{'path': '/', 'min_free_gb': 0}], 'steal_sample_seconds': 0, 'fail_on': 'never'}
# hypothesis examples per test
COUNTS = {'any': 150, 'valid': 100, 'refused': 100, 'accepted': 50}


def check_result(args, outcome, result, guard):
    if outcome == 'refused':
        assert guard.slept == 0  # refused before sampling anything
        return
    facts = result['facts']
    steal = args.get('steal_sample_seconds', 3)
    assert guard.slept == pytest.approx(float(steal))
    assert facts['steal_percent'] is None or 0 <= facts['steal_percent'] <= 100
    assert len(facts['disks']) == len(args.get('disks') or [])


@space.examples(COUNTS['any'])
@given(args=ARGS)
def test_any_arguments_keep_the_contract(args):
    result, failed, guard, cpu = space.run(module, args)
    outcome = space.check_contract(NAME, result, failed, guard, cpu, args, NAMES, max_sleep=MAX_SLEEP)
    check_result(args, outcome, result, guard)


@space.examples(COUNTS['valid'])
@given(args=VALID_ARGS)
def test_valid_arguments_give_a_result(args):
    result, failed, guard, cpu = space.run(module, args)
    outcome = space.check_contract(NAME, result, failed, guard, cpu, args, NAMES, max_sleep=MAX_SLEEP)
    if outcome == 'refused':  # only what no range can say
        assert result['msg'] == ('host_requirements: architectures is empty; give at least 1 Debian architecture '
                                 '(amd64).'), result['msg']
    check_result(args, outcome, result, guard)


@space.examples(COUNTS['refused'])
@given(data=st.data())
def test_values_outside_the_range_are_refused(data):
    key = data.draw(st.sampled_from(sorted(module.RULES)))
    value = data.draw(space.out_of_range(module.RULES[key]))
    args = copy.deepcopy(BASE)
    path = space.set_path(args, key, value)
    result, failed, guard, _cpu = space.run(module, args)
    assert failed and result['msg'].startswith('%s: %s=' % (NAME, path)), result.get('msg')
    assert guard.slept == 0 and 'checks' not in result


@space.examples(COUNTS['accepted'])
@given(data=st.data())
def test_values_inside_the_range_are_accepted(data):
    key = data.draw(st.sampled_from(sorted(module.RULES)))
    value = data.draw(space.in_range(module.RULES[key]))
    args = copy.deepcopy(BASE)
    space.set_path(args, key, value)
    result, failed, _guard, _cpu = space.run(module, args)
    assert not failed, result['msg']


@pytest.mark.parametrize('args,msg', [
    # issue 9: a traceback and a hang
    (dict(steal_sample_seconds=float('inf')), 'steal_sample_seconds=inf is not a finite number; set it to a number '
                                              'from 0 to 60.'),
    (dict(steal_sample_seconds=1000000000), 'steal_sample_seconds=1000000000 is out of range; set it to a number '
                                            'from 0 to 60.'),
    (dict(steal_sample_seconds=-1), 'steal_sample_seconds=-1 is out of range; set it to a number from 0 to 60.'),
    (dict(max_steal_percent=float('nan')), 'max_steal_percent=nan is not a finite number'),
    (dict(min_cores=0), 'min_cores=0 is out of range; set it to an integer from 1 to 4096.'),
    (dict(min_memory_mb=float('inf')), 'min_memory_mb=inf is not a finite number'),
    (dict(disks=[{'path': '/', 'min_free_gb': -5}]), 'disks[0].min_free_gb=-5 is out of range'),
    (dict(disks=[{'path': '', 'min_free_gb': 5}]), 'disks[0].path is empty'),
    (dict(architectures=[]), 'architectures is empty'),
    (dict(sysctl={'net.core.rmem_max': '>=inf'}), "sysctl.net.core.rmem_max='>=inf' compares with 'inf', which is "
                                                  "not a number"),
    (dict(sysctl={'net.core.rmem_max': None}), 'sysctl.net.core.rmem_max=None is not a value'),
    (dict(sysctl={'bad name': '1'}), "sysctl key 'bad name' is not a kernel parameter name"),
])
def test_issue_cases(args, msg):
    result, failed, guard, _cpu = space.run(module, args)
    assert failed and 'checks' not in result and guard.slept == 0
    assert result['msg'].startswith('%s: %s' % (NAME, msg)), result['msg']


def test_steal_is_sampled_for_the_given_seconds():
    result, failed, guard, _cpu = space.run(module, dict(steal_sample_seconds=60, fail_on='never'))
    assert not failed and guard.slept == 60
    assert re.search(r'over 60(\.0)? s', [c for c in result['checks'] if c['name'] == 'cpu_steal'][0]['message'])
