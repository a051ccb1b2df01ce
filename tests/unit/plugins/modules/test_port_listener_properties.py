# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""port_listener over its whole option space (hypothesis): binding and the background process are faked."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import tempfile
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

import option_space as space

from ansible_collections.voiceops.platform.plugins.module_utils._voiceops_validate import is_ip_address
from ansible_collections.voiceops.platform.plugins.modules import port_listener as module

NAME = 'port_listener'
OPTIONS = space.documented_options(module)
NAMES = space.option_names(OPTIONS)
STATE_DIR = tempfile.mkdtemp(prefix='voiceops-port-listener-')
BOUND = []
SPAWNED = []


class FakeSocket(object):
    def close(self):
        pass


def fake_bind(port, proto, bind_address):
    BOUND.append((port, proto, bind_address))
    return FakeSocket(), None


def fake_spawn(sockets, lifetime, pidfile, info):
    SPAWNED.append((len(sockets), lifetime))
    return 4242


PATCHES = [
    mock.patch.object(module, 'state_dir', lambda: STATE_DIR),
    mock.patch.object(module, 'current_listeners', lambda m: {(5060, 'tcp'): ['opensips (pid 3)']}),
    mock.patch.object(module, 'bind_listener', fake_bind),
    mock.patch.object(module, 'spawn_listener_daemon', fake_spawn),
    mock.patch.object(module, 'listener_alive', lambda pid, pidfile: True),
    mock.patch.object(module, 'stop_listener', lambda pidfile: None),
    mock.patch.object(module, 'running_listener', lambda pidfile: None),
]
VALID_SPECS = ['5060/udp', '5060/tcp', 443, '10000-10020/udp', '10000-50000/udp']
OVERRIDES = {
    'ports': space.port_list(),
    'bind_address': st.one_of(st.sampled_from(['0.0.0.0', '::', '127.0.0.1']), space.address()),
    'listener_id': st.one_of(st.sampled_from(['preflight', 'unit-1', 'a.b_c']), st.sampled_from(['', '../x', 'a b',
                                                                                                 'x' * 65]),
                             st.text(max_size=6)),
}
VALID_OVERRIDES = {
    'ports': st.lists(st.sampled_from(VALID_SPECS), max_size=4),
    'bind_address': st.sampled_from(['0.0.0.0', '::', '127.0.0.1']),
    'listener_id': st.sampled_from(['preflight', 'unit-1', 'a.b_c']),
}
ARGS = space.arguments(OPTIONS, module.RULES, OVERRIDES)
VALID_ARGS = space.arguments(OPTIONS, module.RULES, VALID_OVERRIDES, valid=True)
BASE = {'ports': ['5060/udp'], 'fail_on': 'never'}
# hypothesis examples per test
COUNTS = {'any': 150, 'valid': 100, 'refused': 60, 'accepted': 30}


def run(args):
    del BOUND[:]
    del SPAWNED[:]
    return space.run(module, args, PATCHES)


def check(args, result, failed, guard, cpu):
    outcome = space.check_contract(NAME, result, failed, guard, cpu, args, NAMES, max_sleep=0.1)
    if outcome == 'refused':
        assert BOUND == [] and SPAWNED == [], 'bound or spawned before refusing'
        return outcome
    assert len(BOUND) <= module.MAX_PORTS
    for _port, _proto, address in BOUND:
        assert is_ip_address(address)
    assert result['changed'] is bool(SPAWNED)  # nothing stopped here: changed exactly when one was started
    if SPAWNED:
        assert 1 <= SPAWNED[0][1] <= 3600 and result['listener']['pid'] == 4242
    if args.get('state') == 'stopped' or not result.get('ports'):
        assert result['verdict'] == 'skip'  # nothing checked never passes
    return outcome


@space.examples(COUNTS['any'])
@given(args=ARGS)
def test_any_arguments_keep_the_contract(args):
    check(args, *run(args))


@space.examples(COUNTS['valid'])
@given(args=VALID_ARGS)
def test_valid_arguments_give_a_result(args):
    assert check(args, *run(args)) != 'refused'


@space.examples(COUNTS['refused'])
@given(data=st.data())
def test_values_outside_the_range_are_refused(data):
    key = data.draw(st.sampled_from(sorted(module.RULES)))
    args = copy.deepcopy(BASE)
    path = space.set_path(args, key, data.draw(space.out_of_range(module.RULES[key])))
    result, failed, _guard, _cpu = run(args)
    assert failed and result['msg'].startswith('%s: %s=' % (NAME, path)), result.get('msg')
    assert BOUND == [] and SPAWNED == []


@space.examples(COUNTS['accepted'])
@given(data=st.data())
def test_values_inside_the_range_are_accepted(data):
    key = data.draw(st.sampled_from(sorted(module.RULES)))
    args = copy.deepcopy(BASE)
    space.set_path(args, key, data.draw(space.in_range(module.RULES[key])))
    result, failed, _guard, _cpu = run(args)
    assert not failed, result['msg']


@pytest.mark.parametrize('args,msg', [
    (dict(bind_address='10.0.0.256'), "bind_address='10.0.0.256' is not an IP address"),
    (dict(bind_address='db-1'), "bind_address='db-1' is not an IP address"),
    (dict(listener_id=''), "listener_id='' is not a listener name"),
    (dict(lifetime=10 ** 9), 'lifetime=1000000000 is out of range; set it to an integer from 1 to 3600.'),
    (dict(ports=['10000-50000/udp'], sample_size=float('inf')), 'sample_size=inf is not a finite number'),
    (dict(ports=['1-65535/tcp', '1-65535/udp'] + ['%d-%d/udp' % (i, i + 500) for i in range(1000, 10000, 1000)],
          sample_size=100),
     'ports expand to 1120 ports (sample_size=100 per range); at most 1000'),
])
def test_issue_cases(args, msg):
    result, failed, guard, _cpu = run(args)
    assert failed and 'checks' not in result and BOUND == [] and not guard.network
    assert result['msg'].startswith('%s: %s' % (NAME, msg)), result['msg']
