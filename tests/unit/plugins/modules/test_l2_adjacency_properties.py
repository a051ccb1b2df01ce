# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""l2_adjacency over its whole option space (hypothesis): iproute2 and the probes are a fake host."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

import option_space as space

from ansible.module_utils.common.validation import check_type_list

from ansible_collections.voiceops.platform.plugins.modules import l2_adjacency as module

NAME = 'l2_adjacency'
OPTIONS = space.documented_options(module)
NAMES = space.option_names(OPTIONS)
MTU = module.RULES['peers.mtu']

ADDR = json.dumps([
    {"ifname": "lo", "mtu": 65536, "addr_info": [{"family": "inet", "local": "127.0.0.1", "prefixlen": 8,
                                                  "scope": "host"}]},
    {"ifname": "eth0", "mtu": 1500, "addr_info": [{"family": "inet", "local": "172.18.0.2", "prefixlen": 16,
                                                   "scope": "global"}]},
])
LINK = json.dumps([{"ifname": "lo", "mtu": 65536}, {"ifname": "eth0", "mtu": 1500, "linkinfo": {"info_kind": "veth"}}])


class FakeHost(object):
    """iproute2 and the probes of a host on 172.18.0.0/16; records every address it is asked about."""

    asked = []

    def __init__(self, module=None):
        self.module = module

    def run_json(self, args):
        if args[:2] == ['addr', 'show']:
            return ADDR
        if args[:3] == ['-d', 'link', 'show']:
            return LINK
        self.asked.append(args[2])
        if args[:2] == ['route', 'get']:
            return json.dumps([{'dst': args[2], 'dev': 'eth0'}])
        return json.dumps([{'dst': args[2], 'dev': 'eth0', 'lladdr': '02:42:ac:12:00:03', 'state': ['REACHABLE']}])

    def echo(self, address, timeout):
        self.asked.append(address)
        return 64, None

    def poke(self, address):
        self.asked.append(address)


def peer(valid=False):
    addresses = st.sampled_from(['172.18.0.3', '172.18.0.4', '10.9.9.9', 'db-1']) if valid else space.address()
    entry = st.fixed_dictionaries(
        {'address': addresses},
        optional={'name': st.sampled_from(['db-1', 'media-1']) if valid else st.one_of(st.text(max_size=4), st.none()),
                  'mtu': space.in_range(MTU) if valid else space.number_for(MTU)}
        if valid else {'name': st.one_of(st.text(max_size=4), st.none()), 'mtu': space.number_for(MTU),
                       'port': st.integers()})
    return st.one_of(addresses, entry)


ARGS = space.arguments(OPTIONS, module.RULES, {'peers': st.one_of(st.lists(peer(), max_size=4), space.junk())})
VALID_ARGS = space.arguments(OPTIONS, module.RULES, {'peers': st.lists(peer(True), min_size=1, max_size=4)},
                             valid=True)
BASE = {'peers': [{'address': '172.18.0.3'}], 'fail_on': 'never'}
# hypothesis examples per test
COUNTS = {'any': 150, 'valid': 100, 'refused': 80, 'accepted': 40}


def run(args):
    FakeHost.asked = []
    return space.run(module, args, [mock.patch.object(module, 'Collector', FakeHost)])


def check(args, result, failed, guard, cpu):
    outcome = space.check_contract(NAME, result, failed, guard, cpu, args, NAMES, max_sleep=3.0)
    if outcome == 'refused':
        assert FakeHost.asked == [], 'probed before refusing: %r' % FakeHost.asked
    else:
        assert len(result['peers']) == len(check_type_list(args['peers']))  # ansible-core splits 'a,b'
        for address in FakeHost.asked:
            assert space.is_address_syntax(address), address
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
    value = data.draw(space.out_of_range(module.RULES[key]))
    args = copy.deepcopy(BASE)
    path = space.set_path(args, key, value)
    result, failed, guard, _cpu = run(args)
    assert failed and result['msg'].startswith('%s: %s=' % (NAME, path)), result.get('msg')
    assert FakeHost.asked == [] and not guard.network


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
def test_malformed_addresses_are_refused_before_anything_is_resolved(address):
    result, failed, guard, _cpu = run(dict(peers=['172.18.0.3', {'address': address}]))
    assert failed and result['msg'].startswith('%s: peers[1].address=' % NAME), result['msg']
    assert result['msg'].endswith(' is not an IP address or a host name; set it to one (for example 10.0.0.11).')
    assert FakeHost.asked == [] and not guard.network


@pytest.mark.parametrize('args,msg', [
    (dict(peers=[]), 'peers is empty; give at least 1 peer.'),
    (dict(peers=['172.18.0.3'] * 257), 'peers has 257 entries; give at most 256.'),
    (dict(peers=[{'address': '172.18.0.3', 'mtu': 0}]), 'peers[0].mtu=0 is out of range; set it to an integer '
                                                        'from 68 to 65535.'),
    (dict(peers=[{'address': '172.18.0.3', 'mtu': '1500.5'}]), "peers[0].mtu='1500.5' is not a whole number"),
    (dict(peers=['172.18.0.3'], timeout=float('inf')), 'timeout=inf is not a finite number'),
    (dict(peers=['172.18.0.3'], vlan_id=4095), 'vlan_id=4095 is out of range; set it to an integer from 1 to 4094.'),
    (dict(peers=['172.18.0.3'] * 200, timeout=30), '200 peers x (timeout=30.0 + 1) s could take 6200 s'),
    (dict(peers=[5]), 'peers[0]=5 is neither an address nor a dict with an address.'),
    (dict(peers=[['10.0.0.1']]), "peers[0]=['10.0.0.1'] is neither an address nor a dict"),
])
def test_issue_cases(args, msg):
    result, failed, guard, _cpu = run(args)
    assert failed and 'checks' not in result and FakeHost.asked == [] and not guard.network
    assert result['msg'].startswith('%s: %s' % (NAME, msg)), result['msg']
