# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure helpers for round-trip measurements (private API).

Parsing of iputils/busybox ``ping`` output, ICMP echo packets, and the
statistics the link_quality module reports: RTT, jitter and loss.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import struct

_REPLY = re.compile(r'bytes from .*?(?:icmp_seq|seq)=(\d+)(.*)$')
_TTL = re.compile(r'\bttl=(\d+)')
_TIME = re.compile(r'\btime[=<]([\d.]+)\s*(ms|s)?')
_STATS = re.compile(
    r'(\d+) packets transmitted, (\d+) (?:packets )?received(?:, \+(\d+) duplicates)?(?:, \+(\d+) errors)?, '
    r'([\d.]+)% packet loss')
_SUMMARY = re.compile(r'(?:rtt|round-trip) min/avg/max(?:/mdev)? = ([\d./]+) ms')


def parse_ping_output(text):
    """Parse the output of ``ping -n -c N ADDR`` (iputils or busybox).

    Returns transmitted, received, loss_percent, ttl (of the first reply),
    rtts (a list indexed by sequence order: float ms, or None when that
    request got no reply) and summary (min/avg/max/mdev, when printed).
    Raises ValueError when the statistics line is missing (malformed output,
    unknown host, ping not run).
    """
    text = text or ''
    replies = {}
    ttl = None
    for line in text.splitlines():
        if '(DUP!)' in line:
            continue
        match = _REPLY.search(line)
        if not match:
            continue
        seq = int(match.group(1))
        rest = match.group(2)
        time_match = _TIME.search(rest)
        if not time_match:
            continue
        value = float(time_match.group(1))
        if time_match.group(2) == 's':
            value *= 1000.0
        replies[seq] = value
        ttl_match = _TTL.search(rest)
        if ttl is None and ttl_match:
            ttl = int(ttl_match.group(1))
    stats = _STATS.search(text)
    if not stats:
        first = text.strip().splitlines()[0] if text.strip() else 'no output'
        raise ValueError('no ping statistics in output: %s' % first)
    transmitted = int(stats.group(1))
    received = int(stats.group(2))
    loss = float(stats.group(5))
    summary = None
    summary_match = _SUMMARY.search(text)
    if summary_match:
        parts = [float(p) for p in summary_match.group(1).split('/') if p]
        keys = ('min', 'avg', 'max', 'mdev')
        summary = dict(zip(keys, parts))
    rtts = []
    if replies:
        first_seq = 1 if min(replies) >= 1 else 0
        for seq in range(first_seq, first_seq + transmitted):
            rtts.append(replies.get(seq))
    else:
        rtts = [None] * transmitted
    return {
        'transmitted': transmitted,
        'received': received,
        'loss_percent': loss,
        'ttl': ttl,
        'rtts': rtts,
        'summary': summary,
    }


def rtt_statistics(rtts):
    """Statistics of a sequence of round trips (ms, None for a lost packet).

    jitter_ms is the mean absolute difference of consecutive received round
    trips (the |D(i-1,i)| of RFC 3550 section 6.4.1, averaged instead of
    smoothed); jitter_rfc3550_ms is the RFC's running estimate J += (|D| - J)/16.
    """
    sent = len(rtts)
    received = [r for r in rtts if r is not None]
    result = {
        'sent': sent,
        'received': len(received),
        'loss_percent': round(100.0 * (sent - len(received)) / sent, 2) if sent else None,
        'rtt_min_ms': None,
        'rtt_avg_ms': None,
        'rtt_max_ms': None,
        'jitter_ms': None,
        'jitter_rfc3550_ms': None,
    }
    if not received:
        return result
    result['rtt_min_ms'] = round(min(received), 3)
    result['rtt_max_ms'] = round(max(received), 3)
    result['rtt_avg_ms'] = round(sum(received) / len(received), 3)
    if len(received) >= 2:
        diffs = [abs(b - a) for a, b in zip(received, received[1:])]
        result['jitter_ms'] = round(sum(diffs) / len(diffs), 3)
        smoothed = 0.0
        for diff in diffs:
            smoothed += (diff - smoothed) / 16.0
        result['jitter_rfc3550_ms'] = round(smoothed, 3)
    else:
        result['jitter_ms'] = 0.0
        result['jitter_rfc3550_ms'] = 0.0
    return result


def evaluate_link(stats, max_delay_ms, max_jitter_ms, max_loss_percent):
    """Compare link statistics with the thresholds.

    Returns a list of (name, ok, measured, required) tuples: delay is the
    average round trip, jitter the mean consecutive difference, loss in percent.
    A link with no reply at all fails every criterion.
    """
    results = []
    loss = stats.get('loss_percent')
    results.append(('loss', loss is not None and loss <= max_loss_percent, loss,
                    '<= %s %%' % max_loss_percent))
    delay = stats.get('rtt_avg_ms')
    results.append(('delay', delay is not None and delay <= max_delay_ms, delay,
                    '<= %s ms' % max_delay_ms))
    jitter = stats.get('jitter_ms')
    results.append(('jitter', jitter is not None and jitter <= max_jitter_ms, jitter,
                    '<= %s ms' % max_jitter_ms))
    return results


# ---------------------------------------------------------------------------
# ICMP echo packets (used when no ping binary is installed)
# ---------------------------------------------------------------------------

ICMP_ECHO_REQUEST = 8
ICMP_ECHO_REPLY = 0


def icmp_checksum(data):
    """The Internet checksum (RFC 1071) of ``data``."""
    if len(data) % 2:
        data += b'\x00'
    total = 0
    for i in range(0, len(data), 2):
        total += (data[i] << 8) + data[i + 1]
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def build_icmp_echo(ident, seq, payload=b''):
    """An ICMP echo request with a valid checksum."""
    header = struct.pack('!BBHHH', ICMP_ECHO_REQUEST, 0, 0, ident & 0xFFFF, seq & 0xFFFF)
    checksum = icmp_checksum(header + payload)
    header = struct.pack('!BBHHH', ICMP_ECHO_REQUEST, 0, checksum, ident & 0xFFFF, seq & 0xFFFF)
    return header + payload


def parse_icmp_reply(packet, seq, ident=None, has_ip_header=True):
    """Check whether ``packet`` is the echo reply for ``seq`` (and ``ident``).

    Raw sockets deliver the IPv4 header too (has_ip_header); its TTL is then
    returned. Returns ``(matched, ttl)``; ttl is None without an IP header.
    """
    ttl = None
    offset = 0
    if has_ip_header:
        if len(packet) < 20:
            return False, None
        ihl = (packet[0] & 0x0F) * 4
        if ihl < 20 or len(packet) < ihl + 8:
            return False, None
        ttl = packet[8]
        offset = ihl
    if len(packet) < offset + 8:
        return False, None
    icmp_type, _code, _checksum, r_ident, r_seq = struct.unpack('!BBHHH', packet[offset:offset + 8])
    if icmp_type != ICMP_ECHO_REPLY or r_seq != (seq & 0xFFFF):
        return False, None
    if ident is not None and r_ident != (ident & 0xFFFF):
        return False, None
    return True, ttl
