# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The echo protocol against real loopback sockets."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import socket
import threading
import time

import pytest

from ansible_collections.voiceops.platform.plugins.module_utils import _voiceops_probe as probe


def free_port(proto):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM if proto == 'tcp' else socket.SOCK_DGRAM)
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_payload():
    payload = probe.make_payload(b'abc')
    assert payload == probe.MAGIC + b'abc'
    assert probe.is_probe_payload(payload)
    assert probe.make_payload('x1') == probe.MAGIC + b'x1'
    assert probe.make_payload() != probe.make_payload()
    assert not probe.is_probe_payload(b'INVITE sip:1000@x SIP/2.0')
    assert not probe.is_probe_payload(probe.MAGIC + b'x' * 2000)
    assert not probe.is_probe_payload('text')


@pytest.mark.parametrize('exc,state', [
    (socket.timeout(), 'filtered'),
    (ConnectionRefusedError(errno.ECONNREFUSED, 'refused'), 'rejected'),
    (OSError(errno.EHOSTUNREACH, 'no route to host'), 'rejected'),
    (OSError(errno.ENETUNREACH, 'network unreachable'), 'rejected'),
    (OSError(errno.EPERM, 'operation not permitted'), 'rejected'),
    (OSError(errno.ETIMEDOUT, 'timed out'), 'filtered'),
    (OSError(errno.EIO, 'io'), 'error'),
])
def test_classify(exc, state):
    assert probe.classify_error(exc)[0] == state


@pytest.fixture
def echo_listener():
    """A TCP and a UDP listener served by serve_echo in a thread for a few seconds."""
    ports = {'tcp': free_port('tcp'), 'udp': free_port('udp')}
    listeners = {}
    for proto, port in ports.items():
        sock, exc = probe.bind_listener(port, proto, '127.0.0.1')
        assert exc is None
        listeners[sock] = proto
    thread = threading.Thread(target=probe.serve_echo, args=(listeners, time.time() + 2))
    thread.daemon = True
    thread.start()
    yield ports
    thread.join(3)


def test_tcp_and_udp_open(echo_listener):
    assert probe.tcp_probe('127.0.0.1', echo_listener['tcp'], 1.0) == {
        'state': 'open', 'responder': 'voiceops', 'reason': 'TCP handshake completed'}
    assert probe.udp_probe('127.0.0.1', echo_listener['udp'], 1.0) == {
        'state': 'open', 'responder': 'voiceops', 'reason': 'echo received'}
    rtts = probe.udp_echo_rtts('127.0.0.1', echo_listener['udp'], 3, 0.01, 1.0)
    assert len(rtts) == 3 and all(r is not None and r >= 0 for r in rtts)


def test_closed_ports_are_rejected():
    assert probe.tcp_probe('127.0.0.1', free_port('tcp'), 1.0)['state'] == 'rejected'
    assert probe.udp_probe('127.0.0.1', free_port('udp'), 1.0)['state'] == 'rejected'


def test_silent_udp_is_filtered():
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(('127.0.0.1', 0))
    try:
        result = probe.udp_probe('127.0.0.1', silent.getsockname()[1], 0.2, attempts=2)
        assert result['state'] == 'filtered'
        assert '2 attempt' in result['reason']
    finally:
        silent.close()


def test_foreign_tcp_service_is_open_other():
    server = socket.socket()
    server.bind(('127.0.0.1', 0))
    server.listen(1)
    try:
        result = probe.tcp_probe('127.0.0.1', server.getsockname()[1], 0.3)
        assert result['state'] == 'open' and result['responder'] == 'other'
    finally:
        server.close()


def test_bind_in_use():
    holder = socket.socket()
    holder.bind(('127.0.0.1', 0))
    holder.listen(1)
    try:
        sock, exc = probe.bind_listener(holder.getsockname()[1], 'tcp', '127.0.0.1')
        assert sock is None and exc.errno == errno.EADDRINUSE
    finally:
        holder.close()


def test_unresolvable():
    assert probe.tcp_probe('no-such-host.invalid', 80, 0.5)['state'] == 'error'
    assert probe.udp_probe('no-such-host.invalid', 80, 0.5)['state'] == 'error'


def test_daemon_lifecycle(tmp_path):
    """The detached listener serves, and stop_listener closes its ports."""
    port = free_port('udp')
    sock, exc = probe.bind_listener(port, 'udp', '127.0.0.1')
    assert exc is None
    pidfile = str(tmp_path / 'listener.json')
    pid = probe.spawn_listener_daemon({sock: 'udp'}, 30, pidfile, {'id': 'unit'})
    assert pid and pid != os.getpid()
    assert sock.fileno() == -1  # the parent's copy is closed
    assert probe.udp_probe('127.0.0.1', port, 1.0)['state'] == 'open'
    assert probe.stop_listener(pidfile) == pid
    assert not os.path.exists(pidfile)
    assert probe.udp_probe('127.0.0.1', port, 0.5)['state'] == 'rejected'
    assert probe.stop_listener(pidfile) is None


def test_stop_ignores_stale_pidfile(tmp_path):
    pidfile = tmp_path / 'stale.json'
    pidfile.write_text('{"pid": %d, "starttime": -1}' % os.getpid())
    assert probe.stop_listener(str(pidfile)) is None
    assert not pidfile.exists()
    broken = tmp_path / 'broken.json'
    broken.write_text('not json')
    assert probe.stop_listener(str(broken)) is None


def test_process_start_time():
    assert isinstance(probe.process_start_time(os.getpid()), int)
    assert probe.process_start_time(2 ** 22 + 12345) is None
