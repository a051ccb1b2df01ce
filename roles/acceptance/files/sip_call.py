# Copyright: voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A SIP phone over UDP for the acceptance checks (standard library only).

Usage: sip_call.py register|call|wss-register. The settings come as one JSON object in the environment variable
ACCEPTANCE_SIP (it holds the subscriber's password, kept off the command line):
  proxy, port       OpenSIPS' UDP listener
  domain            the SIP domain (From/To/Request-URI)
  user, password    the subscriber (digest authentication)
  timeout           seconds per SIP transaction
  number            call: the destination number (the echo extension)
  packets           call: PCMU packets (20 ms apart) sent once the call is answered
  cli_port          call: rtpengine's CLI port on 127.0.0.1 (0: not on this host, sessions not read)

register: REGISTER (401, then 200 with the digest; the reply must list the contact), then the same
  contact with expires=0 (401, then 200 without it). Prints {"register": [...], "saved": bool,
  "unregister": [...], "removed": bool, "ms": N}.
call: INVITE (407, then with the digest), 200 with SDP, ACK; RTP to the answer's address, counting
  the packets that come back; BYE. rtpengine's sessions not marked for deletion are listed before,
  during and after the call. Prints one JSON object; "error" names what went wrong.
wss-register: the register check over a secure WebSocket (RFC 7118) through nginx, as a browser phone
  does (run on the control node). Settings: connect, port (nginx's TLS address and port), server_name
  (SNI, Host; the certificate must be valid for it), ca (the bundle the chain must verify against),
  path (nginx's location proxied to OpenSIPS' WebSocket listener, /sip), domain, user, password, timeout.
  Prints the same keys as register, with "error" after a failure.
"""

import base64
import hashlib
import json
import os
import random
import re
import socket
import ssl
import struct
import sys
import time


def rand_hex(bits=32):
    return '%0*x' % (bits // 4, random.getrandbits(bits))


class Phone(object):
    """One UDP socket to OpenSIPS; requests retransmitted until a reply comes (RFC 3261 timer A, simplified)."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.proxy = (cfg['proxy'], int(cfg['port']))
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.connect(self.proxy)
        self.local, self.lport = self.sock.getsockname()[:2]
        self.timeout = float(cfg['timeout'])

    def send(self, text):
        self.sock.sendall(text.encode())

    def transaction(self, build, method):
        """Send the request build(branch) returns; return the final reply (text) or raise."""
        branch = 'z9hG4bK-acc-' + rand_hex()
        request = build(branch)
        self.send(request)
        deadline = time.monotonic() + self.timeout
        retransmit, interval, provisional = time.monotonic() + 0.5, 0.5, False
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, min(retransmit, deadline) - time.monotonic()))
            try:
                data = self.sock.recv(65535).decode(errors='replace')
            except socket.timeout:
                if not provisional and time.monotonic() >= retransmit:
                    self.send(request)
                    interval = min(interval * 2, 4)
                    retransmit = time.monotonic() + interval
                continue
            if not data.startswith('SIP/2.0 ') or branch not in header(data, 'Via'):
                continue
            if re.search(r'(?im)^CSeq:\s*\d+\s+' + method, data) is None:
                continue
            if status(data) < 200:
                provisional = True
                # An INVITE may ring for longer than one transaction timeout.
                if method == 'INVITE':
                    deadline = max(deadline, time.monotonic() + self.timeout)
                continue
            return data, branch
        raise RuntimeError('no final reply to %s within %s s' % (method, self.timeout))

    def via(self, branch):
        return 'Via: SIP/2.0/UDP %s:%d;branch=%s;rport' % (self.local, self.lport, branch)


class WebSocket(object):
    """A client WebSocket over TLS carrying SIP text frames."""

    def __init__(self, cfg):
        ctx = ssl.create_default_context(cafile=cfg['ca'])
        raw = socket.create_connection((cfg['connect'], int(cfg['port'])), timeout=float(cfg['timeout']))
        self.sock = ctx.wrap_socket(raw, server_hostname=cfg['server_name'])
        key = base64.b64encode(os.urandom(16)).decode()
        host = cfg['server_name'] if int(cfg['port']) == 443 else '%s:%s' % (cfg['server_name'], cfg['port'])
        self.sock.sendall(('GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
                           'Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n'
                           'Origin: https://%s\r\n\r\n' % (cfg['path'], host, key, host)).encode())
        head = b''
        while b'\r\n\r\n' not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise OSError('the WebSocket handshake was closed')
            head += chunk
        self.buf = head.split(b'\r\n\r\n', 1)[1]
        first = head.split(b'\r\n', 1)[0].decode(errors='replace')
        if ' 101 ' not in first:
            raise OSError('WebSocket upgrade refused: %s' % first)
        accept = base64.b64encode(hashlib.sha1((key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').encode()).digest())
        if accept not in head:
            raise OSError('wrong Sec-WebSocket-Accept in the upgrade reply')

    def send(self, text):
        payload = text.encode()
        mask = os.urandom(4)
        if len(payload) < 126:
            head = struct.pack('!BB', 0x81, 0x80 | len(payload))
        else:
            head = struct.pack('!BBH', 0x81, 0x80 | 126, len(payload))
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise OSError('WebSocket closed')
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def recv(self):
        while True:
            first, second = struct.unpack('!BB', self.read(2))
            length = second & 0x7F
            if length == 126:
                length = struct.unpack('!H', self.read(2))[0]
            elif length == 127:
                length = struct.unpack('!Q', self.read(8))[0]
            payload = self.read(length)
            if first & 0x0F in (0x1, 0x2):
                return payload.decode(errors='replace')
            if first & 0x0F == 0x8:
                raise OSError('WebSocket closed by the server')


def status(reply):
    return int(reply.split(' ', 2)[1])


def header(message, name, every=False):
    head = message.split('\r\n\r\n', 1)[0]
    found = re.findall(r'(?im)^%s:\s*(.*?)\s*$' % re.escape(name), head)
    return found if every else (found[0] if found else '')


def digest(cfg, challenge, method, uri):
    """The Authorization value answering a Digest challenge (RFC 2617, MD5, qop auth when offered)."""
    params = dict((k, v1 or v2) for k, v1, v2 in re.findall(r'(\w+)=(?:"([^"]*)"|([^\s,]+))', challenge))
    ha1 = hashlib.md5(('%s:%s:%s' % (cfg['user'], params['realm'], cfg['password'])).encode()).hexdigest()
    ha2 = hashlib.md5(('%s:%s' % (method, uri)).encode()).hexdigest()
    value = 'Digest username="%s", realm="%s", nonce="%s", uri="%s", algorithm=MD5' % (cfg['user'], params['realm'], params['nonce'], uri)
    if 'auth' in params.get('qop', '').split(','):
        cnonce, nc = rand_hex(64), '00000001'
        response = hashlib.md5(('%s:%s:%s:%s:auth:%s' % (ha1, params['nonce'], nc, cnonce, ha2)).encode()).hexdigest()
        value += ', qop=auth, nc=%s, cnonce="%s"' % (nc, cnonce)
    else:
        response = hashlib.md5(('%s:%s:%s' % (ha1, params['nonce'], ha2)).encode()).hexdigest()
    value += ', response="%s"' % response
    if 'opaque' in params:
        value += ', opaque="%s"' % params['opaque']
    return value


def register(phone, expires, call_id, tag, cseq):
    """REGISTER the phone's contact for expires seconds, answering one challenge: ([codes], reply, next cseq)."""
    cfg = phone.cfg
    uri = 'sip:%s' % cfg['domain']
    contact = 'sip:%s@%s:%d' % (cfg['user'], phone.local, phone.lport)
    codes, auth = [], ''
    for _attempt in range(2):
        def build(branch, cseq=cseq, auth=auth):
            return '\r\n'.join([
                'REGISTER %s SIP/2.0' % uri, phone.via(branch), 'Max-Forwards: 70',
                'From: <sip:%s@%s>;tag=%s' % (cfg['user'], cfg['domain'], tag), 'To: <sip:%s@%s>' % (cfg['user'], cfg['domain']),
                'Call-ID: %s' % call_id, 'CSeq: %d REGISTER' % cseq, 'Contact: <%s>;expires=%d' % (contact, expires),
                'User-Agent: voiceops-acceptance'] + ([auth] if auth else []) + ['Content-Length: 0', '', ''])
        reply, _branch = phone.transaction(build, 'REGISTER')
        cseq += 1
        codes.append(status(reply))
        challenge = header(reply, 'WWW-Authenticate')
        if status(reply) == 401 and not auth and challenge:
            auth = 'Authorization: ' + digest(cfg, challenge, 'REGISTER', uri)
            continue
        break
    return codes, reply, cseq, contact


def register_wss(ws, cfg, state, expires):
    """REGISTER the browser's contact, answering one challenge: ([codes], final reply)."""
    uri = 'sip:%s' % cfg['domain']
    codes, auth, reply = [], '', ''
    for _attempt in range(2):
        branch = 'z9hG4bK-acc-' + rand_hex()
        ws.send('\r\n'.join([
            'REGISTER %s SIP/2.0' % uri, 'Via: SIP/2.0/WSS %s;branch=%s' % (state['host'], branch), 'Max-Forwards: 70',
            'From: <sip:%s@%s>;tag=%s' % (cfg['user'], cfg['domain'], state['tag']), 'To: <sip:%s@%s>' % (cfg['user'], cfg['domain']),
            'Call-ID: %s' % state['call_id'], 'CSeq: %d REGISTER' % state['cseq'],
            'Contact: <%s;transport=ws>;expires=%d' % (state['contact'], expires), 'User-Agent: voiceops-acceptance']
            + ([auth] if auth else []) + ['Content-Length: 0', '', '']))
        state['cseq'] += 1
        while True:
            reply = ws.recv()
            if reply.startswith('SIP/2.0 ') and branch in header(reply, 'Via') and int(reply.split(' ', 2)[1]) >= 200:
                break
        code = int(reply.split(' ', 2)[1])
        codes.append(code)
        challenge = header(reply, 'WWW-Authenticate')
        if code == 401 and not auth and challenge:
            auth = 'Authorization: ' + digest(cfg, challenge, 'REGISTER', uri)
            continue
        break
    return codes, reply


def cmd_register(cfg):
    phone = Phone(cfg)
    call_id, tag = 'acceptance-reg-%s@voiceops' % rand_hex(64), rand_hex()
    started = time.monotonic()
    out = {'register': [], 'saved': False, 'unregister': [], 'removed': False}
    try:
        out['register'], reply, cseq, contact = register(phone, 60, call_id, tag, 1)
        out['saved'] = any(contact in c for c in header(reply, 'Contact', every=True))
        out['ms'] = round((time.monotonic() - started) * 1000, 1)
        if out['register'][-1] == 200:
            out['unregister'], reply, cseq, contact = register(phone, 0, call_id, tag, cseq)
            out['removed'] = out['unregister'][-1] == 200 and not any(contact in c for c in header(reply, 'Contact', every=True))
    except (OSError, RuntimeError) as exc:
        out['error'] = str(exc)
    return out


# --- rtpengine's CLI ------------------------------------------------------------------
def rtpengine_sessions(port):
    """Call-IDs of rtpengine's sessions not marked for deletion (`list sessions all` on its CLI)."""
    sock = socket.create_connection(('127.0.0.1', port), timeout=2)
    sock.sendall(b'list sessions all\n')
    data = b''
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        pass
    sock.close()
    active = []
    for line in data.decode(errors='replace').splitlines():
        m = re.search(r'callid:\s*(\S+).*?deletionmark:\s*(\S+)', line)
        if m and m.group(2) != 'yes':
            active.append(m.group(1))
    return active


# --- The call ---------------------------------------------------------------------------
def sdp_offer(address, port):
    session = random.randint(1000, 999999)
    return '\r\n'.join([
        'v=0', 'o=voiceops %d %d IN IP4 %s' % (session, session, address), 's=voiceops-acceptance',
        'c=IN IP4 %s' % address, 't=0 0', 'm=audio %d RTP/AVP 0' % port, 'a=rtpmap:0 PCMU/8000', 'a=ptime:20', 'a=sendrecv', ''])


def rtp_exchange(rtp, target, count):
    """Send count PCMU packets 20 ms apart to target while counting what comes back: (received, sources)."""
    received, sources = 0, {}
    ssrc = random.getrandbits(32)
    start = time.monotonic()
    for seq in range(count + 25):
        if seq < count:
            rtp.sendto(struct.pack('!BBHII', 0x80, 0, seq, seq * 160, ssrc) + b'\xff' * 160, target)
        until = start + (seq + 1) * 0.02
        while True:
            left = until - time.monotonic()
            if left <= 0:
                break
            rtp.settimeout(left)
            try:
                data, addr = rtp.recvfrom(2048)
            except socket.timeout:
                break
            if len(data) >= 12 and data[0] >> 6 == 2:
                received += 1
                key = '%s:%d' % addr[:2]
                sources[key] = sources.get(key, 0) + 1
    return received, sources


def cmd_call(cfg):
    phone = Phone(cfg)
    cli = int(cfg.get('cli_port') or 0)
    rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rtp.bind((phone.local, 0))
    rtp_port = rtp.getsockname()[1]
    call_id, tag = 'acceptance-call-%s@voiceops' % rand_hex(64), rand_hex()
    uri = 'sip:%s@%s:%d' % (cfg['number'], cfg['proxy'], int(cfg['port']))
    out = {'call_id': call_id, 'invite': [], 'sent': 0, 'received': 0, 'sources': {}, 'bye': None}
    sessions = {}
    if cli:
        try:
            sessions['before'] = rtpengine_sessions(cli)
        except OSError as exc:
            sessions['error'] = 'rtpengine CLI on 127.0.0.1:%d: %s' % (cli, exc)
            cli = 0
    body = sdp_offer(phone.local, rtp_port)
    dialog = None
    try:
        auth, cseq = '', 1
        for _attempt in range(2):
            def build(branch, cseq=cseq, auth=auth):
                return '\r\n'.join([
                    'INVITE %s SIP/2.0' % uri, phone.via(branch), 'Max-Forwards: 70',
                    'From: <sip:%s@%s>;tag=%s' % (cfg['user'], cfg['domain'], tag), 'To: <sip:%s@%s>' % (cfg['number'], cfg['domain']),
                    'Call-ID: %s' % call_id, 'CSeq: %d INVITE' % cseq, 'Contact: <sip:%s@%s:%d>' % (cfg['user'], phone.local, phone.lport),
                    'User-Agent: voiceops-acceptance', 'Content-Type: application/sdp'] + ([auth] if auth else [])
                    + ['Content-Length: %d' % len(body), '', body])
            started = time.monotonic()
            reply, branch = phone.transaction(build, 'INVITE')
            code = status(reply)
            out['invite'].append(code)
            if code >= 300:
                # ACK of a final non-2xx reply: same branch, the reply's To (RFC 3261 17.1.1.3).
                phone.send('\r\n'.join([
                    'ACK %s SIP/2.0' % uri, phone.via(branch), 'Max-Forwards: 70',
                    'From: <sip:%s@%s>;tag=%s' % (cfg['user'], cfg['domain'], tag), 'To: %s' % header(reply, 'To'),
                    'Call-ID: %s' % call_id, 'CSeq: %d ACK' % cseq, 'Content-Length: 0', '', '']))
            challenge = header(reply, 'Proxy-Authenticate')
            cseq += 1
            if code == 407 and not auth and challenge:
                auth = 'Proxy-Authorization: ' + digest(cfg, challenge, 'INVITE', uri)
                continue
            break
        if out['invite'][-1] != 200:
            out['error'] = 'INVITE refused: %s' % reply.split('\r\n', 1)[0]
            return finish(out, cli, sessions)
        out['answer_ms'] = round((time.monotonic() - started) * 1000, 1)
        out['server'] = header(reply, 'Server') or header(reply, 'User-Agent')
        out['node'] = header(reply, 'X-Voiceops-Acceptance')
        sdp = reply.split('\r\n\r\n', 1)[1] if '\r\n\r\n' in reply else ''
        conn = re.search(r'(?m)^c=IN IP4 (\S+)', sdp)
        media = re.search(r'(?m)^m=audio (\d+)', sdp)
        out['answer'] = '%s:%s' % (conn.group(1) if conn else '?', media.group(1) if media else '?')
        # The dialog: remote target and route set (Record-Route reversed) of the 200 OK.
        routes = [r for h in reversed(header(reply, 'Record-Route', every=True)) for r in reversed(h.split(','))]
        target = re.search(r'<([^>]+)>', header(reply, 'Contact'))
        dialog = {'target': target.group(1) if target else uri, 'to': header(reply, 'To'), 'routes': [r.strip() for r in routes], 'cseq': cseq - 1}
        phone.send(in_dialog(phone, cfg, dialog, 'ACK', tag, call_id, dialog['cseq'], 'z9hG4bK-acc-' + rand_hex()))
        if conn is None or media is None:
            out['error'] = 'no audio in the answer: %s' % sdp.replace('\r\n', ' ')[:200]
        else:
            if cli:
                sessions['during'] = rtpengine_sessions(cli)
            out['sent'] = int(cfg['packets'])
            out['received'], out['sources'] = rtp_exchange(rtp, (conn.group(1), int(media.group(1))), out['sent'])
    except (OSError, RuntimeError) as exc:
        out['error'] = str(exc)
    finally:
        if dialog is not None:
            try:
                bye, _branch = phone.transaction(
                    lambda branch: in_dialog(phone, cfg, dialog, 'BYE', tag, call_id, dialog['cseq'] + 1, branch), 'BYE')
                out['bye'] = status(bye)
            except (OSError, RuntimeError) as exc:
                out['bye'] = str(exc)
    return finish(out, cli, sessions)


def in_dialog(phone, cfg, dialog, method, tag, call_id, cseq, branch):
    return '\r\n'.join([
        '%s %s SIP/2.0' % (method, dialog['target']), phone.via(branch), 'Max-Forwards: 70']
        + ['Route: %s' % r for r in dialog['routes']]
        + ['From: <sip:%s@%s>;tag=%s' % (cfg['user'], cfg['domain'], tag), 'To: %s' % dialog['to'],
           'Call-ID: %s' % call_id, 'CSeq: %d %s' % (cseq, method), 'User-Agent: voiceops-acceptance', 'Content-Length: 0', '', ''])


def finish(out, cli, sessions):
    if cli:
        try:
            # The BYE's delete reaches rtpengine through OpenSIPS a moment after the 200 OK.
            for _attempt in range(10):
                sessions['after'] = rtpengine_sessions(cli)
                if out['call_id'] not in sessions['after']:
                    break
                time.sleep(0.3)
        except OSError as exc:
            sessions['error'] = str(exc)
    out['sessions'] = sessions
    return out


def cmd_wss_register(cfg):
    """The register check over WSS through nginx; the same keys as cmd_register, with "error" after a failure."""
    out = {'register': [], 'saved': False, 'unregister': [], 'removed': False}
    started = time.monotonic()
    try:
        ws = WebSocket(cfg)
        host = rand_hex(48) + '.invalid'
        state = {'host': host, 'tag': rand_hex(), 'call_id': 'acceptance-wss-%s@voiceops' % rand_hex(64), 'cseq': 1,
                 'contact': 'sip:%s@%s' % (cfg['user'], host)}
        out['register'], reply = register_wss(ws, cfg, state, 60)
        out['saved'] = any(state['contact'] in c for c in header(reply, 'Contact', every=True))
        out['ms'] = round((time.monotonic() - started) * 1000, 1)
        if out['register'][-1] == 200:
            out['unregister'], reply = register_wss(ws, cfg, state, 0)
            out['removed'] = out['unregister'][-1] == 200 and not any(state['contact'] in c for c in header(reply, 'Contact', every=True))
        ws.sock.close()
    except (OSError, ValueError, KeyError) as exc:
        out['error'] = '%s: %s' % (type(exc).__name__, exc)
    return out


def main():
    cfg = json.loads(os.environ.get('ACCEPTANCE_SIP', '{}'))
    try:
        out = {'register': cmd_register, 'wss-register': cmd_wss_register}.get(sys.argv[1] if sys.argv[1:] else '', cmd_call)(cfg)
    except (OSError, KeyError, ValueError) as exc:
        out = {'error': '%s: %s' % (type(exc).__name__, exc)}
    print(json.dumps(out))


if __name__ == '__main__':
    main()
