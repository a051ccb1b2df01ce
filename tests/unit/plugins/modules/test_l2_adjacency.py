# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.voiceops.platform.plugins.module_utils import _voiceops_net as net
from ansible_collections.voiceops.platform.plugins.modules import l2_adjacency as l2

ADDR = json.dumps([
    {"ifname": "lo", "mtu": 65536, "addr_info": [{"family": "inet", "local": "127.0.0.1", "prefixlen": 8,
                                                  "scope": "host"}]},
    {"ifname": "eth0", "mtu": 1500, "addr_info": [{"family": "inet", "local": "172.18.0.2", "prefixlen": 16,
                                                   "scope": "global"}]},
])
LINK = json.dumps([
    {"ifname": "lo", "mtu": 65536},
    {"ifname": "eth0", "mtu": 1500, "linkinfo": {"info_kind": "veth"}},
])
ROUTES = {
    '172.18.0.3': '[{"dst":"172.18.0.3","dev":"eth0","prefsrc":"172.18.0.2","flags":[],"uid":0,"cache":[]}]',
    '172.19.0.3': '[{"dst":"172.19.0.3","gateway":"172.18.0.1","dev":"eth0","prefsrc":"172.18.0.2"}]',
    '172.18.0.9': '[{"dst":"172.18.0.9","dev":"eth0","prefsrc":"172.18.0.2"}]',
}
NEIGH = {
    '172.18.0.3': '[{"dst":"172.18.0.3","dev":"eth0","lladdr":"02:42:ac:12:00:03","state":["REACHABLE"]}]',
    '172.19.0.3': '[]',
    '172.18.0.9': '[{"dst":"172.18.0.9","dev":"eth0","state":["FAILED"]}]',
}
TTL = {'172.18.0.3': (64, None), '172.19.0.3': (63, None), '172.18.0.9': (None, 'no reply')}


class FakeCollector(object):
    def __init__(self, module=None):
        self.module = module

    def run_json(self, args):
        if args[:2] == ['addr', 'show']:
            return ADDR
        if args[:3] == ['-d', 'link', 'show']:
            return LINK
        if args[:2] == ['route', 'get']:
            if args[2] not in ROUTES:
                raise ValueError('ip -j route get failed: Network is unreachable')
            return ROUTES[args[2]]
        if args[:2] == ['neigh', 'show']:
            return NEIGH.get(args[2], '[]')
        raise AssertionError(args)

    def echo(self, address, timeout):
        return TTL.get(address, (None, 'no reply'))

    def poke(self, address):
        pass


def facts_for(address, **peer):
    peer = dict({'address': address, 'name': address, 'mtu': None}, **peer)
    return l2.collect(FakeCollector(), peer, net.parse_ip_addr(ADDR), net.parse_link_details(LINK), True, 0.1)


class TestNormalizePeers:
    def test_strings_and_dicts(self):
        assert l2.normalize_peers(['10.0.0.1', {'address': '10.0.0.2', 'name': 'db', 'mtu': '1500'}]) == [
            {'address': '10.0.0.1', 'name': '10.0.0.1', 'mtu': None},
            {'address': '10.0.0.2', 'name': 'db', 'mtu': 1500}]

    @pytest.mark.parametrize('bad', [[{}], [5], [{'address': '1.2.3.4', 'port': 1}], [{'address': 'x', 'mtu': 'big'}]])
    def test_invalid(self, bad):
        with pytest.raises(ValueError):
            l2.normalize_peers(bad)


class TestEvaluate:
    def test_adjacent(self):
        status, adjacent, reasons = l2.evaluate_peer(facts_for('172.18.0.3'))
        assert (status, adjacent) == ('pass', True)
        assert reasons == ['same subnet 172.18.0.0/16 on eth0', 'direct route on eth0',
                           'neighbour 02:42:ac:12:00:03 (REACHABLE)', 'reply TTL 64 (0 router hops)']

    def test_other_subnet_routed(self):
        status, adjacent, reasons = l2.evaluate_peer(facts_for('172.19.0.3'))
        assert (status, adjacent) == ('fail', False)
        assert 'no local interface has a subnet containing 172.19.0.3' in reasons
        assert 'routed via gateway 172.18.0.1 on eth0' in reasons
        assert 'reply TTL 63: 1 router hop(s)' in reasons
        assert not any('ARP' in r for r in reasons)

    def test_no_neighbour_answer(self):
        status, _adjacent, reasons = l2.evaluate_peer(facts_for('172.18.0.9'))
        assert status == 'fail'
        assert 'no ARP/NDP answer from 172.18.0.9 (neighbour FAILED)' in reasons
        assert any(r.startswith('no ICMP echo reply') for r in reasons)

    def test_icmp_silence_is_only_a_warning(self):
        facts = facts_for('172.18.0.3')
        facts['reply_ttl'] = None
        facts['icmp_error'] = 'no reply'
        status, adjacent, reasons = l2.evaluate_peer(facts)
        assert (status, adjacent) == ('warn', True)
        assert reasons == ['no ICMP echo reply (no reply): TTL not checked']

    def test_mtu(self):
        assert l2.evaluate_peer(facts_for('172.18.0.3', mtu=1500))[0] == 'pass'
        status, _adj, reasons = l2.evaluate_peer(facts_for('172.18.0.3', mtu=9000))
        assert status == 'fail' and reasons == ['MTU mismatch: local 1500, peer 9000']

    def test_vlan(self):
        facts = facts_for('172.18.0.3')
        assert l2.evaluate_peer(facts, 20)[0] == 'warn'  # veth: VLAN not visible
        facts['vlan_id'] = 20
        assert l2.evaluate_peer(facts, 20)[0] == 'pass'
        facts['vlan_id'] = 30
        status, _adj, reasons = l2.evaluate_peer(facts, 20)
        assert status == 'fail' and reasons == ['VLAN 30 on eth0, expected 20']

    def test_self_and_invalid(self):
        assert l2.evaluate_peer(facts_for('172.18.0.2'))[0:2] == ('pass', True)
        status, adjacent, reasons = l2.evaluate_peer(facts_for('db-1.invalid'))
        assert (status, adjacent) == ('fail', False) and 'invalid peer address' in reasons[0]

    def test_host_name_is_resolved(self):
        facts = facts_for('localhost')
        assert facts['address'] == '127.0.0.1' and facts['self']

    def test_no_route(self):
        status, _adj, reasons = l2.evaluate_peer(facts_for('172.18.0.77'))
        assert status == 'fail' and any(r.startswith('no route:') for r in reasons)

    def test_several_interfaces_and_wrong_dev(self):
        facts = {'address': '10.0.0.5', 'subnet_matches': [
            {'ifname': 'eth0', 'network': '10.0.0.0/24'}, {'ifname': 'eth1', 'network': '10.0.0.0/16'}],
            'route_dev': 'eth0', 'route_gateway': None}
        assert l2.evaluate_peer(facts)[0] == 'warn'
        facts = {'address': '10.0.0.5', 'subnet_matches': [{'ifname': 'eth1', 'network': '10.0.0.0/24'}],
                 'route_dev': 'eth0', 'route_gateway': None}
        status, _adj, reasons = l2.evaluate_peer(facts)
        assert status == 'fail' and reasons == ['route leaves on eth0, not on the subnet interface eth1']

    def test_without_probe(self):
        peer = {'address': '172.18.0.9', 'name': 'x', 'mtu': None}
        facts = l2.collect(FakeCollector(), peer, net.parse_ip_addr(ADDR), net.parse_link_details(LINK), False, 0.1)
        assert l2.evaluate_peer(facts)[0] == 'pass'


def test_peer_check_and_result():
    facts = facts_for('172.19.0.3', name='db-2')
    status, adjacent, reasons = l2.evaluate_peer(facts)
    check = l2.peer_check(facts, status, reasons)
    assert check['status'] == 'fail' and check['subject'] == 'db-2 (172.19.0.3)'
    assert 'same VLAN' in check['fix']
    result = l2.peer_result(facts, status, adjacent, reasons)
    assert result['route_gateway'] == '172.18.0.1' and result['router_hops'] == 1 and result['interface'] is None


def test_main(run_module, monkeypatch):
    monkeypatch.setattr(l2, 'Collector', FakeCollector)
    monkeypatch.setattr(l2.time, 'sleep', lambda s: None)
    result, failed = run_module(l2, dict(peers=['172.18.0.3', {'name': 'other', 'address': '172.19.0.3'}]))
    assert failed
    assert 'l2_adjacency [other (172.19.0.3)]' in result['msg']
    assert [p['status'] for p in result['peers']] == ['pass', 'fail']
    assert result['interfaces']['eth0']['kind'] == 'veth'
    result, failed = run_module(l2, dict(peers=['172.18.0.3']))
    assert not failed and result['verdict'] == 'pass' and result['changed'] is False
    result, failed = run_module(l2, dict(peers=[{'name': 'x'}]))
    assert failed and 'address' in result['msg']
