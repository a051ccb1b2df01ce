# Copyright: voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Log in to FreeSWITCH's Event Socket as Rocket.Chat does and ask what Rocket.Chat asks.
Usage: esl_probe.py HOST PORT TIMEOUT [CANDIDATES] (password in ACCEPTANCE_ESL_PASSWORD).
  `api list_users group default` (the extensions), `api eval ${domain}` (the SIP domain), and with
  CANDIDATES (comma-separated extensions): `api show registrations as json`, the first candidate no
  client has registered, and its password (`api user_data <ext>@<domain> param password`), which a
  browser phone of Rocket.Chat registers with.
Prints JSON {auth: accepted|denied|error, detail, users: [user ids], domain, registered: [users],
  extension, password}."""

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


def api(sock, buf, command):
    """The body of `api COMMAND` (stripped) and what is left of the buffer."""
    sock.sendall(('api %s\n\n' % command).encode())
    _headers, body, buf = read_message(sock, buf)
    return body.strip(), buf


def main():
    host, port, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    candidates = [c for c in (sys.argv[4] if len(sys.argv) > 4 else '').split(',') if c]
    out = {'auth': 'error', 'detail': '', 'users': [], 'domain': '', 'registered': [], 'extension': '', 'password': ''}
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
                body, buf = api(sock, buf, 'list_users group default')
                lines = [line.split('|') for line in body.split('\n')]
                if lines and lines[0] and lines[0][0] == 'userid':
                    # The rows, then a line "+OK".
                    out['users'] = sorted(set(fields[0] for fields in lines[1:] if len(fields) > 1 and fields[0]))
                else:
                    out['detail'] = body[:200]
                out['domain'], buf = api(sock, buf, 'eval ${domain}')
                if candidates:
                    body, buf = api(sock, buf, 'show registrations as json')
                    rows = json.loads(body).get('rows', []) if body.startswith('{') else []
                    out['registered'] = sorted(set(row.get('reg_user', '') for row in rows) - {''})
                    free = [c for c in candidates if c in out['users'] and c not in out['registered']]
                    if free:
                        out['extension'] = free[0]
                        out['password'], buf = api(sock, buf, 'user_data %s@%s param password' % (free[0], out['domain']))
        sock.close()
    except (OSError, ValueError) as exc:
        out['detail'] = '%s: %s' % (type(exc).__name__, exc)
    print(json.dumps(out))


if __name__ == '__main__':
    main()
