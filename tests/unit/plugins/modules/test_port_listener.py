# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""port_listener: the checks, changed reported honestly, check mode, a listener that dies."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import socket

import pytest

from ansible_collections.voiceops.platform.plugins.modules import port_listener


def test_pidfile_path():
    assert port_listener.pidfile_path('/run/voiceops', 'preflight') == '/run/voiceops/port_listener-preflight.json'
    assert port_listener.pidfile_path('/run/voiceops', '../x y') == '/run/voiceops/port_listener-.._x_y.json'
    assert port_listener.pidfile_path('/tmp', '') == '/tmp/port_listener-preflight.json'


def test_process_names():
    assert port_listener.process_names(['nginx (pid 1)', 'opensips (pid 22)']) == ['nginx', 'opensips']


def test_without_pid():
    labels = ['python3 (pid 7)', 'nginx (pid 8)']
    assert port_listener.without_pid(labels, 7) == ['nginx (pid 8)']
    assert port_listener.without_pid(labels, None) == labels
    assert port_listener.without_pid(['python3 (pid 7)'], 7) == []


class TestListenCheck:
    def test_listening(self):
        check = port_listener.listen_check('5060/udp', {'state': 'listening', 'processes': [], 'message': 'm'}, [])
        assert check['status'] == 'pass' and check['subject'] == '5060/udp'

    def test_free_in_check_mode(self):
        check = port_listener.listen_check('5060/udp', {'state': 'free', 'processes': [], 'message': 'm'}, [])
        assert check['status'] == 'pass'

    def test_in_use_by_foreign_process(self):
        entry = {'state': 'in_use', 'processes': ['apache2 (pid 7)'], 'message': 'already in use by apache2 (pid 7)'}
        check = port_listener.listen_check('80/tcp', entry, ['nginx'])
        assert check['status'] == 'fail' and check['measured'] == 'in use by apache2 (pid 7)'
        assert 'apache2' in check['fix']

    def test_in_use_by_expected_process(self):
        entry = {'state': 'in_use', 'processes': ['nginx (pid 7)', 'nginx (pid 8)'], 'message': 'x'}
        assert port_listener.listen_check('80/tcp', entry, ['nginx'])['status'] == 'pass'

    def test_in_use_unknown_owner(self):
        entry = {'state': 'in_use', 'processes': [], 'message': 'already in use'}
        check = port_listener.listen_check('80/tcp', entry, ['nginx'])
        assert check['status'] == 'fail' and 'unknown process' in check['fix']

    def test_error(self):
        entry = {'state': 'error', 'processes': [], 'message': 'cannot listen: [Errno 13] Permission denied'}
        check = port_listener.listen_check('80/tcp', entry, [])
        assert check['status'] == 'fail' and 'become' in check['fix']


def test_port_problems():
    pairs, ranges, problems = port_listener.port_problems(['5060/udp', 'x', '10-20/tcp'], 2)
    assert problems == ["ports[1]='x' is not a port specification: invalid port specification 'x': expected "
                        "PORT[/PROTO] or START-END[/PROTO]."]
    assert (5060, 'udp') in pairs and len(ranges) == 1
    many = ['%d-%d/udp' % (i * 1000 + 1, i * 1000 + 999) for i in range(11)]
    assert port_listener.port_problems(many, 88)[2] == []  # 11 x 90 ports
    _pairs, _ranges, problems = port_listener.port_problems(many, 100)
    assert problems == ['ports expand to 1122 ports (sample_size=100 per range); at most 1000: lower sample_size '
                        'or give fewer ports.']


def _free_port(kind=socket.SOCK_DGRAM):
    sock = socket.socket(socket.AF_INET, kind)
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


@pytest.fixture
def state(tmp_path, monkeypatch):
    monkeypatch.setattr(port_listener, 'state_dir', lambda: str(tmp_path))
    return tmp_path


def test_changed_is_honest(run_module, state):
    """Starting reports a change, stopping reports one, stopping again reports none."""
    port = _free_port()
    args = dict(ports=['%d/udp' % port], bind_address='127.0.0.1', lifetime=30, listener_id='honest')
    try:
        started, failed = run_module(port_listener, args)
        assert not failed and started['changed'] is True and started['stopped_pid'] is None
        pid = started['listener']['pid']
        assert json.loads((state / 'port_listener-honest.json').read_text())['pid'] == pid
        # a second start replaces the running listener: its own socket is not "in use by another process"
        again, failed = run_module(port_listener, args)
        assert not failed and again['changed'] is True and again['stopped_pid'] == pid
        assert again['ports']['%d/udp' % port]['state'] == 'listening'
        stopped, failed = run_module(port_listener, dict(state='stopped', listener_id='honest'))
        assert not failed and stopped['changed'] is True and stopped['stopped_pid'] == again['listener']['pid']
        assert stopped['verdict'] == 'skip'
        none, failed = run_module(port_listener, dict(state='stopped', listener_id='honest'))
        assert not failed and none['changed'] is False and none['stopped_pid'] is None
        assert none['stale_pidfile'] is False
    finally:
        run_module(port_listener, dict(state='stopped', listener_id='honest'))


def test_check_mode_starts_and_stops_nothing(run_module, state):
    port = _free_port()
    args = dict(ports=['%d/udp' % port], bind_address='127.0.0.1', listener_id='check', _ansible_check_mode=True)
    result, failed = run_module(port_listener, args)
    assert not failed and result['changed'] is True  # it would start one
    assert result['ports']['%d/udp' % port]['state'] == 'free' and result['listener']['pid'] is None
    assert not os.path.exists(str(state / 'port_listener-check.json'))
    real, failed = run_module(port_listener, dict(args, _ansible_check_mode=False))
    try:
        pid = real['listener']['pid']
        result, failed = run_module(port_listener, dict(state='stopped', listener_id='check',
                                                        _ansible_check_mode=True))
        assert result['changed'] is True and result['stopped_pid'] == pid
        assert port_listener.running_listener(str(state / 'port_listener-check.json')) == pid  # still running
        # check mode of a restart: the port held by our own listener counts as free
        result, failed = run_module(port_listener, args)
        assert result['ports']['%d/udp' % port]['state'] == 'free' and result['stopped_pid'] == pid
    finally:
        run_module(port_listener, dict(state='stopped', listener_id='check'))


def test_listener_dying_before_its_pid_is_reported(run_module, tmp_path, monkeypatch):
    """The pid file cannot be written: the listener exits before it reports its pid, and the result says so."""
    monkeypatch.setattr(port_listener, 'state_dir', lambda: str(tmp_path / 'missing'))
    port = _free_port()
    result, failed = run_module(port_listener, dict(ports=['%d/udp' % port], bind_address='127.0.0.1',
                                                    listener_id='dies', fail_on='never'))
    assert not failed and result['changed'] is False and result['listener']['pid'] is None
    listener = [c for c in result['checks'] if c['name'] == 'listener']
    assert listener and listener[0]['status'] == 'fail'
    assert 'exited before it wrote its pid file' in listener[0]['message']
    assert result['ports']['%d/udp' % port]['state'] == 'error'
    assert result['verdict'] == 'fail'
    # and the port was not left held by anyone
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind(('127.0.0.1', port))
    finally:
        sock.close()


def test_listener_dying_right_after_start_is_reported(run_module, state, monkeypatch):
    monkeypatch.setattr(port_listener, 'spawn_listener_daemon', lambda *a, **k: 2 ** 22 + 12345)
    result, failed = run_module(port_listener, dict(ports=['%d/udp' % _free_port()], bind_address='127.0.0.1',
                                                    listener_id='gone'))
    assert failed and 'listener' in result['msg'] and 'exited right after it started' in result['msg']


def test_stale_pidfile(run_module, state):
    pidfile = state / 'port_listener-stale.json'
    pidfile.write_text(json.dumps({'pid': os.getpid(), 'starttime': -1}))
    result, failed = run_module(port_listener, dict(state='stopped', listener_id='stale'))
    assert not failed and result['changed'] is False and result['stale_pidfile'] is True
    assert not pidfile.exists()


def test_empty_ports_are_skipped_not_passed(run_module, state):
    result, failed = run_module(port_listener, dict(ports=[], listener_id='empty'))
    assert not failed and result['verdict'] == 'skip' and result['changed'] is False
    assert [c['status'] for c in result['checks']] == ['skip']


@pytest.mark.parametrize('args,msg', [
    (dict(bind_address='example.org'), "port_listener: bind_address='example.org' is not an IP address"),
    (dict(listener_id='../x'), "port_listener: listener_id='../x' is not a listener name"),
    (dict(lifetime=0), 'port_listener: lifetime=0 is out of range; set it to an integer from 1 to 3600.'),
    (dict(lifetime='inf'), "port_listener: lifetime='inf' is not a number; set it to an integer from 1 to 3600."),
    (dict(sample_size=float('nan')), 'port_listener: sample_size=nan is not a finite number'),
    (dict(ports=['5060/udp', 70000]), "port_listener: ports[1]=70000 is not a port specification: port 70000"),
])
def test_bad_input(run_module, state, args, msg):
    result, failed = run_module(port_listener, args)
    assert failed and result['msg'].startswith(msg), result['msg']
