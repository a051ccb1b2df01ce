# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import threading
import time

import pytest

from ansible_collections.voiceops.platform.plugins.module_utils import _voiceops_probe as probe
from ansible_collections.voiceops.platform.plugins.module_utils._voiceops_ping import rtt_statistics
from ansible_collections.voiceops.platform.plugins.modules import link_quality as lq

DEFAULTS = {'max_delay_ms': 20.0, 'max_jitter_ms': 30.0, 'max_loss_percent': 1.0}


class TestNormalize:
    def test_strings_and_overrides(self):
        targets = lq.normalize_targets(['10.0.0.1', {'address': '10.0.0.2', 'name': 'phones', 'max_delay_ms': '40'}],
                                       DEFAULTS)
        assert targets[0] == dict(DEFAULTS, address='10.0.0.1', name='10.0.0.1')
        assert targets[1]['max_delay_ms'] == 40.0 and targets[1]['name'] == 'phones'

    @pytest.mark.parametrize('bad', [[{}], [3], [{'address': 'x', 'max_rtt': 1}], [{'address': 'x', 'max_delay_ms': 'slow'}]])
    def test_invalid(self, bad):
        with pytest.raises(ValueError):
            lq.normalize_targets(bad, DEFAULTS)


class TestEvaluate:
    target = dict(DEFAULTS, address='10.0.0.1', name='db')

    def test_pass(self):
        record, checks = lq.evaluate_target(self.target, rtt_statistics([1.0, 1.2, 1.1]), 'icmp')
        assert record['status'] == 'pass' and [c['status'] for c in checks] == ['pass'] * 3
        assert record['reasons'][1] == 'delay 1.1 ms: within <= 20.0 ms'

    def test_slow_and_lossy(self):
        record, checks = lq.evaluate_target(self.target, rtt_statistics([25.0, 80.0, None, 24.0]), 'udp', 'note')
        assert record['status'] == 'fail' and record['note'] == 'note'
        assert dict((c['name'], c['status']) for c in checks) == {'loss': 'fail', 'delay': 'fail', 'jitter': 'fail'}
        assert record['reasons'][0] == 'loss 25.0 %: exceeds <= 1.0 %'
        assert checks[0]['subject'] == 'db (10.0.0.1)' and checks[0]['fix']

    def test_no_reply_is_one_failure(self):
        record, checks = lq.evaluate_target(self.target, rtt_statistics([None] * 5), 'icmp')
        assert [c['status'] for c in checks] == ['fail', 'skip', 'skip']
        assert record['loss_percent'] == 100.0


class FakeModule(object):
    def __init__(self, params, ping_output=None, ping_bin=True):
        self.params = params
        self.ping_output = ping_output
        self.ping_bin = ping_bin
        self.commands = []

    def get_bin_path(self, name, required=False):
        return '/usr/bin/ping' if self.ping_bin else None

    def run_command(self, cmd):
        self.commands.append(cmd)
        return self.ping_output


PING_OK = ('64 bytes from 10.0.0.1: icmp_seq=1 ttl=64 time=0.5 ms\n64 bytes from 10.0.0.1: icmp_seq=2 ttl=64 time=0.7 ms\n'
           '--- 10.0.0.1 ping statistics ---\n2 packets transmitted, 2 received, 0% packet loss, time 1001ms\n')
PING_SILENT = '--- x ping statistics ---\n2 packets transmitted, 0 received, 100% packet loss, time 1001ms\n'
PARAMS = dict(method='auto', count=2, interval=0.01, timeout=0.2, udp_port=9)


def test_measure_icmp_with_ping():
    module = FakeModule(dict(PARAMS), (0, PING_OK, ''))
    rtts, method, note = lq.Measurer(module).measure({'address': '10.0.0.1'})
    assert (rtts, method, note) == ([0.5, 0.7], 'icmp', None)
    assert module.commands[0] == ['/usr/bin/ping', '-n', '-c', '2', '-i', '0.010', '-W', '1', '10.0.0.1']


def test_measure_falls_back_to_udp(monkeypatch):
    monkeypatch.setattr(lq, 'udp_echo_rtts', lambda *a: [1.0, 2.0])
    rtts, method, note = lq.Measurer(FakeModule(dict(PARAMS), (1, PING_SILENT, ''))).measure({'address': 'x'})
    assert (rtts, method) == ([1.0, 2.0], 'udp') and 'no ICMP echo reply' in note
    rtts, method, note = lq.Measurer(FakeModule(dict(PARAMS), (2, '', 'ping: socket: Operation not permitted'))
                                     ).measure({'address': 'x'})
    assert method == 'udp' and 'ICMP not usable' in note


def test_measure_icmp_only_and_udp_error(monkeypatch):
    rtts, method, note = lq.Measurer(FakeModule(dict(PARAMS, method='icmp'), (2, 'garbage', 'boom'))
                                     ).measure({'address': 'x'})
    assert rtts == [None, None] and method == 'icmp' and 'ICMP failed' in note

    def refuse(*args):
        raise ConnectionRefusedError(111, 'Connection refused')
    monkeypatch.setattr(lq, 'udp_echo_rtts', refuse)
    rtts, method, note = lq.Measurer(FakeModule(dict(PARAMS, method='udp'))).measure({'address': 'x'})
    assert rtts == [None, None] and 'port_probe listener' in note


def test_main_udp_against_echo_listener(run_module):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.setblocking(False)
    thread = threading.Thread(target=probe.serve_echo, args=({sock: 'udp'}, time.time() + 3))
    thread.daemon = True
    thread.start()
    result, failed = run_module(lq, dict(targets=['127.0.0.1'], method='udp', udp_port=port, count=5,
                                         interval=0.01, max_delay_ms=200))
    thread.join(4)
    assert not failed, result
    link = result['links'][0]
    assert link['method'] == 'udp' and link['received'] == 5 and link['loss_percent'] == 0.0


def test_main_bad_input(run_module):
    result, failed = run_module(lq, dict(targets=['127.0.0.1'], count=0))
    assert failed and 'count' in result['msg']
    result, failed = run_module(lq, dict(targets=[{'name': 'x'}]))
    assert failed and 'address' in result['msg']
