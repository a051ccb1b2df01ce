# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""link_quality over its whole option space (hypothesis): the echo round trips are faked."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

import option_space as space

from ansible.module_utils.common.validation import check_type_list

from ansible_collections.voiceops.platform.plugins.module_utils._voiceops_validate import to_number
from ansible_collections.voiceops.platform.plugins.modules import link_quality as module

NAME = 'link_quality'
OPTIONS = space.documented_options(module)
NAMES = space.option_names(OPTIONS) | set(module.THRESHOLD_KEYS)
SENT = []


def fake_icmp(address, count, interval, timeout):
    SENT.append((address, count, interval, timeout))
    return [0.5 + (i % 3) * 0.1 if i % 7 else None for i in range(count)], 64


def fake_udp(address, port, count, interval, timeout):
    SENT.append((address, count, interval, timeout))
    return [1.0] * count


def target(valid=False):
    if valid:
        address = st.sampled_from(['10.0.0.1', '198.51.100.10', 'office-kyiv.example', '::1'])
        thresholds = dict((k, space.in_range(module.RULES[k])) for k in module.THRESHOLD_KEYS)
        thresholds['name'] = st.sampled_from(['db-1', 'phones'])
        return st.one_of(address, st.fixed_dictionaries({'address': address}, optional=thresholds))
    thresholds = dict((k, space.number_for(module.RULES[k])) for k in module.THRESHOLD_KEYS)
    thresholds.update(name=st.one_of(st.text(max_size=4), st.none()), max_rtt=st.integers())
    return st.one_of(space.address(), st.fixed_dictionaries({'address': space.address()}, optional=thresholds))


ARGS = space.arguments(OPTIONS, module.RULES, {'targets': st.one_of(st.lists(target(), max_size=4), space.junk())})
VALID_ARGS = space.arguments(OPTIONS, module.RULES, {'targets': st.lists(target(True), min_size=1, max_size=4)},
                             valid=True)
BASE = {'targets': [{'address': '10.0.0.1'}], 'count': 5, 'fail_on': 'never'}
KEYS = sorted(module.RULES) + ['targets.%s' % k for k in module.THRESHOLD_KEYS]
# hypothesis examples per test
COUNTS = {'any': 150, 'valid': 100, 'refused': 100, 'accepted': 50}


def rule(key):
    return module.RULES[key.split('.')[-1]]


def run(args):
    del SENT[:]
    return space.run(module, args, [mock.patch.object(module, 'icmp_ping', fake_icmp),
                                    mock.patch.object(module, 'udp_echo_rtts', fake_udp)])


def check(args, result, failed, guard, cpu):
    outcome = space.check_contract(NAME, result, failed, guard, cpu, args, NAMES)
    if outcome == 'refused':
        assert SENT == [], 'measured before refusing: %r' % SENT
        return outcome
    targets = check_type_list(args['targets'])
    assert len(result['links']) == len(targets)
    count = to_number(args.get('count', 20), True)[0]
    longest = max(to_number(args.get('interval', 0.2))[0], to_number(args.get('timeout', 1.0))[0])
    assert -(-len(targets) // module.PARALLEL) * count * longest <= module.MAX_SAMPLING_SECONDS
    for address, sent, _interval, _timeout in SENT:
        assert space.is_address_syntax(address) and sent == count
    for link in result['links']:
        assert link['sent'] == count and 0 <= link['loss_percent'] <= 100
    return outcome


@space.examples(COUNTS['any'])
@given(args=ARGS)
def test_any_arguments_keep_the_contract(args):
    check(args, *run(args))


@space.examples(COUNTS['valid'])
@given(args=VALID_ARGS)
def test_valid_arguments_give_a_result(args):
    result, failed, guard, cpu = run(args)
    if check(args, result, failed, guard, cpu) == 'refused':  # only the time budget, which no single range says
        assert 'could take' in result['msg'], result['msg']


@space.examples(COUNTS['refused'])
@given(data=st.data())
def test_values_outside_the_range_are_refused(data):
    key = data.draw(st.sampled_from(KEYS))
    value = data.draw(space.out_of_range(rule(key)))
    args = copy.deepcopy(BASE)
    path = space.set_path(args, key, value)
    result, failed, guard, _cpu = run(args)
    assert failed and result['msg'].startswith('%s: %s=' % (NAME, path)), result.get('msg')
    assert SENT == [] and not guard.network


@space.examples(COUNTS['accepted'])
@given(data=st.data())
def test_values_inside_the_range_are_accepted(data):
    key = data.draw(st.sampled_from(KEYS))
    args = copy.deepcopy(BASE)
    space.set_path(args, key, data.draw(space.in_range(rule(key))))
    result, failed, _guard, _cpu = run(args)
    assert not failed or 'could take' in result['msg'], result['msg']


@space.examples(60)
@given(address=st.sampled_from(space.MALFORMED_ADDRESSES))
def test_malformed_addresses_are_refused_before_anything_is_sent(address):
    result, failed, guard, _cpu = run(dict(targets=['10.0.0.1', address]))
    assert failed and result['msg'].startswith('%s: targets[1]=' % NAME), result['msg']
    assert result['msg'].endswith(' is not an IP address or a host name; set it to one (for example 10.0.0.11).')
    assert SENT == [] and not guard.network


@pytest.mark.parametrize('args,msg', [
    # issue 9: a hang
    (dict(targets=['10.0.0.1'], count=1000000000), 'count=1000000000 is out of range; set it to an integer from 1 '
                                                   'to 1000.'),
    (dict(targets=['10.0.0.1'], count=1000, interval=10), 'count=1000 x max(interval=10.0, timeout=1.0) for 1 '
                                                          'target(s), 16 at a time, could take 10000 s; at most 600 s'),
    (dict(targets=[]), 'targets is empty; give at least 1 target.'),
    (dict(targets=['10.0.0.1'], interval=0), 'interval=0 is out of range; set it to a number from 0.01 to 10.'),
    (dict(targets=['10.0.0.1'], max_loss_percent=float('nan')), 'max_loss_percent=nan is not a finite number'),
    (dict(targets=[{'address': '10.0.0.1', 'max_delay_ms': 'inf'}]), "targets[0].max_delay_ms='inf' is not a number"),
    (dict(targets=[{'address': '10.0.0.1', 'max_jitter_ms': -1}]), 'targets[0].max_jitter_ms=-1 is out of range'),
    (dict(targets=[{'address': '10.0.0.256'}]), "targets[0].address='10.0.0.256' is not an IP address or a host "
                                                "name"),
    (dict(targets=[{'address': '10.0.0.1', 'max_rtt': 5}]), 'targets[0] has unknown keys max_rtt'),
    (dict(targets=['10.0.0.1'], udp_port=0), 'udp_port=0 is out of range; set it to an integer from 1 to 65535.'),
])
def test_issue_cases(args, msg):
    result, failed, guard, _cpu = run(args)
    assert failed and 'checks' not in result and SENT == [] and not guard.network
    assert result['msg'].startswith('%s: %s' % (NAME, msg)), result['msg']
