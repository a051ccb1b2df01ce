# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import socket

import pytest

from ansible_collections.voiceops.platform.plugins.modules import port_listener, port_probe


class TestProbeCheck:
    def test_open(self):
        check = port_probe.probe_check('a', 'b', '5060/udp', {'state': 'open', 'reason': 'echo received'})
        assert check['status'] == 'pass' and check['subject'] == 'a -> b 5060/udp'

    @pytest.mark.parametrize('state', ['filtered', 'rejected', 'error'])
    def test_failures(self, state):
        check = port_probe.probe_check('a', 'b', '5060/udp', {'state': state, 'reason': 'r'})
        assert check['status'] == 'fail' and check['measured'] == state
        assert 'allow 5060/udp from a to b' in check['fix']

    def test_in_use(self):
        merged = port_probe.merge_listener_state({'state': 'open', 'reason': 'r'},
                                                 {'state': 'in_use', 'processes': ['rtpengine (pid 3)']})
        assert merged['state'] == 'in_use' and merged['reachability'] == 'open'
        assert port_probe.probe_check('a', 'b', '10000/udp', merged)['status'] == 'pass'
        silent = port_probe.merge_listener_state({'state': 'filtered', 'reason': 'r'},
                                                 {'state': 'in_use', 'processes': ['rtpengine (pid 3)']})
        assert port_probe.probe_check('a', 'b', '10000/udp', silent)['status'] == 'warn'

    def test_merge_keeps_listening_ports(self):
        result = {'state': 'open', 'reason': 'r'}
        assert port_probe.merge_listener_state(result, {'state': 'listening'}) == result
        assert port_probe.merge_listener_state(result, None) == result


def test_build_probe_jobs():
    targets = [{'name': 'media', 'address': '10.0.0.2', 'ports': ['5060/udp', '10000-50000/udp']},
               {'name': None, 'address': '10.0.0.3', 'ports': None}]
    jobs, ranges, empty = port_probe.build_probe_jobs(targets, ['443'], 2)
    assert empty == []
    assert ('media', '10.0.0.2', 5060, 'udp') in jobs
    assert ('10.0.0.3', '10.0.0.3', 443, 'tcp') in jobs
    assert len(jobs) == 1 + 4 + 1
    assert ranges == [{'destination': 'media', 'range': '10000-50000/udp', 'size': 40001, 'probed': 4,
                       'ports': [10000, 23333, 36667, 50000]}]
    with pytest.raises(ValueError):
        port_probe.build_probe_jobs([{'address': 'x', 'ports': ['nope']}], [], 2)
    assert port_probe.build_probe_jobs([{'address': 'x', 'ports': []}], ['443'], 2)[2] == ['x']


def _free_port(kind):
    sock = socket.socket(socket.AF_INET, kind)
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_listener_probe_stop_on_loopback(run_module, tmp_path, monkeypatch):
    """port_listener and port_probe end to end against loopback, with a port held by another socket."""
    monkeypatch.setattr(port_listener, 'state_dir', lambda: str(tmp_path))
    udp_port = _free_port(socket.SOCK_DGRAM)
    tcp_port = _free_port(socket.SOCK_STREAM)
    holder = socket.socket()
    holder.bind(('127.0.0.1', 0))
    holder.listen(1)
    held = holder.getsockname()[1]
    try:
        ports = ['%d/udp' % udp_port, '%d/tcp' % tcp_port, '%d/tcp' % held]
        listen, failed = run_module(port_listener, dict(ports=ports, bind_address='127.0.0.1', lifetime=30,
                                                        listener_id='unit', fail_on='never'))
        assert not failed, listen
        assert listen['changed'] is True
        assert listen['ports']['%d/udp' % udp_port]['state'] == 'listening'
        assert listen['ports']['%d/tcp' % held]['state'] == 'in_use'
        assert listen['verdict'] == 'fail' and listen['listener']['pid']
        closed = _free_port(socket.SOCK_DGRAM)
        target = dict(name='self', address='127.0.0.1', ports=ports + ['%d/udp' % closed],
                      listener=listen['ports'])
        result, failed = run_module(port_probe, dict(targets=[target], source_name='src'))
        assert failed  # the closed port
        assert result['changed'] is False
        row = result['matrix']['src']['self']
        assert row['%d/udp' % udp_port]['state'] == 'open'
        assert row['%d/udp' % udp_port]['responder'] == 'voiceops'
        assert row['%d/tcp' % tcp_port]['state'] == 'open'
        assert row['%d/tcp' % held]['state'] == 'in_use' and row['%d/tcp' % held]['reachability'] == 'open'
        assert row['%d/udp' % closed]['state'] == 'rejected'
        assert result['probed'] == 4
        assert 'FAIL: port_reachable [src -> self %d/udp]' % closed in result['msg']
        stop, failed = run_module(port_listener, dict(state='stopped', listener_id='unit'))
        assert not failed and stop['stopped_pid'] == listen['listener']['pid'] and stop['changed'] is True
        assert not os.path.exists(listen['listener']['pidfile'])
        result, failed = run_module(port_probe, dict(targets=[target], source_name='src', fail_on='never'))
        assert result['matrix']['src']['self']['%d/udp' % udp_port]['state'] == 'rejected'
    finally:
        holder.close()
        run_module(port_listener, dict(state='stopped', listener_id='unit'))


def test_bad_input(run_module):
    result, failed = run_module(port_probe, dict(targets=[{'address': '127.0.0.1', 'ports': ['5060/sctp']}]))
    assert failed and result['msg'].startswith("port_probe: targets[0].ports[0]='5060/sctp' is not a port "
                                               "specification: invalid protocol 'sctp'")
    result, failed = run_module(port_probe, dict(targets=[]))
    assert failed and result['msg'] == 'port_probe: targets is empty; give at least 1 target.'
    result, failed = run_module(port_probe, dict())
    assert failed and 'targets' in result['msg']


def test_target_without_ports_is_skipped(run_module):
    result, failed = run_module(port_probe, dict(targets=[{'name': 'db', 'address': '127.0.0.1', 'ports': []}]))
    assert not failed and result['probed'] == 0 and result['verdict'] == 'skip'
    assert [c['status'] for c in result['checks']] == ['skip']
