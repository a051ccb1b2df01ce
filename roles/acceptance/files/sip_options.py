# Copyright: voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Send one SIP OPTIONS to each TRANSPORT:ADDRESS:PORT argument; print one JSON list of
{target, status, reply, ms}. Usage: sip_options.py TIMEOUT udp:10.0.0.1:5060 tcp:10.0.0.1:5060"""

import json
import random
import socket
import sys
import time


def options(transport, address, port, timeout):
    branch = 'z9hG4bK-acc-%08x' % random.getrandbits(32)
    tag = '%08x' % random.getrandbits(32)
    call_id = 'acceptance-%08x@voiceops' % random.getrandbits(32)
    family = socket.AF_INET6 if ':' in address else socket.AF_INET
    kind = socket.SOCK_DGRAM if transport == 'udp' else socket.SOCK_STREAM
    sock = socket.socket(family, kind)
    sock.settimeout(timeout)
    started = time.monotonic()
    try:
        sock.connect((address, port))
        local, lport = sock.getsockname()[:2]
        request = ('OPTIONS sip:%s:%d SIP/2.0\r\n'
                   'Via: SIP/2.0/%s %s:%d;branch=%s;rport\r\n'
                   'Max-Forwards: 70\r\n'
                   'From: <sip:acceptance@%s>;tag=%s\r\n'
                   'To: <sip:%s:%d>\r\n'
                   'Call-ID: %s\r\n'
                   'CSeq: 1 OPTIONS\r\n'
                   'Accept: application/sdp\r\n'
                   'User-Agent: voiceops-acceptance\r\n'
                   'Content-Length: 0\r\n\r\n') % (address, port, transport.upper(), local, lport, branch, local, tag,
                                                   address, port, call_id)
        sock.sendall(request.encode())
        while True:
            data = sock.recv(65535).decode(errors='replace')
            if not data:
                return 'no reply', '', None
            line = data.split('\r\n', 1)[0]
            # Skip provisional replies; OPTIONS gets a final one.
            if line.startswith('SIP/2.0 1'):
                continue
            return 'answered', line, round((time.monotonic() - started) * 1000, 1)
    except socket.timeout:
        return 'timeout', '', None
    except OSError as exc:
        return 'error', str(exc), None
    finally:
        sock.close()


def main():
    timeout = float(sys.argv[1])
    out = []
    for target in sys.argv[2:]:
        transport, address, port = target.split(':', 2)
        status, reply, elapsed = options(transport, address, int(port), timeout)
        out.append({'target': target, 'status': status, 'reply': reply, 'ms': elapsed})
    print(json.dumps(out))


if __name__ == '__main__':
    main()
