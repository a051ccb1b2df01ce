# Copyright: voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""REGISTER over a secure WebSocket (RFC 7118) through nginx, as a browser phone does (standard library only).

Usage: sip_wss_register.py. Settings as one JSON object in the environment variable ACCEPTANCE_SIP:
  connect, port     address and port nginx listens on (TLS)
  server_name       the name the certificate must be valid for (SNI, Host)
  ca                CA bundle the chain must verify against
  path              nginx's location proxied to OpenSIPS' WebSocket listener (/sip)
  domain, user, password, timeout
Opens wss://server_name:port/path (subprotocol "sip"), sends REGISTER (401, then 200 with the digest;
the reply must list the contact), then the same contact with expires=0 (401, then 200 without it).
Prints {"register": [...], "saved": bool, "unregister": [...], "removed": bool, "ms": N, "error": "..."}.
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
import time


def rand_hex(bits=32):
    return '%0*x' % (bits // 4, random.getrandbits(bits))


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


def header(message, name, every=False):
    head = message.split('\r\n\r\n', 1)[0]
    found = re.findall(r'(?im)^%s:\s*(.*?)\s*$' % re.escape(name), head)
    return found if every else (found[0] if found else '')


def digest(cfg, challenge, uri):
    params = dict((k, v1 or v2) for k, v1, v2 in re.findall(r'(\w+)=(?:"([^"]*)"|([^\s,]+))', challenge))
    ha1 = hashlib.md5(('%s:%s:%s' % (cfg['user'], params['realm'], cfg['password'])).encode()).hexdigest()
    ha2 = hashlib.md5(('REGISTER:%s' % uri).encode()).hexdigest()
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


def register(ws, cfg, state, expires):
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
            auth = 'Authorization: ' + digest(cfg, challenge, uri)
            continue
        break
    return codes, reply


def main():
    cfg = json.loads(os.environ.get('ACCEPTANCE_SIP', '{}'))
    out = {'register': [], 'saved': False, 'unregister': [], 'removed': False}
    started = time.monotonic()
    try:
        ws = WebSocket(cfg)
        host = rand_hex(48) + '.invalid'
        state = {'host': host, 'tag': rand_hex(), 'call_id': 'acceptance-wss-%s@voiceops' % rand_hex(64), 'cseq': 1,
                 'contact': 'sip:%s@%s' % (cfg['user'], host)}
        out['register'], reply = register(ws, cfg, state, 60)
        out['saved'] = any(state['contact'] in c for c in header(reply, 'Contact', every=True))
        out['ms'] = round((time.monotonic() - started) * 1000, 1)
        if out['register'][-1] == 200:
            out['unregister'], reply = register(ws, cfg, state, 0)
            out['removed'] = out['unregister'][-1] == 200 and not any(state['contact'] in c for c in header(reply, 'Contact', every=True))
        ws.sock.close()
    except (OSError, ValueError, KeyError) as exc:
        out['error'] = '%s: %s' % (type(exc).__name__, exc)
    print(json.dumps(out))


if __name__ == '__main__':
    main()
