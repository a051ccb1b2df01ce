# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""port_probe over its whole option space (hypothesis): the TCP and UDP probes are faked."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

import option_space as space

from ansible_collections.voiceops.platform.plugins.module_utils._voiceops_validate import to_number
from ansible_collections.voiceops.platform.plugins.modules import port_probe as module

NAME = 'port_probe'
OPTIONS = space.documented_options(module)
NAMES = space.option_names(OPTIONS)
PROBED = []
VALID_SPECS = ['5060/udp', '5060/tcp', 443, '10000-10020/udp', '10000-50000/udp']


def fake_probe(address, port, timeout, attempts=2):
    PROBED.append(address)
    return {'state': ['open', 'filtered', 'rejected'][port % 3], 'responder': None, 'reason': 'fake'}


def listener(valid=False):
    entry = st.fixed_dictionaries({'state': st.sampled_from(['in_use', 'listening', 'error']),
                                   'processes': st.lists(st.sampled_from(['nginx (pid 3)', 'python3 (pid 9)']),
                                                         max_size=2)})
    keys = st.sampled_from(['5060/udp', '5060/tcp', '443/tcp', '10000/udp'])
    if valid:
        return st.dictionaries(keys, entry, max_size=2)
    return st.one_of(st.dictionaries(keys, st.one_of(entry, space.junk()), max_size=2), space.junk(),
                     st.dictionaries(keys, st.fixed_dictionaries({'state': st.just('in_use'),
                                                                  'processes': space.junk()}), max_size=1))


def target(valid=False):
    if valid:
        return st.fixed_dictionaries(
            {'address': st.sampled_from(['10.0.0.11', '172.18.0.3', 'db-1', '::1'])},
            optional={'name': st.sampled_from(['db-1', 'media-1']),
                      'ports': st.lists(st.sampled_from(VALID_SPECS), max_size=3), 'listener': listener(True)})
    return st.one_of(st.fixed_dictionaries(
        {'address': space.address()},
        optional={'name': st.one_of(st.text(max_size=4), st.none()), 'ports': space.port_list(),
                  'listener': listener()}), space.junk())


ARGS = space.arguments(OPTIONS, module.RULES, {
    'targets': st.one_of(st.lists(target(), max_size=3), space.junk()),
    'ports': space.port_list()})
VALID_ARGS = space.arguments(OPTIONS, module.RULES, {
    'targets': st.lists(target(True), min_size=1, max_size=3),
    'ports': st.lists(st.sampled_from(VALID_SPECS), max_size=3)}, valid=True)
BASE = {'targets': [{'address': '10.0.0.11', 'ports': ['5060/udp']}], 'fail_on': 'never'}
# hypothesis examples per test
COUNTS = {'any': 150, 'valid': 100, 'refused': 80, 'accepted': 40}


def run(args):
    del PROBED[:]
    return space.run(module, args, [mock.patch.object(module, 'tcp_probe', fake_probe),
                                    mock.patch.object(module, 'udp_probe', fake_probe)])


def check(args, result, failed, guard, cpu):
    outcome = space.check_contract(NAME, result, failed, guard, cpu, args, NAMES)
    if outcome == 'refused':
        assert PROBED == [], 'probed before refusing: %r' % PROBED
        return outcome
    assert result['probed'] == len(PROBED) <= module.MAX_PROBES
    for address in PROBED:
        assert space.is_address_syntax(address), address
    timeout = to_number(args.get('timeout', 1.0))[0]
    attempts = to_number(args.get('udp_attempts', 2), True)[0]
    workers = to_number(args.get('workers', 32), True)[0]
    assert -(-len(PROBED) // workers) * timeout * max(attempts, 2) <= module.MAX_PROBE_SECONDS
    for row in result['matrix'].values():
        for ports in row.values():
            for entry in ports.values():
                assert entry['state'] in ('open', 'filtered', 'rejected', 'error', 'in_use')
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
    elif not result['probed']:
        assert result['verdict'] == 'skip'  # targets without ports: nothing probed never passes


@space.examples(COUNTS['refused'])
@given(data=st.data())
def test_values_outside_the_range_are_refused(data):
    key = data.draw(st.sampled_from(sorted(module.RULES)))
    value = data.draw(space.out_of_range(module.RULES[key]))
    args = copy.deepcopy(BASE)
    path = space.set_path(args, key, value)
    result, failed, guard, _cpu = run(args)
    assert failed and result['msg'].startswith('%s: %s=' % (NAME, path)), result.get('msg')
    assert PROBED == [] and not guard.network


@space.examples(COUNTS['accepted'])
@given(data=st.data())
def test_values_inside_the_range_are_accepted(data):
    key = data.draw(st.sampled_from(sorted(module.RULES)))
    args = copy.deepcopy(BASE)
    space.set_path(args, key, data.draw(space.in_range(module.RULES[key])))
    result, failed, _guard, _cpu = run(args)
    assert not failed, result['msg']


@space.examples(60)
@given(address=st.sampled_from(space.MALFORMED_ADDRESSES))
def test_malformed_addresses_are_refused_before_anything_is_sent(address):
    targets = [{'address': '10.0.0.11', 'ports': [443]}, {'address': address, 'ports': [443]}]
    result, failed, guard, _cpu = run(dict(targets=targets))
    assert failed and result['msg'].startswith('%s: targets[1].address=' % NAME), result['msg']
    assert PROBED == [] and not guard.network


@pytest.mark.parametrize('args,msg', [
    (dict(targets=[]), 'targets is empty; give at least 1 target.'),
    (dict(targets=[{'address': '10.0.0.11', 'ports': [70000]}]),
     'targets[0].ports[0]=70000 is not a port specification: port 70000'),
    (dict(targets=[{'address': '10.0.0.11'}], ports=['5060/sctp']), "ports[0]='5060/sctp' is not a port "
                                                                    "specification: invalid protocol 'sctp'"),
    (dict(targets=[{'address': '10.0.0.11'}], timeout=0), 'timeout=0 is out of range; set it to a number from '
                                                          '0.05 to 30.'),
    (dict(targets=[{'address': '10.0.0.11'}], workers=0), 'workers=0 is out of range'),
    (dict(targets=[{'address': '10.0.0.11'}], sample_size=-1), 'sample_size=-1 is out of range'),
    (dict(targets=[{'address': '10.0.0.11', 'ports': ['1-65535/udp']}], sample_size=100, timeout=30, workers=1),
     '102 probes, workers=1 at a time, each up to timeout=30.0 x 2 attempt(s), could take 6120 s'),
    (dict(targets=[{'address': '10.0.0.11', 'ports': [443], 'listener': {'443/tcp': 'in_use'}}]),
     'targets[0].listener has entries that are not port_listener results (443/tcp)'),
    (dict(targets=['10.0.0.11']), "targets[0]='10.0.0.11' is not a dict; give one with the keys address, listener, "
                                  "name, ports."),
])
def test_issue_cases(args, msg):
    result, failed, guard, _cpu = run(args)
    assert failed and 'checks' not in result and PROBED == [] and not guard.network
    assert result['msg'].startswith('%s: %s' % (NAME, msg)), result['msg']
