# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Probe and echo-listener sockets for the voiceops preflight modules (private API).

The echo protocol, shared by port_listener (the listener), port_probe (the
prober) and link_quality (method=udp): a prober sends ``MAGIC + token``; the listener
sends back, unchanged, every datagram (UDP) or first segment (TCP) that starts
with MAGIC and ignores everything else. An unchanged echo proves the packet
reached the voiceops listener and the answer came back; a standard RFC 862
echo service answers the same way, so link_quality also works against one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import binascii
import errno
import json
import os
import select
import selectors
import signal
import socket
import struct
import time

from ansible_collections.voiceops.platform.plugins.module_utils._voiceops_ping import (
    build_icmp_echo,
    parse_icmp_reply,
)

MAGIC = b'VOICEOPS-PROBE1 '

OPEN = 'open'
REJECTED = 'rejected'
FILTERED = 'filtered'
ERROR = 'error'


def make_payload(token=None):
    """A probe payload: MAGIC followed by a random (or given) hex token."""
    if token is None:
        token = binascii.hexlify(os.urandom(8))
    if not isinstance(token, bytes):
        token = str(token).encode('ascii')
    return MAGIC + token


def is_probe_payload(data):
    """Whether received data is a voiceops probe that the listener must echo."""
    return isinstance(data, bytes) and data.startswith(MAGIC) and len(data) <= 1024


def classify_error(exc):
    """Map a socket error of a probe to (state, reason).

    ECONNREFUSED (a TCP RST, or an ICMP port unreachable on a connected UDP
    socket) and ICMP host/network unreachable or administratively prohibited
    (EHOSTUNREACH, ENETUNREACH, EACCES/EPERM from a local firewall) are
    rejections; a timeout is a silent drop (filtered).
    """
    if isinstance(exc, socket.timeout):
        return FILTERED, 'no answer before the timeout'
    code = getattr(exc, 'errno', None)
    if code == errno.ECONNREFUSED:
        return REJECTED, 'connection refused (TCP RST or ICMP port unreachable)'
    if code in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return REJECTED, 'ICMP %s unreachable' % ('host' if code == errno.EHOSTUNREACH else 'network')
    if code in (errno.EACCES, errno.EPERM):
        return REJECTED, 'denied by a local firewall rule (%s)' % errno.errorcode.get(code, code)
    if code == errno.ETIMEDOUT:
        return FILTERED, 'connection timed out'
    return ERROR, str(exc)


def _addrinfo(address, port, socktype):
    infos = socket.getaddrinfo(address, port, 0, socktype)
    if not infos:
        raise socket.gaierror('cannot resolve %s' % address)
    return infos[0]


def tcp_probe(address, port, timeout):
    """TCP connect: open (with responder voiceops/other), rejected or filtered."""
    try:
        family, socktype, proto, _cname, sockaddr = _addrinfo(address, port, socket.SOCK_STREAM)
    except (socket.gaierror, OSError) as exc:
        return {'state': ERROR, 'responder': None, 'reason': 'cannot resolve: %s' % exc}
    sock = socket.socket(family, socktype, proto)
    sock.settimeout(timeout)
    try:
        try:
            sock.connect(sockaddr)
        except (OSError, socket.timeout) as exc:
            state, reason = classify_error(exc)
            return {'state': state, 'responder': None, 'reason': reason}
        payload = make_payload()
        responder = 'other'
        try:
            sock.sendall(payload)
            sock.settimeout(min(timeout, 1.0))
            data = sock.recv(len(payload) + 16)
            if data == payload:
                responder = 'voiceops'
        except (OSError, socket.timeout):
            pass
        return {'state': OPEN, 'responder': responder, 'reason': 'TCP handshake completed'}
    finally:
        sock.close()


def udp_probe(address, port, timeout, attempts=2):
    """UDP request/echo: open on echo, rejected on ICMP unreachable, filtered on silence.

    A reply that is not the echo still proves the port is reachable
    (responder ``other``). Silence from a foreign service that does not echo
    looks like a drop; the listener side reports such ports as in use.
    """
    try:
        family, socktype, proto, _cname, sockaddr = _addrinfo(address, port, socket.SOCK_DGRAM)
    except (socket.gaierror, OSError) as exc:
        return {'state': ERROR, 'responder': None, 'reason': 'cannot resolve: %s' % exc}
    sock = socket.socket(family, socktype, proto)
    sock.settimeout(timeout)
    try:
        sock.connect(sockaddr)
        payload = make_payload()
        for _attempt in range(max(1, attempts)):
            try:
                sock.send(payload)
                deadline = time.time() + timeout
                while True:
                    sock.settimeout(max(0.01, deadline - time.time()))
                    data = sock.recv(2048)
                    if data == payload:
                        return {'state': OPEN, 'responder': 'voiceops', 'reason': 'echo received'}
                    if data:
                        return {'state': OPEN, 'responder': 'other', 'reason': 'a reply that is not the echo'}
            except socket.timeout:
                continue
            except OSError as exc:
                state, reason = classify_error(exc)
                return {'state': state, 'responder': None, 'reason': reason}
        return {'state': FILTERED, 'responder': None,
                'reason': 'no echo and no ICMP unreachable after %d attempt(s)' % max(1, attempts)}
    finally:
        sock.close()


def udp_echo_rtts(address, port, count, interval, timeout):
    """Round trips (ms, None when lost) of ``count`` UDP echo requests.

    Raises OSError when the port answers with ICMP unreachable (no echo
    responder) so the caller can report it instead of counting 100 % loss.
    """
    family, socktype, proto, _cname, sockaddr = _addrinfo(address, port, socket.SOCK_DGRAM)
    sock = socket.socket(family, socktype, proto)
    rtts = []
    try:
        sock.connect(sockaddr)
        token = binascii.hexlify(os.urandom(6))
        for seq in range(count):
            payload = make_payload(token + b'-' + str(seq).encode('ascii'))
            started = time.time()
            sock.send(payload)
            rtt = None
            deadline = started + timeout
            while time.time() < deadline:
                sock.settimeout(max(0.001, deadline - time.time()))
                try:
                    data = sock.recv(2048)
                except socket.timeout:
                    break
                if data == payload:
                    rtt = (time.time() - started) * 1000.0
                    break
            rtts.append(rtt)
            if seq + 1 < count:
                elapsed = time.time() - started
                if elapsed < interval:
                    time.sleep(interval - elapsed)
    finally:
        sock.close()
    return rtts


def open_icmp_socket():
    """An ICMP socket: unprivileged datagram ICMP when allowed, else raw (root).

    Returns (socket, has_ip_header). Raises PermissionError/OSError when
    neither is permitted.
    """
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
        try:
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_RECVTTL, 1)
        except (OSError, AttributeError):
            pass
        return sock, False
    except OSError:
        sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        return sock, True


def _recv_ttl_cmsg(ancdata):
    for level, ctype, data in ancdata:
        if level == socket.IPPROTO_IP and ctype in (getattr(socket, 'IP_TTL', 2), getattr(socket, 'IP_RECVTTL', 12)):
            if len(data) >= 4:
                return struct.unpack('i', data[:4])[0]
            if data:
                return data[0]
    return None


def icmp_ping(address, count, interval, timeout):
    """ICMP echo without a ping binary. Returns (rtts, ttl of the first reply).

    IPv4 only. Raises OSError when ICMP sockets are not permitted.
    """
    sock, has_ip_header = open_icmp_socket()
    ident = os.getpid() & 0xFFFF
    rtts = []
    ttl_seen = None
    try:
        for seq in range(1, count + 1):
            packet = build_icmp_echo(ident, seq, b'voiceops' + struct.pack('!d', time.time()))
            started = time.time()
            sock.sendto(packet, (address, 0))
            rtt = None
            deadline = started + timeout
            while time.time() < deadline:
                sock.settimeout(max(0.001, deadline - time.time()))
                try:
                    data, ancdata, _flags, source = sock.recvmsg(2048, 64)
                except socket.timeout:
                    break
                if source and source[0] != address:
                    continue
                matched, ttl = parse_icmp_reply(data, seq, ident if has_ip_header else None, has_ip_header)
                if matched:
                    rtt = (time.time() - started) * 1000.0
                    if ttl is None:
                        ttl = _recv_ttl_cmsg(ancdata)
                    if ttl_seen is None:
                        ttl_seen = ttl
                    break
            rtts.append(rtt)
            if seq < count:
                elapsed = time.time() - started
                if elapsed < interval:
                    time.sleep(interval - elapsed)
    finally:
        sock.close()
    return rtts, ttl_seen


# ---------------------------------------------------------------------------
# Listener side
# ---------------------------------------------------------------------------

def bind_listener(port, proto, bind_address):
    """Bind one listening socket. Returns (socket, None) or (None, OSError)."""
    family = socket.AF_INET6 if ':' in bind_address else socket.AF_INET
    socktype = socket.SOCK_STREAM if proto == 'tcp' else socket.SOCK_DGRAM
    sock = socket.socket(family, socktype)
    try:
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        if proto == 'tcp':
            # Lets the bind succeed over TIME_WAIT leftovers; Linux still refuses a port with a listener.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((bind_address, port))
        if proto == 'tcp':
            sock.listen(64)
        sock.setblocking(False)
        return sock, None
    except OSError as exc:
        sock.close()
        return None, exc


def serve_echo(listeners, deadline, now=time.time):
    """Serve the echo protocol on bound sockets until ``deadline`` (epoch seconds).

    ``listeners`` maps socket -> proto. TCP connections that send nothing
    within 2 s are closed.
    """
    sel = selectors.DefaultSelector()
    for sock, proto in listeners.items():
        sel.register(sock, selectors.EVENT_READ, ('listen', proto))
    conns = {}
    try:
        while now() < deadline:
            for key, _mask in sel.select(timeout=min(1.0, max(0.0, deadline - now()))):
                role, proto = key.data
                sock = key.fileobj
                try:
                    if role == 'listen' and proto == 'udp':
                        data, peer = sock.recvfrom(2048)
                        if is_probe_payload(data):
                            sock.sendto(data, peer)
                    elif role == 'listen':
                        conn, _peer = sock.accept()
                        conn.setblocking(False)
                        conns[conn] = now()
                        sel.register(conn, selectors.EVENT_READ, ('conn', 'tcp'))
                    else:
                        data = sock.recv(2048)
                        if is_probe_payload(data):
                            sock.setblocking(True)
                            sock.settimeout(1.0)
                            sock.sendall(data)
                        sel.unregister(sock)
                        conns.pop(sock, None)
                        sock.close()
                except (OSError, socket.timeout):
                    if role == 'conn':
                        try:
                            sel.unregister(sock)
                        except (KeyError, ValueError):
                            pass
                        conns.pop(sock, None)
                        sock.close()
            for conn, opened in list(conns.items()):
                if now() - opened > 2.0:
                    sel.unregister(conn)
                    conns.pop(conn)
                    conn.close()
    finally:
        for conn in list(conns):
            conn.close()
        sel.close()
        for sock in listeners:
            sock.close()


def process_start_time(pid):
    """Field 22 of /proc/PID/stat (start time in clock ticks); None when gone or a zombie."""
    try:
        with open('/proc/%d/stat' % pid) as handle:
            data = handle.read()
    except (IOError, OSError):
        return None
    try:
        fields = data.rsplit(')', 1)[1].split()
        if fields[0] == 'Z':  # exited, waiting to be reaped
            return None
        return int(fields[19])
    except (IndexError, ValueError):
        return None


def spawn_listener_daemon(listeners, lifetime, pidfile, info, wait=10.0):
    """Hand the bound sockets to a detached process that serves them for ``lifetime`` s.

    The process is double-forked (new session, stdio on /dev/null, every other
    descriptor closed) so the task returns at once; it exits, closing every
    socket, when the lifetime ends, on SIGTERM (port_listener state=stopped), or
    through SIGALRM a few seconds later should the serve loop hang. It writes
    its pid file first, then its pid to a pipe; the parent waits up to ``wait``
    seconds for that pid. Returns the pid, or None when the process exited (or
    stayed silent) before it had written its pid file.
    """
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (runs in the forked process)
        code = 0
        try:
            os.close(read_end)
            os.setsid()
            if os.fork() != 0:
                os._exit(0)
            os.chdir('/')
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            keep = set([0, 1, 2, write_end] + [s.fileno() for s in listeners])
            for name in os.listdir('/proc/self/fd'):
                try:
                    fd = int(name)
                except ValueError:
                    continue
                if fd not in keep:
                    try:
                        os.close(fd)
                    except OSError:
                        pass
            deadline = time.time() + lifetime
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.alarm(int(lifetime) + 5)
            record = dict(info)
            record.update({'pid': os.getpid(), 'starttime': process_start_time(os.getpid()),
                           'expires': deadline})
            with open(pidfile, 'w') as handle:
                json.dump(record, handle)
            os.write(write_end, str(os.getpid()).encode('ascii'))
            os.close(write_end)
            serve_echo(listeners, deadline)
        except BaseException:  # pylint: disable=broad-except
            code = 1
        finally:
            try:
                os.unlink(pidfile)
            except OSError:
                pass
            os._exit(code)
    os.close(write_end)
    data = b''
    deadline = time.time() + wait
    while time.time() < deadline:
        ready, _w, _x = select.select([read_end], [], [], max(0.0, deadline - time.time()))
        if not ready:
            break
        chunk = os.read(read_end, 64)
        if not chunk:
            break
        data += chunk
    os.close(read_end)
    os.waitpid(child, 0)
    for sock in listeners:
        sock.close()
    try:
        return int(data) if data else None
    except ValueError:
        return None


def running_listener(pidfile):
    """The pid of the live listener recorded in ``pidfile``, or None (no file, or that process is gone)."""
    try:
        with open(pidfile) as handle:
            record = json.load(handle)
        pid = int(record['pid'])
    except (IOError, OSError, ValueError, KeyError, TypeError):
        return None
    start = record.get('starttime')
    if start is None or process_start_time(pid) != start:
        return None
    return pid


def stop_listener(pidfile, wait=3.0):
    """Stop the listener recorded in ``pidfile`` (if it is still that process).

    Returns the pid that was stopped, or None when nothing was running.
    """
    try:
        with open(pidfile) as handle:
            record = json.load(handle)
        pid = int(record['pid'])
    except (IOError, OSError, ValueError, KeyError, TypeError):
        return None
    start = record.get('starttime')
    if start is None or process_start_time(pid) != start:
        try:
            os.unlink(pidfile)
        except OSError:
            pass
        return None
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        return None
    deadline = time.time() + wait
    while time.time() < deadline and process_start_time(pid) == start:
        time.sleep(0.05)
    if process_start_time(pid) == start:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    try:
        os.unlink(pidfile)
    except OSError:
        pass
    return pid
