# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure helpers for the voiceops network preflight modules (private API).

Parsing of ``ip -j`` (iproute2 JSON), ``ss`` and ``/proc/net`` output, subnet
logic and port specifications. Subnet logic uses the standard library's
``ipaddress`` module, so the target hosts need no extra package (netaddr would
give the same answers for these questions: is an address inside a prefix).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import json
import re

PROTOS = ('tcp', 'udp')

# ---------------------------------------------------------------------------
# Port specifications: "5060/udp", "443" (tcp), "10000-50000/udp"
# ---------------------------------------------------------------------------

_PORT_SPEC = re.compile(r'^\s*(\d+)(?:\s*-\s*(\d+))?\s*(?:/\s*([A-Za-z]+))?\s*$')


def parse_port_spec(spec):
    """Parse one port specification into start, end, proto and its canonical text.

    Accepts an int (TCP) or a string ``PORT[/PROTO]`` or ``START-END[/PROTO]``;
    the protocol defaults to tcp. Raises ValueError on anything else.
    """
    if isinstance(spec, bool):
        raise ValueError('invalid port specification %r' % (spec,))
    if isinstance(spec, int):
        spec = str(spec)
    if not isinstance(spec, str):
        raise ValueError('invalid port specification %r' % (spec,))
    match = _PORT_SPEC.match(spec)
    if not match:
        raise ValueError('invalid port specification %r: expected PORT[/PROTO] or START-END[/PROTO]' % (spec,))
    start = int(match.group(1))
    end = int(match.group(2)) if match.group(2) else start
    proto = (match.group(3) or 'tcp').lower()
    if proto not in PROTOS:
        raise ValueError('invalid protocol %r in %r: expected tcp or udp' % (proto, spec))
    for port in (start, end):
        if not 1 <= port <= 65535:
            raise ValueError('port %d in %r is outside 1-65535' % (port, spec))
    if end < start:
        raise ValueError('range %r ends before it starts' % (spec,))
    text = ('%d/%s' % (start, proto)) if start == end else ('%d-%d/%s' % (start, end, proto))
    return {'start': start, 'end': end, 'proto': proto, 'spec': text}


def sample_port_range(start, end, sample_size):
    """The ports probed for a range: both ends plus ``sample_size`` evenly spaced inner ports.

    Deterministic (the listener and every prober compute the same ports from
    the same range); when the range is not larger than ``sample_size + 2`` every
    port is returned.
    """
    if end < start:
        raise ValueError('range ends before it starts')
    if sample_size < 0:
        raise ValueError('sample_size must be >= 0')
    size = end - start + 1
    if size <= sample_size + 2:
        return list(range(start, end + 1))
    step = (end - start) / float(sample_size + 1)
    ports = set([start, end])
    for i in range(1, sample_size + 1):
        ports.add(start + int(round(step * i)))
    return sorted(ports)


def expand_port_specs(specs, sample_size):
    """Expand port specifications into the (port, proto) pairs to probe.

    Returns ``(pairs, ranges)``: the sorted unique pairs, and for every range
    a record with its size and how many of its ports are probed.
    """
    pairs = set()
    ranges = []
    for spec in specs:
        parsed = parse_port_spec(spec)
        if parsed['start'] == parsed['end']:
            pairs.add((parsed['start'], parsed['proto']))
            continue
        ports = sample_port_range(parsed['start'], parsed['end'], sample_size)
        for port in ports:
            pairs.add((port, parsed['proto']))
        ranges.append({
            'range': parsed['spec'],
            'size': parsed['end'] - parsed['start'] + 1,
            'probed': len(ports),
            'ports': ports,
        })
    return sorted(pairs, key=lambda p: (p[1], p[0])), ranges


def port_key(port, proto):
    """The matrix key of a port: ``"5060/udp"``."""
    return '%d/%s' % (port, proto)


# ---------------------------------------------------------------------------
# iproute2 JSON output
# ---------------------------------------------------------------------------

def _load_json_list(text, what):
    try:
        data = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise ValueError('cannot parse %s output as JSON: %s' % (what, exc))
    if not isinstance(data, list):
        raise ValueError('unexpected %s output: expected a JSON list' % what)
    return [item for item in data if isinstance(item, dict)]


def parse_ip_addr(text):
    """Addresses from ``ip -j addr show``: ifname, address, prefixlen, family, scope, mtu."""
    result = []
    for link in _load_json_list(text, 'ip -j addr'):
        for info in link.get('addr_info') or []:
            if not isinstance(info, dict) or 'local' not in info or 'prefixlen' not in info:
                continue
            result.append({
                'ifname': link.get('ifname'),
                'address': info['local'],
                'prefixlen': int(info['prefixlen']),
                'family': info.get('family'),
                'scope': info.get('scope'),
                'mtu': link.get('mtu'),
            })
    return result


def subnet_matches(peer, addresses):
    """The local addresses whose subnet contains ``peer``.

    ``addresses`` is the output of parse_ip_addr(). Host-scope (loopback)
    addresses are ignored. Raises ValueError when ``peer`` is not an IP address.
    """
    peer_ip = ipaddress.ip_address(peer)
    matches = []
    for addr in addresses:
        if addr.get('scope') == 'host':
            continue
        try:
            network = ipaddress.ip_network('%s/%s' % (addr['address'], addr['prefixlen']), strict=False)
        except ValueError:
            continue
        if network.version != peer_ip.version:
            continue
        if peer_ip in network:
            entry = dict(addr)
            entry['network'] = str(network)
            matches.append(entry)
    return matches


def is_local_address(peer, addresses):
    """Whether ``peer`` is one of this host's own addresses."""
    peer_ip = ipaddress.ip_address(peer)
    for addr in addresses:
        try:
            if ipaddress.ip_address(addr['address']) == peer_ip:
                return True
        except ValueError:
            continue
    return False


def parse_route_get(text):
    """The route from ``ip -j route get ADDR``: dst, dev, gateway, prefsrc, type."""
    routes = _load_json_list(text, 'ip -j route get')
    if not routes:
        raise ValueError('ip -j route get returned no route')
    route = routes[0]
    return {
        'dst': route.get('dst'),
        'dev': route.get('dev'),
        'gateway': route.get('gateway') or route.get('via'),
        'prefsrc': route.get('prefsrc'),
        'type': route.get('type', 'unicast'),
    }


# Neighbour states in which the kernel has (or recently had) the peer's link-layer address.
NEIGH_RESOLVED_STATES = ('REACHABLE', 'STALE', 'DELAY', 'PROBE', 'PERMANENT', 'NOARP')


def parse_neigh(text, dst=None):
    """Entries from ``ip -j neigh show [ADDR]``: dst, dev, lladdr, state (list), resolved."""
    result = []
    for entry in _load_json_list(text, 'ip -j neigh'):
        if dst is not None and entry.get('dst') != dst:
            continue
        state = entry.get('state') or []
        if isinstance(state, str):
            state = [state]
        resolved = bool(entry.get('lladdr')) and any(s in NEIGH_RESOLVED_STATES for s in state)
        result.append({
            'dst': entry.get('dst'),
            'dev': entry.get('dev'),
            'lladdr': entry.get('lladdr'),
            'state': state,
            'resolved': resolved,
        })
    return result


def parse_link_details(text):
    """Per interface from ``ip -j -d link show``: mtu, kind, vlan_id, vlan_protocol, parent link."""
    result = {}
    for link in _load_json_list(text, 'ip -j -d link'):
        name = link.get('ifname')
        if not name:
            continue
        info = link.get('linkinfo') or {}
        kind = info.get('info_kind') if isinstance(info, dict) else None
        data = (info.get('info_data') or {}) if isinstance(info, dict) else {}
        vlan_id = None
        vlan_protocol = None
        if kind == 'vlan' and isinstance(data, dict):
            vlan_id = data.get('id')
            vlan_protocol = data.get('protocol')
        result[name] = {
            'mtu': link.get('mtu'),
            'kind': kind,
            'vlan_id': vlan_id,
            'vlan_protocol': vlan_protocol,
            'link': link.get('link'),
            'operstate': link.get('operstate'),
        }
    return result


def initial_ttl_hops(ttl):
    """Guess the router hops from a reply's TTL.

    Hosts start with TTL 64 (Linux, macOS), 128 (Windows) or 255 (network
    gear); the smallest of those not below the received TTL is taken as the
    initial value and the difference as the number of routers. A Linux peer on
    the same L2 segment answers with TTL 64 (0 hops). Returns (initial, hops)
    or (None, None) for an invalid TTL.
    """
    if not isinstance(ttl, int) or isinstance(ttl, bool) or not 0 < ttl <= 255:
        return None, None
    for initial in (64, 128, 255):
        if ttl <= initial:
            return initial, initial - ttl
    return None, None  # pragma: no cover (ttl <= 255 always matches)


# ---------------------------------------------------------------------------
# Listening sockets: ss and /proc/net
# ---------------------------------------------------------------------------

_SS_PROC = re.compile(r'\("([^"]*)",pid=(\d+)')


def _split_host_port(text):
    if ':' not in text:
        raise ValueError('no port in %r' % text)
    host, port = text.rsplit(':', 1)
    if port == '*':
        raise ValueError('wildcard port in %r' % text)
    host = host.strip('[]')
    if '%' in host:
        host = host.split('%', 1)[0]
    return host, int(port)


def parse_ss(text):
    """Listening/bound sockets from ``ss -H -ltnup`` (or with a header line).

    Returns records with proto, address, port and processes ([{name, pid}]).
    Unparseable lines are skipped.
    """
    result = []
    for line in (text or '').splitlines():
        fields = line.split()
        if len(fields) < 5 or fields[0] == 'Netid':
            continue
        proto = fields[0].lower()
        if proto not in PROTOS:
            continue
        try:
            address, port = _split_host_port(fields[4])
        except ValueError:
            continue
        processes = [{'name': m.group(1), 'pid': int(m.group(2))} for m in _SS_PROC.finditer(line)]
        result.append({'proto': proto, 'address': address, 'port': port, 'processes': processes})
    return result


_TCP_LISTEN = '0A'
_UDP_UNCONNECTED_REMOTE = ('00000000:0000', '00000000000000000000000000000000:0000')


def parse_proc_net(text, proto):
    """Listening (tcp) or bound unconnected (udp) sockets from /proc/net/{tcp,udp}[6].

    Returns records with proto, port and the socket inode (to find the owner
    in /proc/PID/fd). Malformed lines are skipped.
    """
    result = []
    for line in (text or '').splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10:
            continue
        try:
            port = int(fields[1].rsplit(':', 1)[1], 16)
            inode = int(fields[9])
        except (ValueError, IndexError):
            continue
        state = fields[3].upper()
        if proto == 'tcp' and state != _TCP_LISTEN:
            continue
        if proto == 'udp' and fields[2] not in _UDP_UNCONNECTED_REMOTE:
            continue
        result.append({'proto': proto, 'port': port, 'inode': inode})
    return result


def listeners_by_port(listeners):
    """Index listener records as {(port, proto): [process names]}."""
    index = {}
    for item in listeners:
        names = index.setdefault((item['port'], item['proto']), [])
        for proc in item.get('processes') or []:
            label = '%s (pid %s)' % (proc['name'], proc['pid'])
            if label not in names:
                names.append(label)
    return index
