# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import struct

import pytest

from ansible_collections.voiceops.platform.plugins.module_utils import _voiceops_ping as ping

IPUTILS_OK = """\
PING 172.18.0.3 (172.18.0.3) 56(84) bytes of data.
64 bytes from 172.18.0.3: icmp_seq=1 ttl=64 time=0.071 ms
64 bytes from 172.18.0.3: icmp_seq=2 ttl=64 time=0.048 ms
64 bytes from 172.18.0.3: icmp_seq=3 ttl=64 time=0.090 ms
64 bytes from 172.18.0.3: icmp_seq=4 ttl=64 time=0.062 ms

--- 172.18.0.3 ping statistics ---
4 packets transmitted, 4 received, 0% packet loss, time 3051ms
rtt min/avg/max/mdev = 0.048/0.067/0.090/0.015 ms
"""

IPUTILS_LOSS = """\
PING 10.0.0.9 (10.0.0.9) 56(84) bytes of data.
64 bytes from 10.0.0.9: icmp_seq=1 ttl=63 time=12.5 ms
64 bytes from 10.0.0.9: icmp_seq=3 ttl=63 time=20.5 ms
64 bytes from 10.0.0.9: icmp_seq=3 ttl=63 time=20.9 ms (DUP!)
64 bytes from 10.0.0.9: icmp_seq=4 ttl=63 time=14.5 ms

--- 10.0.0.9 ping statistics ---
4 packets transmitted, 3 received, +1 duplicates, 25% packet loss, time 3004ms
rtt min/avg/max/mdev = 12.500/15.833/20.500/3.399 ms
"""

IPUTILS_UNREACHABLE = """\
PING 172.19.0.9 (172.19.0.9) 56(84) bytes of data.
From 172.18.0.2 icmp_seq=1 Destination Host Unreachable
From 172.18.0.2 icmp_seq=2 Destination Host Unreachable

--- 172.19.0.9 ping statistics ---
2 packets transmitted, 0 received, +2 errors, 100% packet loss, time 1017ms
"""

BUSYBOX = """\
PING 10.0.0.1 (10.0.0.1): 56 data bytes
64 bytes from 10.0.0.1: seq=0 ttl=255 time=1.234 ms
64 bytes from 10.0.0.1: seq=1 ttl=255 time=1.034 ms

--- 10.0.0.1 ping statistics ---
2 packets transmitted, 2 packets received, 0% packet loss
round-trip min/avg/max = 1.034/1.134/1.234 ms
"""


class TestParsePing:
    def test_all_replies(self):
        result = ping.parse_ping_output(IPUTILS_OK)
        assert result['transmitted'] == 4 and result['received'] == 4
        assert result['loss_percent'] == 0.0
        assert result['ttl'] == 64
        assert result['rtts'] == [0.071, 0.048, 0.090, 0.062]
        assert result['summary'] == {'min': 0.048, 'avg': 0.067, 'max': 0.090, 'mdev': 0.015}

    def test_loss_and_duplicates(self):
        result = ping.parse_ping_output(IPUTILS_LOSS)
        assert result['rtts'] == [12.5, None, 20.5, 14.5]
        assert result['loss_percent'] == 25.0
        assert result['ttl'] == 63

    def test_unreachable(self):
        result = ping.parse_ping_output(IPUTILS_UNREACHABLE)
        assert result['received'] == 0 and result['rtts'] == [None, None]
        assert result['loss_percent'] == 100.0 and result['summary'] is None and result['ttl'] is None

    def test_busybox(self):
        result = ping.parse_ping_output(BUSYBOX)
        assert result['rtts'] == [1.234, 1.034]
        assert result['ttl'] == 255
        assert result['summary'] == {'min': 1.034, 'avg': 1.134, 'max': 1.234}

    @pytest.mark.parametrize('text', [
        '', None, 'ping: db-1: Name or service not known\n',
        'ping: socktype: SOCK_RAW\nping: socket: Operation not permitted\n',
        '64 bytes from 1.2.3.4: icmp_seq=1 ttl=64 time=0.1 ms\n',  # cut off before the statistics
    ])
    def test_malformed(self, text):
        with pytest.raises(ValueError):
            ping.parse_ping_output(text)

    def test_reply_without_time_ignored(self):
        text = IPUTILS_OK.replace('icmp_seq=2 ttl=64 time=0.048 ms', 'icmp_seq=2 ttl=64')
        assert ping.parse_ping_output(text)['rtts'][1] is None


class TestStatistics:
    def test_jitter_is_mean_consecutive_difference(self):
        stats = ping.rtt_statistics([10.0, 12.0, 11.0, 15.0])
        assert stats['jitter_ms'] == pytest.approx((2 + 1 + 4) / 3.0, abs=0.001)
        assert stats['rtt_avg_ms'] == 12.0 and stats['rtt_min_ms'] == 10.0 and stats['rtt_max_ms'] == 15.0
        assert stats['loss_percent'] == 0.0 and stats['sent'] == 4 and stats['received'] == 4

    def test_rfc3550_estimator(self):
        stats = ping.rtt_statistics([10.0, 26.0])
        assert stats['jitter_rfc3550_ms'] == 1.0  # (16 - 0) / 16

    def test_lost_packets_skipped_for_jitter(self):
        stats = ping.rtt_statistics([10.0, None, 14.0, None])
        assert stats['loss_percent'] == 50.0
        assert stats['jitter_ms'] == 4.0

    def test_single_and_none(self):
        assert ping.rtt_statistics([5.0])['jitter_ms'] == 0.0
        stats = ping.rtt_statistics([None, None])
        assert stats['loss_percent'] == 100.0 and stats['rtt_avg_ms'] is None and stats['jitter_ms'] is None
        assert ping.rtt_statistics([])['loss_percent'] is None

    def test_evaluate(self):
        good = ping.evaluate_link(ping.rtt_statistics([10.0, 12.0, 11.0]), 20, 30, 1)
        assert all(ok for _n, ok, _m, _r in good)
        bad = dict((n, ok) for n, ok, _m, _r in ping.evaluate_link(ping.rtt_statistics([25.0, 90.0, None]), 20, 30, 1))
        assert bad == {'loss': False, 'delay': False, 'jitter': False}
        silent = ping.evaluate_link(ping.rtt_statistics([None]), 20, 30, 1)
        assert not any(ok for _n, ok, _m, _r in silent)

    def test_threshold_is_inclusive(self):
        result = dict((n, ok) for n, ok, _m, _r in ping.evaluate_link(ping.rtt_statistics([20.0, 20.0]), 20, 30, 0))
        assert result == {'loss': True, 'delay': True, 'jitter': True}


class TestIcmpPackets:
    def test_checksum_known_value(self):
        # RFC 1071 example words 0x0001 0xf203 0xf4f5 0xf6f7 sum to 0xddf2; checksum is its complement.
        assert ping.icmp_checksum(b'\x00\x01\xf2\x03\xf4\xf5\xf6\xf7') == 0x220d

    def test_echo_request_checksums_to_zero(self):
        packet = ping.build_icmp_echo(0x1234, 7, b'abc')
        assert ping.icmp_checksum(packet) == 0
        assert struct.unpack('!BBHHH', packet[:8])[0] == 8

    def _reply(self, ident, seq, ttl=64, ip=True):
        icmp = struct.pack('!BBHHH', 0, 0, 0, ident, seq) + b'payload'
        if not ip:
            return icmp
        header = bytes([0x45, 0, 0, 0, 0, 0, 0, 0, ttl, 1, 0, 0]) + bytes([10, 0, 0, 1, 10, 0, 0, 2])
        return header + icmp

    def test_reply_with_ip_header(self):
        assert ping.parse_icmp_reply(self._reply(5, 9, ttl=63), 9, 5) == (True, 63)

    def test_reply_without_ip_header(self):
        assert ping.parse_icmp_reply(self._reply(5, 9, ip=False), 9, None, has_ip_header=False) == (True, None)

    def test_mismatch(self):
        assert ping.parse_icmp_reply(self._reply(5, 9), 10, 5) == (False, None)
        assert ping.parse_icmp_reply(self._reply(6, 9), 9, 5) == (False, None)
        request = bytes(20) + ping.build_icmp_echo(5, 9)
        assert ping.parse_icmp_reply(request, 9, 5)[0] is False

    @pytest.mark.parametrize('packet', [b'', b'\x45' * 10, bytes([0x41]) + bytes(30), bytes([0x45]) + bytes(22)])
    def test_truncated(self, packet):
        assert ping.parse_icmp_reply(packet, 1, 1) == (False, None)
        assert ping.parse_icmp_reply(packet[:4], 1, None, has_ip_header=False) == (False, None)
