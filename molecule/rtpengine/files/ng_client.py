"""A small rtpengine ng-protocol client and RTP test peer (standard library only).

The ng protocol: one UDP datagram per request, "<cookie> <bencoded dict>"; the
answer is "<same cookie> <bencoded dict>" with at least a "result" key.

  ng_client.py send --server 10.0.0.5:2223 '{"command": "ping"}'
      sends one ng request (a JSON object, encoded as bencode) and prints the
      answer as JSON; exit 0 on an answer, 3 on timeout.
  ng_client.py rtp --caller 10.0.0.6:40000 --callee 10.0.0.6:40002 \
                   --caller-peer 10.0.0.5:30010 --callee-peer 10.0.0.5:30020
      binds the two phones' RTP sockets, latches each side by sending first
      from it, then sends RTP each way through rtpengine and prints, as JSON,
      what each phone received and from where.

Written for the voiceops.platform rtpengine molecule scenario; no rtpengine code used.
"""

import argparse
import json
import os
import socket
import struct
import sys
import time


# --- bencode -----------------------------------------------------------------

def bencode(value):
    """Encode str/bytes/int/list/dict as bencode bytes (dict keys sorted, as the spec asks)."""
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode("utf-8")
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, (list, tuple)):
        return b"l" + b"".join(bencode(v) for v in value) + b"e"
    if isinstance(value, dict):
        items = sorted((k.encode("utf-8") if isinstance(k, str) else k, v) for k, v in value.items())
        return b"d" + b"".join(bencode(k) + bencode(v) for k, v in items) + b"e"
    raise TypeError("cannot bencode %r" % type(value))


def bdecode(data):
    """Decode one bencoded value; byte strings come back as str (utf-8, replacement on error)."""
    value, end = _bdecode_at(data, 0)
    if end != len(data):
        raise ValueError("trailing data after bencoded value at offset %d" % end)
    return value


def _bdecode_at(data, i):
    c = data[i:i + 1]
    if c == b"i":
        end = data.index(b"e", i)
        return int(data[i + 1:end]), end + 1
    if c == b"l":
        i += 1
        out = []
        while data[i:i + 1] != b"e":
            v, i = _bdecode_at(data, i)
            out.append(v)
        return out, i + 1
    if c == b"d":
        i += 1
        out = {}
        while data[i:i + 1] != b"e":
            k, i = _bdecode_at(data, i)
            v, i = _bdecode_at(data, i)
            out[k] = v
        return out, i + 1
    if c.isdigit():
        colon = data.index(b":", i)
        length = int(data[i:colon])
        start = colon + 1
        return data[start:start + length].decode("utf-8", "replace"), start + length
    raise ValueError("invalid bencode at offset %d: %r" % (i, data[i:i + 10]))


# --- ng request --------------------------------------------------------------

def hostport(text):
    host, _sep, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def ng_request(server, message, timeout):
    """Send one ng request; return the decoded answer dict, or None on timeout."""
    cookie = os.urandom(6).hex().encode("ascii")
    sock = socket.socket(socket.AF_INET6 if ":" in server[0] else socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(timeout)
    try:
        sock.sendto(cookie + b" " + bencode(message), server)
        deadline = time.monotonic() + timeout
        while True:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            data, _peer = sock.recvfrom(65535)
            got_cookie, _sep, body = data.partition(b" ")
            if got_cookie == cookie:
                return bdecode(body)
            # An answer to an older request: ignore it and keep waiting.
    except socket.timeout:
        return None
    finally:
        sock.close()


# --- RTP ---------------------------------------------------------------------

def rtp_packet(seq, ssrc, marker):
    """A valid RTP header (v2, PCMU) and 160 bytes of payload starting with marker."""
    header = struct.pack("!BBHII", 0x80, 0, seq & 0xFFFF, seq * 160, ssrc)
    payload = marker.encode("ascii").ljust(160, b"\xff")
    return header + payload


def send_and_collect(tx, rx, dest, marker, ssrc, count, interval):
    """Send count packets from tx to dest; collect what rx receives carrying marker."""
    received = []
    rx.settimeout(interval)
    for seq in range(1, count + 1):
        tx.sendto(rtp_packet(seq, ssrc, marker), dest)
        end = time.monotonic() + interval
        while time.monotonic() < end:
            try:
                data, src = rx.recvfrom(2048)
            except socket.timeout:
                break
            if data[12:12 + len(marker)] == marker.encode("ascii"):
                received.append({"from": "%s:%d" % src[:2], "seq": struct.unpack("!H", data[2:4])[0]})
    return received


def drain(sock):
    sock.settimeout(0.05)
    try:
        while True:
            sock.recvfrom(2048)
    except socket.timeout:
        pass


def rtp_exchange(args):
    caller = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    callee = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    caller.bind(hostport(args.caller))
    callee.bind(hostport(args.callee))
    caller_peer = hostport(args.caller_peer)
    callee_peer = hostport(args.callee_peer)
    # Latch: each phone sends first, so rtpengine learns both sides' real addresses.
    for sock, peer, marker in ((callee, callee_peer, "LATCH-B"), (caller, caller_peer, "LATCH-A")):
        for seq in range(3):
            sock.sendto(rtp_packet(seq, 0x1111, marker), peer)
            time.sleep(0.05)
    time.sleep(0.3)
    drain(caller)
    drain(callee)
    to_callee = send_and_collect(caller, callee, caller_peer, "CALLER-TO-CALLEE", 0xA1A1A1A1,
                                 args.count, args.interval)
    to_caller = send_and_collect(callee, caller, callee_peer, "CALLEE-TO-CALLER", 0xB2B2B2B2,
                                 args.count, args.interval)
    caller.close()
    callee.close()
    return {
        "sent_each_way": args.count,
        "caller_to_callee": {"received": len(to_callee),
                             "sources": sorted({p["from"] for p in to_callee})},
        "callee_to_caller": {"received": len(to_caller),
                             "sources": sorted({p["from"] for p in to_caller})},
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_send = sub.add_parser("send", help="send one ng request given as a JSON object")
    p_send.add_argument("--server", required=True, help="rtpengine ng address, host:port")
    p_send.add_argument("--timeout", type=float, default=3.0)
    p_send.add_argument("message", help='JSON object, e.g. {"command": "ping"}')
    p_rtp = sub.add_parser("rtp", help="send RTP both ways between two phones through rtpengine")
    p_rtp.add_argument("--caller", required=True, help="caller's RTP socket, ip:port (as in the offer SDP)")
    p_rtp.add_argument("--callee", required=True, help="callee's RTP socket, ip:port (as in the answer SDP)")
    p_rtp.add_argument("--caller-peer", required=True, help="rtpengine ip:port from the SDP the caller got")
    p_rtp.add_argument("--callee-peer", required=True, help="rtpengine ip:port from the SDP the callee got")
    p_rtp.add_argument("--count", type=int, default=10)
    p_rtp.add_argument("--interval", type=float, default=0.1)
    args = parser.parse_args(argv)

    if args.cmd == "send":
        message = json.loads(args.message)
        if isinstance(message.get("sdp"), str):
            # SDP lines end in CRLF (RFC 4566); accept LF-only input for convenience.
            message["sdp"] = message["sdp"].replace("\r\n", "\n").replace("\n", "\r\n")
        answer = ng_request(hostport(args.server), message, args.timeout)
        if answer is None:
            print(json.dumps({"timeout": True}))
            return 3
        print(json.dumps(answer))
        return 0
    print(json.dumps(rtp_exchange(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
