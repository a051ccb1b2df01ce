# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.voiceops.platform.plugins.module_utils import _voiceops_net as net

IP_ADDR = json.dumps([
    {"ifindex": 1, "ifname": "lo", "mtu": 65536, "addr_info": [
        {"family": "inet", "local": "127.0.0.1", "prefixlen": 8, "scope": "host"},
        {"family": "inet6", "local": "::1", "prefixlen": 128, "scope": "host"}]},
    {"ifindex": 12, "ifname": "eth0", "link_index": 13, "mtu": 1500, "addr_info": [
        {"family": "inet", "local": "172.18.0.2", "prefixlen": 16, "broadcast": "172.18.255.255", "scope": "global"},
        {"family": "inet6", "local": "fe80::42:acff:fe12:2", "prefixlen": 64, "scope": "link"}]},
    {"ifindex": 14, "ifname": "eth0.20", "mtu": 1496, "addr_info": [
        {"family": "inet", "local": "10.20.0.5", "prefixlen": 24, "scope": "global"}]},
    {"ifindex": 15, "ifname": "down0", "mtu": 1500, "addr_info": []},
])

IP_LINK = json.dumps([
    {"ifindex": 1, "ifname": "lo", "mtu": 65536, "operstate": "UNKNOWN", "link_type": "loopback"},
    {"ifindex": 12, "ifname": "eth0", "mtu": 1500, "operstate": "UP", "link_index": 13,
     "linkinfo": {"info_kind": "veth"}},
    {"ifindex": 14, "ifname": "eth0.20", "link": "eth0", "mtu": 1496, "operstate": "UP",
     "linkinfo": {"info_kind": "vlan", "info_data": {"protocol": "802.1Q", "id": 20, "flags": ["REORDER_HDR"]}}},
])


class TestPortSpecs:
    @pytest.mark.parametrize('spec,expected', [
        ('5060/udp', (5060, 5060, 'udp', '5060/udp')),
        ('443', (443, 443, 'tcp', '443/tcp')),
        (80, (80, 80, 'tcp', '80/tcp')),
        ('10000-50000/UDP', (10000, 50000, 'udp', '10000-50000/udp')),
        (' 20000 - 20046 / udp ', (20000, 20046, 'udp', '20000-20046/udp')),
        ('7-7/tcp', (7, 7, 'tcp', '7/tcp')),
    ])
    def test_valid(self, spec, expected):
        parsed = net.parse_port_spec(spec)
        assert (parsed['start'], parsed['end'], parsed['proto'], parsed['spec']) == expected

    @pytest.mark.parametrize('spec', ['', 'abc', '5060/sctp', '0', '70000/udp', '50-10', '1-2-3', None, True, 5.5,
                                      '80/tcp/udp', ['80']])
    def test_invalid(self, spec):
        with pytest.raises(ValueError):
            net.parse_port_spec(spec)


class TestSampling:
    def test_rtp_range_has_both_ends_and_sample(self):
        ports = net.sample_port_range(10000, 50000, 8)
        assert ports[0] == 10000 and ports[-1] == 50000
        assert len(ports) == 10
        assert ports == sorted(set(ports))
        assert all(10000 <= p <= 50000 for p in ports)

    def test_deterministic(self):
        assert net.sample_port_range(10000, 50000, 8) == net.sample_port_range(10000, 50000, 8)
        assert net.sample_port_range(10000, 50000, 8) == [10000, 14444, 18889, 23333, 27778, 32222, 36667,
                                                          41111, 45556, 50000]

    def test_small_range_probes_everything(self):
        assert net.sample_port_range(20000, 20009, 8) == list(range(20000, 20010))
        assert net.sample_port_range(5, 5, 8) == [5]

    def test_zero_sample_is_the_ends(self):
        assert net.sample_port_range(10000, 50000, 0) == [10000, 50000]

    def test_invalid(self):
        with pytest.raises(ValueError):
            net.sample_port_range(10, 5, 3)
        with pytest.raises(ValueError):
            net.sample_port_range(1, 500, -1)

    def test_expand(self):
        pairs, ranges = net.expand_port_specs(['5060/udp', '5060/tcp', '443', '10000-50000/udp', '5060/udp'], 2)
        assert (5060, 'udp') in pairs and (5060, 'tcp') in pairs and (443, 'tcp') in pairs
        assert len([p for p in pairs if p == (5060, 'udp')]) == 1
        assert ranges == [{'range': '10000-50000/udp', 'size': 40001, 'probed': 4,
                           'ports': [10000, 23333, 36667, 50000]}]
        assert len(pairs) == 3 + 4
        assert pairs[0][1] == 'tcp'

    def test_expand_invalid(self):
        with pytest.raises(ValueError):
            net.expand_port_specs(['5060/xyz'], 2)

    def test_port_key(self):
        assert net.port_key(5060, 'udp') == '5060/udp'


class TestSubnets:
    def test_parse_ip_addr(self):
        addrs = net.parse_ip_addr(IP_ADDR)
        assert {'ifname': 'eth0', 'address': '172.18.0.2', 'prefixlen': 16, 'family': 'inet',
                'scope': 'global', 'mtu': 1500} in addrs
        assert len(addrs) == 5

    def test_same_subnet(self):
        matches = net.subnet_matches('172.18.0.3', net.parse_ip_addr(IP_ADDR))
        assert [(m['ifname'], m['network']) for m in matches] == [('eth0', '172.18.0.0/16')]

    def test_other_subnet(self):
        assert net.subnet_matches('172.19.0.3', net.parse_ip_addr(IP_ADDR)) == []

    def test_vlan_subnet(self):
        matches = net.subnet_matches('10.20.0.250', net.parse_ip_addr(IP_ADDR))
        assert [m['ifname'] for m in matches] == ['eth0.20']

    def test_loopback_ignored(self):
        assert net.subnet_matches('127.0.0.5', net.parse_ip_addr(IP_ADDR)) == []

    def test_ipv6_link_local(self):
        matches = net.subnet_matches('fe80::1', net.parse_ip_addr(IP_ADDR))
        assert [m['ifname'] for m in matches] == ['eth0']

    def test_invalid_peer(self):
        with pytest.raises(ValueError):
            net.subnet_matches('db-1.example', net.parse_ip_addr(IP_ADDR))

    def test_bad_local_entries_skipped(self):
        assert net.subnet_matches('10.0.0.1', [{'ifname': 'x', 'address': 'junk', 'prefixlen': 8}]) == []

    def test_is_local(self):
        addrs = net.parse_ip_addr(IP_ADDR)
        assert net.is_local_address('172.18.0.2', addrs)
        assert not net.is_local_address('172.18.0.3', addrs)

    @pytest.mark.parametrize('text', ['', 'not json', '{"a": 1}', 'null'])
    def test_malformed(self, text):
        with pytest.raises(ValueError):
            net.parse_ip_addr(text)

    def test_entries_without_address_skipped(self):
        assert net.parse_ip_addr('[{"ifname": "x", "addr_info": [{"family": "inet"}]}, 5]') == []


class TestRoutes:
    def test_direct(self):
        route = net.parse_route_get('[{"dst":"172.18.0.3","dev":"eth0","prefsrc":"172.18.0.2","flags":[],'
                                    '"uid":0,"cache":[]}]')
        assert route == {'dst': '172.18.0.3', 'dev': 'eth0', 'gateway': None, 'prefsrc': '172.18.0.2',
                         'type': 'unicast'}

    def test_via_gateway(self):
        route = net.parse_route_get('[{"dst":"172.19.0.3","gateway":"172.18.0.1","dev":"eth0",'
                                    '"prefsrc":"172.18.0.2","flags":[],"uid":0,"cache":[]}]')
        assert route['gateway'] == '172.18.0.1'

    def test_local(self):
        route = net.parse_route_get('[{"type":"local","dst":"127.0.0.1","dev":"lo","prefsrc":"127.0.0.1"}]')
        assert route['type'] == 'local'

    @pytest.mark.parametrize('text', ['[]', 'RTNETLINK answers: Network is unreachable', '', '{}'])
    def test_malformed(self, text):
        with pytest.raises(ValueError):
            net.parse_route_get(text)


class TestNeighbours:
    def test_reachable(self):
        entries = net.parse_neigh('[{"dst":"172.18.0.3","dev":"eth0","lladdr":"02:42:ac:12:00:03",'
                                  '"state":["REACHABLE"]}]', '172.18.0.3')
        assert entries[0]['resolved'] and entries[0]['lladdr'] == '02:42:ac:12:00:03'

    def test_failed(self):
        entries = net.parse_neigh('[{"dst":"172.18.0.9","dev":"eth0","state":["FAILED"]}]')
        assert not entries[0]['resolved']

    def test_incomplete_and_string_state(self):
        entries = net.parse_neigh('[{"dst":"172.18.0.9","dev":"eth0","state":"INCOMPLETE"}]')
        assert entries[0]['state'] == ['INCOMPLETE'] and not entries[0]['resolved']

    def test_filter(self):
        text = ('[{"dst":"172.18.0.3","dev":"eth0","lladdr":"02:42:ac:12:00:03","state":["STALE"]},'
                '{"dst":"172.18.0.4","dev":"eth0","lladdr":"02:42:ac:12:00:04","state":["STALE"]}]')
        assert [e['dst'] for e in net.parse_neigh(text, '172.18.0.4')] == ['172.18.0.4']

    def test_empty(self):
        assert net.parse_neigh('[]') == []

    def test_malformed(self):
        with pytest.raises(ValueError):
            net.parse_neigh('garbage')


class TestLinks:
    def test_vlan(self):
        links = net.parse_link_details(IP_LINK)
        assert links['eth0.20']['vlan_id'] == 20
        assert links['eth0.20']['vlan_protocol'] == '802.1Q'
        assert links['eth0.20']['mtu'] == 1496
        assert links['eth0']['kind'] == 'veth' and links['eth0']['vlan_id'] is None
        assert links['lo']['kind'] is None

    def test_malformed(self):
        with pytest.raises(ValueError):
            net.parse_link_details('{')
        assert net.parse_link_details('[{"mtu": 1500}]') == {}


class TestTtl:
    @pytest.mark.parametrize('ttl,expected', [
        (64, (64, 0)), (63, (64, 1)), (128, (128, 0)), (127, (128, 1)), (255, (255, 0)), (250, (255, 5)),
        (1, (64, 63)), (0, (None, None)), (256, (None, None)), (None, (None, None)), ('64', (None, None)),
        (True, (None, None)),
    ])
    def test_hops(self, ttl, expected):
        assert net.initial_ttl_hops(ttl) == expected


SS_OUTPUT = """\
tcp   LISTEN 0      511          0.0.0.0:80         0.0.0.0:*    users:(("nginx",pid=812,fd=6),("nginx",pid=813,fd=6))
tcp   LISTEN 0      4096   127.0.0.53%lo:53         0.0.0.0:*    users:(("systemd-resolve",pid=300,fd=14))
tcp   LISTEN 0      128             [::]:22            [::]:*    users:(("sshd",pid=500,fd=4))
udp   UNCONN 0      0            0.0.0.0:5060       0.0.0.0:*    users:(("opensips",pid=99,fd=7))
udp   UNCONN 0      0                  *:10000            *:*
tcp   LISTEN 0      128          0.0.0.0:2024       0.0.0.0:*
garbage line
tcp   LISTEN 0      128          nocolon            0.0.0.0:*
"""


class TestSs:
    def test_parse(self):
        entries = net.parse_ss(SS_OUTPUT)
        assert {'proto': 'tcp', 'address': '0.0.0.0', 'port': 80,
                'processes': [{'name': 'nginx', 'pid': 812}, {'name': 'nginx', 'pid': 813}]} in entries
        assert {'proto': 'tcp', 'address': '127.0.0.53', 'port': 53,
                'processes': [{'name': 'systemd-resolve', 'pid': 300}]} in entries
        assert {'proto': 'tcp', 'address': '::', 'port': 22, 'processes': [{'name': 'sshd', 'pid': 500}]} in entries
        assert {'proto': 'udp', 'address': '*', 'port': 10000, 'processes': []} in entries
        assert len(entries) == 6

    def test_header_and_empty(self):
        assert net.parse_ss('Netid State Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n') == []
        assert net.parse_ss('') == []
        assert net.parse_ss(None) == []

    def test_index(self):
        index = net.listeners_by_port(net.parse_ss(SS_OUTPUT))
        assert index[(80, 'tcp')] == ['nginx (pid 812)', 'nginx (pid 813)']
        assert index[(5060, 'udp')] == ['opensips (pid 99)']
        assert index[(10000, 'udp')] == []
        assert (5060, 'tcp') not in index


PROC_TCP = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 31337 1 0000000000000000 100 0 0 10 0
   1: 0100007F:0035 00000000:0000 0A 00000000:00000000 00:00000000 00000000   101        0 2222 1 0000000000000000 100 0 0 10 0
   2: 020012AC:0050 030012AC:D2A4 01 00000000:00000000 00:00000000 00000000     0        0 4444 1 0000000000000000 20 4 30 10 -1
   3: broken
"""

PROC_UDP = """\
   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  100: 00000000:13C4 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 5555 2 0000000000000000 0
  101: 020012AC:A1B2 030012AC:0035 01 00000000:00000000 00:00000000 00000000     0        0 6666 2 0000000000000000 0
  102: 00000000:XYZ1 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 7777 2 0000000000000000 0
"""


class TestProcNet:
    def test_tcp_listeners_only(self):
        assert net.parse_proc_net(PROC_TCP, 'tcp') == [
            {'proto': 'tcp', 'port': 80, 'inode': 31337}, {'proto': 'tcp', 'port': 53, 'inode': 2222}]

    def test_udp_unconnected_only(self):
        assert net.parse_proc_net(PROC_UDP, 'udp') == [{'proto': 'udp', 'port': 5060, 'inode': 5555}]

    def test_empty(self):
        assert net.parse_proc_net('', 'tcp') == []
        assert net.parse_proc_net(None, 'udp') == []
