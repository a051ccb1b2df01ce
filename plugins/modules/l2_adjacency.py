#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: l2_adjacency
short_description: Decide whether peers are on this host's L2 segment (same VLAN, nothing routed in between)
version_added: 0.1.0
description:
  - For every peer, collects evidence from iproute2's JSON output and one probe, and gives a verdict with
    the reasons. The peer is adjacent when all of these hold
  - 1. Same subnet - exactly one local interface has an address whose prefix contains the peer
    (C(ip -j addr show); subnet arithmetic with Python's C(ipaddress), so targets need no extra package).
  - 2. Direct route - C(ip -j route get PEER) names that interface and no gateway.
  - 3. Neighbour entry - after a UDP datagram and an ICMP echo to the peer, C(ip -j neigh show PEER) holds its
    link-layer address (state REACHABLE, STALE, DELAY or PROBE; FAILED or INCOMPLETE means no ARP/NDP answer).
  - '4. No TTL decrement - heuristic: the echo reply TTL is compared with the usual initial values 64 (Linux),
    128 (Windows) and 255 (network devices); the difference to the nearest one above is the number of router
    hops. A Linux peer on the same segment answers with TTL 64. A peer whose stack starts elsewhere (a
    hypervisor rewriting TTL, custom C(net.ipv4.ip_default_ttl)) can mislead it; when no reply comes (ICMP
    blocked) the criterion is a warning, not a failure.'
  - 5. Matching MTU - when the peer's MTU is given (the peer's C(mtu)), it must equal the local interface MTU;
    otherwise only the local MTU is reported.
  - 6. 802.1Q VLAN - when the interface is a VLAN interface (C(ip -j -d link show), C(linkinfo.info_kind=vlan)),
    its id (C(info_data.id)) is reported and compared with O(vlan_id). An untagged interface (VLAN set by the
    switch or hypervisor) cannot show it; the comparison is then a warning.
  - The probe uses C(ping -c 1) when installed, else an ICMP socket (unprivileged datagram ICMP, or a raw socket
    as root).
  - Every option is checked before anything is resolved or sent - numbers finite and inside their range, addresses
    well formed, at least one peer, and the probes bounded to 600 s (about O(timeout) + 1 s per peer); a bad value
    fails the module with one message per problem naming the option (V(peers[1].mtu)).
options:
  peers:
    description:
      - The peers, each an address string or a dict with C(address) (required), C(name) and C(mtu).
      - An address is an IP address or a host name, resolved on the host (first IPv4 address); 1 to 256 peers.
      - 'C(mtu) range: an integer from 68 to 65535.'
    type: list
    elements: raw
    required: true
  probe:
    description: Send the UDP datagram and ICMP echo (neighbour entry and TTL criteria). Without it they are skipped.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for the echo reply.
      - 'Range: a number from 0.1 to 30.'
    type: float
    default: 1.0
  vlan_id:
    description:
      - The 802.1Q VLAN id the interface towards the peers must have.
      - 'Range: an integer from 1 to 4094.'
    type: int
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - voiceops.platform.preflight
attributes:
  check_mode:
    support: full
    details: Reads iproute2 state and sends one datagram and one echo per peer; the same in check mode, never a change.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: debian
    description: Debian 12 with iproute2 (JSON output, C(ip -j)).
requirements:
  - iproute2 with JSON output (C(ip -j)), standard on Debian 12.
seealso:
  - module: voiceops.platform.port_probe
author:
  - voiceops.platform maintainers (@voiceops)
'''

EXAMPLES = r'''
- name: Every server is on the same VLAN as every other one
  voiceops.platform.l2_adjacency:
    peers: >-
      {{ groups['voiceops'] | difference([inventory_hostname])
         | map('extract', hostvars, 'voiceops_private_address') | list }}
    fail_on: never
  register: preflight_l2

- name: With names, peer MTUs and the expected VLAN
  voiceops.platform.l2_adjacency:
    peers:
      - {name: db-1, address: 10.20.0.12, mtu: 1500}
      - {name: app-1, address: 10.20.0.13, mtu: 1500}
    vlan_id: 20
'''

RETURN = r'''
peers:
  description: Per peer, the facts and the verdict.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Peer name (address when none was given).
      type: str
    address:
      description: Peer address.
      type: str
    adjacent:
      description: Whether no criterion failed (warnings allowed).
      type: bool
    status:
      description: V(pass), V(warn) or V(fail).
      type: str
    reasons:
      description: The criteria that did not pass, or all of them when every one passed.
      type: list
      elements: str
    interface:
      description: Local interface whose subnet holds the peer.
      type: str
    local_address:
      description: Local address on that subnet, with its prefix length.
      type: str
    network:
      description: The shared subnet.
      type: str
    route_dev:
      description: Interface of C(ip route get).
      type: str
    route_gateway:
      description: Gateway of C(ip route get), null when the route is direct.
      type: str
    neighbour_state:
      description: Neighbour states after the probe.
      type: list
      elements: str
    neighbour_lladdr:
      description: The peer's link-layer (MAC) address.
      type: str
    reply_ttl:
      description: TTL of the echo reply.
      type: int
    router_hops:
      description: Router hops estimated from the TTL.
      type: int
    local_mtu:
      description: MTU of the local interface.
      type: int
    peer_mtu:
      description: MTU given for the peer.
      type: int
    vlan_id:
      description: 802.1Q id of the local interface, null when it is not a VLAN interface.
      type: int
    link_kind:
      description: Kind of the local interface (V(vlan), V(bridge), V(veth)), null for a plain NIC.
      type: str
  sample:
    - name: db-1
      address: 172.18.0.3
      adjacent: true
      status: pass
      reasons: [same subnet 172.18.0.0/16 on eth0, direct route on eth0, neighbour 02:42:ac:12:00:03 (REACHABLE),
                reply TTL 64 (0 router hops)]
      interface: eth0
      local_address: 172.18.0.2/16
      network: 172.18.0.0/16
      route_dev: eth0
      route_gateway: null
      neighbour_state: [REACHABLE]
      neighbour_lladdr: 02:42:ac:12:00:03
      reply_ttl: 64
      router_hops: 0
      local_mtu: 1500
      peer_mtu: null
      vlan_id: null
      link_kind: veth
interfaces:
  description: Local interfaces with MTU, kind and VLAN id, from C(ip -j -d link show).
  returned: always
  type: dict
  sample: {eth0: {mtu: 1500, kind: veth, vlan_id: null, vlan_protocol: null, link: null, operstate: UP}}
checks:
  description: One record per peer (name C(l2_adjacency), status, measured, required, message, fix, subject).
  returned: always
  type: list
  elements: dict
verdict:
  description: Worst status of the checks.
  returned: always
  type: str
failures:
  description: The checks with status fail.
  returned: always
  type: list
  elements: dict
warnings_list:
  description: The checks with status warn.
  returned: always
  type: list
  elements: dict
'''

import ipaddress
import socket
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.voiceops.platform.plugins.module_utils._voiceops_checks import (
    FAIL,
    FAIL_ON_CHOICES,
    PASS,
    SKIP,
    WARN,
    failure_message,
    make_check,
    should_fail,
    worst_status,
    summarize,
)
from ansible_collections.voiceops.platform.plugins.module_utils._voiceops_net import (
    initial_ttl_hops,
    is_local_address,
    parse_ip_addr,
    parse_link_details,
    parse_neigh,
    parse_route_get,
    subnet_matches,
)
from ansible_collections.voiceops.platform.plugins.module_utils._voiceops_ping import parse_ping_output
from ansible_collections.voiceops.platform.plugins.module_utils._voiceops_probe import icmp_ping
from ansible_collections.voiceops.platform.plugins.module_utils._voiceops_validate import (
    Number,
    address_problem,
    check_options,
    count_problem,
    fail,
    start_module,
)

# The range of every numeric option (documented as "Range: ..." in DOCUMENTATION);
# peers.mtu is the C(mtu) key of a peer.
RULES = {
    'timeout': Number(0.1, 30),
    'vlan_id': Number(1, 4094, integer=True),
    'peers.mtu': Number(68, 65535, integer=True),
}
MAX_PEERS = 256
# The longest the probes may take: about timeout + 1 s (the neighbour table polls) per peer, one after another.
MAX_PROBE_SECONDS = 600


def normalize_peers(peers):
    """Peers as dicts with name, address and mtu.

    Raises ValueError with one sentence per bad entry, each naming it as the
    user wrote it (``peers[1].mtu``); addresses are checked for syntax only,
    nothing is resolved.
    """
    result = []
    problems = []
    for index, peer in enumerate(peers or []):
        path = 'peers[%d]' % index
        if isinstance(peer, str):
            peer = {'address': peer}
            address_path = path
        else:
            address_path = path + '.address'
        if not isinstance(peer, dict):
            problems.append('%s=%r is neither an address nor a dict with an address.' % (path, peer))
            continue
        unknown = set(peer) - set(['address', 'name', 'mtu'])
        if unknown:
            problems.append('%s has unknown keys %s; use address, name, mtu.' % (
                path, ', '.join(sorted(str(k) for k in unknown))))
        problem = address_problem(address_path, peer.get('address'))
        if problem:
            problems.append(problem)
            continue
        mtu = peer.get('mtu')
        if mtu is not None:
            mtu, problem = RULES['peers.mtu'].check(path + '.mtu', mtu)
            if problem:
                problems.append(problem)
        address = peer['address'].strip()
        result.append({'address': address, 'name': str(peer.get('name') or address), 'mtu': mtu})
    if problems:
        raise ValueError(' '.join(problems))
    return result


def evaluate_peer(facts, expected_vlan=None):
    """Verdict for one peer from its collected facts (pure).

    Returns (status, adjacent, reasons); each criterion contributes a status
    and a reason line, and the status is the worst of them.
    """
    results = []
    if facts.get('self'):
        return PASS, True, ['%s is an address of this host' % facts['address']]
    if facts.get('error'):
        return FAIL, False, [facts['error']]
    matches = facts.get('subnet_matches') or []
    if not matches:
        results.append((FAIL, 'no local interface has a subnet containing %s' % facts['address']))
    elif len(set(m['ifname'] for m in matches)) > 1:
        results.append((WARN, 'subnet found on several interfaces: %s' % ', '.join(
            sorted(set(m['ifname'] for m in matches)))))
    else:
        results.append((PASS, 'same subnet %s on %s' % (matches[0]['network'], matches[0]['ifname'])))
    gateway = facts.get('route_gateway')
    dev = facts.get('route_dev')
    subnet_ifs = set(m['ifname'] for m in matches)
    if facts.get('route_error'):
        results.append((FAIL, 'no route: %s' % facts['route_error']))
    elif gateway:
        results.append((FAIL, 'routed via gateway %s on %s' % (gateway, dev)))
    elif matches and dev not in subnet_ifs:
        results.append((FAIL, 'route leaves on %s, not on the subnet interface %s' % (dev, ', '.join(sorted(subnet_ifs)))))
    else:
        results.append((PASS, 'direct route on %s' % dev))
    if facts.get('probed'):
        if gateway:
            pass  # the neighbour entry would be the gateway's, not the peer's
        elif facts.get('neighbour_resolved'):
            states = ','.join(facts.get('neighbour_state') or [])
            results.append((PASS, 'neighbour %s (%s)' % (facts.get('neighbour_lladdr'), states)))
        else:
            state = ','.join(facts.get('neighbour_state') or []) or 'no entry'
            results.append((FAIL, 'no ARP/NDP answer from %s (neighbour %s)' % (facts['address'], state)))
        ttl = facts.get('reply_ttl')
        _initial, hops = initial_ttl_hops(ttl)
        if ttl is None:
            results.append((WARN, 'no ICMP echo reply%s: TTL not checked' % (
                ' (%s)' % facts['icmp_error'] if facts.get('icmp_error') else '')))
        elif hops:
            results.append((FAIL, 'reply TTL %d: %d router hop(s)' % (ttl, hops)))
        else:
            results.append((PASS, 'reply TTL %d (0 router hops)' % ttl))
    peer_mtu = facts.get('peer_mtu')
    local_mtu = facts.get('local_mtu')
    if peer_mtu is not None:
        if local_mtu != peer_mtu:
            results.append((FAIL, 'MTU mismatch: local %s, peer %s' % (local_mtu, peer_mtu)))
        else:
            results.append((PASS, 'MTU %s on both ends' % local_mtu))
    if expected_vlan is not None:
        vlan = facts.get('vlan_id')
        if vlan is None:
            results.append((WARN, 'interface %s is not an 802.1Q VLAN interface: VLAN %d not verifiable here '
                                  '(untagged, set by the switch or hypervisor)' % (dev, expected_vlan)))
        elif vlan != expected_vlan:
            results.append((FAIL, 'VLAN %s on %s, expected %d' % (vlan, dev, expected_vlan)))
        else:
            results.append((PASS, 'VLAN %d' % vlan))
    status = worst_status([r[0] for r in results])
    failing = [r[1] for r in results if r[0] in (FAIL, WARN)]
    reasons = failing if failing else [r[1] for r in results]
    return status, status != FAIL, reasons


def peer_check(facts, status, reasons):
    """The check record of one peer."""
    fix = ''
    if status == FAIL:
        fix = ('put %s and this host in the same VLAN and subnet, with no router or filtering in between '
               '(seed: "Virtual machines 1-3 must operate within the same VLAN")' % facts['name'])
    elif status == WARN:
        fix = 'allow ICMP echo between the servers, or verify the VLAN on the switch/hypervisor'
    return make_check('l2_adjacency', status if status != SKIP else PASS, 'adjacent' if status != FAIL else 'not adjacent',
                      'same L2 segment', '; '.join(reasons), fix, subject='%s (%s)' % (facts['name'], facts['address']))


class Collector(object):
    """Runs the iproute2 commands and probes for the module."""

    def __init__(self, module):
        self.module = module
        self.ip = module.get_bin_path('ip', required=True)
        self.ping = module.get_bin_path('ping')

    def run_json(self, args):
        rc, out, err = self.module.run_command([self.ip, '-j'] + args)
        if rc != 0:
            raise ValueError('ip -j %s failed: %s' % (' '.join(args), (err or out).strip()))
        return out

    def echo(self, address, timeout):
        """(ttl, error) of one ICMP echo."""
        if self.ping:
            rc, out, err = self.module.run_command(
                [self.ping, '-n', '-c', '1', '-W', str(max(1, int(round(timeout)))), address])
            try:
                parsed = parse_ping_output(out)
            except ValueError:
                return None, (err or out).strip() or 'ping rc %d' % rc
            return parsed['ttl'], None if parsed['received'] else 'no reply'
        try:
            rtts, ttl = icmp_ping(address, 1, 0, timeout)
        except (OSError, ValueError) as exc:
            return None, 'ICMP socket: %s' % exc
        return ttl, None if rtts and rtts[0] is not None else 'no reply'

    def poke(self, address):
        try:
            family = socket.AF_INET6 if ':' in address else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_DGRAM)
            try:
                sock.sendto(b'voiceops l2 probe', (address, 9))
            finally:
                sock.close()
        except OSError:
            pass


def collect(collector, peer, addresses, links, probe, timeout):
    """The facts of one peer."""
    facts = {'name': peer['name'], 'address': peer['address'], 'peer_mtu': peer['mtu'], 'probed': probe}
    try:
        ipaddress.ip_address(peer['address'])
    except ValueError:
        try:  # a host name: check the address it resolves to
            facts['address'] = socket.gethostbyname(peer['address'])
        except (socket.error, UnicodeError):
            pass
    peer = dict(peer, address=facts['address'])
    try:
        if is_local_address(peer['address'], addresses):
            facts['self'] = True
            return facts
        facts['subnet_matches'] = subnet_matches(peer['address'], addresses)
    except ValueError as exc:
        facts['error'] = 'invalid peer address %r: %s' % (peer['address'], exc)
        return facts
    try:
        route = parse_route_get(collector.run_json(['route', 'get', peer['address']]))
        facts['route_dev'] = route['dev']
        facts['route_gateway'] = route['gateway']
    except ValueError as exc:
        facts['route_error'] = str(exc)
    dev = facts.get('route_dev') or (facts['subnet_matches'][0]['ifname'] if facts['subnet_matches'] else None)
    link = links.get(dev) or {}
    facts['local_mtu'] = link.get('mtu')
    facts['vlan_id'] = link.get('vlan_id')
    facts['link_kind'] = link.get('kind')
    if probe:
        collector.poke(peer['address'])
        facts['reply_ttl'], facts['icmp_error'] = collector.echo(peer['address'], timeout)
        entries = []
        for _attempt in range(3):
            try:
                entries = parse_neigh(collector.run_json(['neigh', 'show', peer['address']]), peer['address'])
            except ValueError:
                entries = []
            if any(e['resolved'] for e in entries):
                break
            time.sleep(0.3)
        resolved = [e for e in entries if e['resolved']]
        entry = resolved[0] if resolved else (entries[0] if entries else {})
        facts['neighbour_state'] = entry.get('state') or []
        facts['neighbour_lladdr'] = entry.get('lladdr')
        facts['neighbour_resolved'] = bool(resolved)
    return facts


def peer_result(facts, status, adjacent, reasons):
    matches = facts.get('subnet_matches') or []
    first = matches[0] if matches else {}
    return {
        'name': facts['name'],
        'address': facts['address'],
        'adjacent': adjacent,
        'status': status,
        'reasons': reasons,
        'interface': first.get('ifname'),
        'local_address': ('%s/%s' % (first['address'], first['prefixlen'])) if first else None,
        'network': first.get('network'),
        'route_dev': facts.get('route_dev'),
        'route_gateway': facts.get('route_gateway'),
        'neighbour_state': facts.get('neighbour_state'),
        'neighbour_lladdr': facts.get('neighbour_lladdr'),
        'reply_ttl': facts.get('reply_ttl'),
        'router_hops': initial_ttl_hops(facts.get('reply_ttl'))[1],
        'local_mtu': facts.get('local_mtu'),
        'peer_mtu': facts.get('peer_mtu'),
        'vlan_id': facts.get('vlan_id'),
        'link_kind': facts.get('link_kind'),
    }


def main():
    module = start_module(
        AnsibleModule, 'l2_adjacency',
        argument_spec=dict(
            peers=dict(type='list', elements='raw', required=True),
            probe=dict(type='bool', default=True),
            timeout=dict(type='float', default=1.0),
            vlan_id=dict(type='int'),
            fail_on=dict(type='str', choices=FAIL_ON_CHOICES, default='failure'),
        ),
        rules=RULES,
        supports_check_mode=True,
    )
    params = module.params
    check_options(module, 'l2_adjacency', [count_problem('peers', params['peers'], 1, MAX_PEERS, 'peer')])
    peers = []
    try:
        peers = normalize_peers(params['peers'])
    except ValueError as exc:
        fail(module, 'l2_adjacency', [str(exc)])
    if params['probe'] and len(peers) * (params['timeout'] + 1) > MAX_PROBE_SECONDS:
        fail(module, 'l2_adjacency', [
            '%d peers x (timeout=%s + 1) s could take %d s; at most %d s: lower timeout or split peers.' % (
                len(peers), params['timeout'], len(peers) * (params['timeout'] + 1), MAX_PROBE_SECONDS)])
    collector = Collector(module)
    try:
        addresses = parse_ip_addr(collector.run_json(['addr', 'show']))
        links = parse_link_details(collector.run_json(['-d', 'link', 'show']))
    except ValueError as exc:
        module.fail_json(msg='l2_adjacency: %s' % exc)
    results = []
    checks = []
    for peer in peers:
        facts = collect(collector, peer, addresses, links, module.params['probe'], module.params['timeout'])
        status, adjacent, reasons = evaluate_peer(facts, module.params['vlan_id'])
        results.append(peer_result(facts, status, adjacent, reasons))
        checks.append(peer_check(facts, status, reasons))
    summary = summarize(checks)
    result = dict(changed=False, peers=results, interfaces=links, checks=checks, verdict=summary['verdict'],
                  failures=summary['failures'], warnings_list=summary['warnings'])
    if should_fail(checks, module.params['fail_on']):
        module.fail_json(msg=failure_message(checks, 'l2_adjacency: '), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
