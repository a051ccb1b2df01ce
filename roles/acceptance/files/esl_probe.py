# Copyright: voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Log in to FreeSWITCH's Event Socket as Rocket.Chat does and run `api list_users`.
Usage: esl_probe.py HOST PORT TIMEOUT (password in ACCEPTANCE_ESL_PASSWORD).
Prints JSON {auth: accepted|denied|error, detail, users: [user ids]}."""

import json
import os
import socket
import sys


def read_message(sock, buf):
    """One ESL message: headers, then Content-Length bytes of body."""
    while b'\n\n' not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise OSError('connection closed')
        buf += chunk
    head, buf = buf.split(b'\n\n', 1)
    headers = dict(line.split(': ', 1) for line in head.decode().split('\n') if ': ' in line)
    length = int(headers.get('Content-Length', 0))
    while len(buf) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise OSError('connection closed')
        buf += chunk
    return headers, buf[:length].decode(errors='replace'), buf[length:]


def main():
    host, port, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    out = {'auth': 'error', 'detail': '', 'users': []}
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
        headers, _body, buf = read_message(sock, b'')
        if headers.get('Content-Type') != 'auth/request':
            out['detail'] = 'no auth request: %s' % headers
        else:
            sock.sendall(('auth %s\n\n' % os.environ.get('ACCEPTANCE_ESL_PASSWORD', '')).encode())
            headers, _body, buf = read_message(sock, buf)
            reply = headers.get('Reply-Text', '')
            out['auth'] = 'accepted' if reply.startswith('+OK') else 'denied'
            out['detail'] = reply
            if out['auth'] == 'accepted':
                sock.sendall(b'api list_users\n\n')
                _headers, body, buf = read_message(sock, buf)
                lines = [line.split('|') for line in body.strip().split('\n')]
                if lines and lines[0] and lines[0][0] == 'userid':
                    out['users'] = sorted(set(fields[0] for fields in lines[1:] if fields and fields[0]))
                else:
                    out['detail'] = body.strip()[:200]
        sock.close()
    except OSError as exc:
        out['detail'] = str(exc)
    print(json.dumps(out))


if __name__ == '__main__':
    main()
