"""SIP REGISTER over a secure WebSocket (RFC 7118) or over TLS (RFC 3261, sips), stdlib only - the
opensips scenario's browser and TLS phone.

sip_register.py --connect IP --server-name NAME --ca CA.pem [--transport wss|tls] [--port N] [--path /sip]
                   --domain D --user U --password P

wss (default): opens wss://NAME/path (TCP to IP:443, TLS verified against CA for NAME, subprotocol "sip").
tls: opens a TLS connection to IP:5061, verified the same way, and sends SIP on it directly.
Sends a REGISTER, expects 401 with a digest challenge, answers it, and prints one JSON line:
{"first": 401, "second": 200, "contact": "...", "fingerprint": "<sha256 of the server's certificate>"}.
Exit status 0 only for 401 then 200.
"""
import argparse
import base64
import hashlib
import json
import os
import re
import socket
import ssl
import struct
import sys
import uuid


def tls_connect(args):
    ctx = ssl.create_default_context(cafile=args.ca)
    raw = socket.create_connection((args.connect, args.port), timeout=10)
    return ctx.wrap_socket(raw, server_hostname=args.server_name)


def fingerprint(sock):
    digest_hex = hashlib.sha256(sock.getpeercert(binary_form=True)).hexdigest()
    return ":".join(digest_hex[i:i + 2] for i in range(0, len(digest_hex), 2))


def ws_connect(args):
    sock = tls_connect(args)
    key = base64.b64encode(os.urandom(16)).decode()
    req = (
        f"GET {args.path} HTTP/1.1\r\nHost: {args.server_name}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Sec-WebSocket-Protocol: sip\r\nOrigin: https://{args.server_name}\r\n\r\n"
    )
    sock.sendall(req.encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            raise SystemExit("websocket handshake: connection closed")
        head += chunk
    status = head.split(b"\r\n", 1)[0].decode()
    if " 101 " not in status:
        raise SystemExit(f"websocket handshake refused: {status}")
    accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
    if accept.encode() not in head:
        raise SystemExit("websocket handshake: wrong Sec-WebSocket-Accept")
    return sock


def ws_send(sock, text):
    payload = text.encode()
    mask = os.urandom(4)
    header = bytes([0x81])
    if len(payload) < 126:
        header += bytes([0x80 | len(payload)])
    else:
        header += bytes([0x80 | 126]) + struct.pack("!H", len(payload))
    sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise SystemExit("websocket closed")
        data += chunk
    return data


def ws_recv(sock):
    while True:
        b1, b2 = recv_exact(sock, 2)
        length = b2 & 0x7F
        if length == 126:
            length = struct.unpack("!H", recv_exact(sock, 2))[0]
        elif length == 127:
            length = struct.unpack("!Q", recv_exact(sock, 8))[0]
        payload = recv_exact(sock, length)
        if b1 & 0x0F in (0x1, 0x2):
            return payload.decode()


class SipStream:
    """SIP messages straight on a TLS stream: headers, then Content-Length bytes of body."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def send(self, text):
        self.sock.sendall(text.encode())

    def recv(self):
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise SystemExit("TLS connection closed")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        m = re.search(rb"(?im)^(?:Content-Length|l):\s*([0-9]+)", head)
        length = int(m.group(1)) if m else 0
        while len(self.buf) < length:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise SystemExit("TLS connection closed")
            self.buf += chunk
        body, self.buf = self.buf[:length], self.buf[length:]
        return (head + b"\r\n\r\n" + body).decode()


class WsStream:
    def __init__(self, sock):
        self.sock = sock

    def send(self, text):
        ws_send(self.sock, text)

    def recv(self):
        return ws_recv(self.sock)


def register(args, stream, cseq, call_id, tag, branch_id, auth=None):
    proto, transport = ("WSS", "ws") if args.transport == "wss" else ("TLS", "tls")
    lines = [
        f"REGISTER sip:{args.domain} SIP/2.0",
        f"Via: SIP/2.0/{proto} {args.invalid_host};branch=z9hG4bK{branch_id}{cseq}",
        "Max-Forwards: 70",
        f"To: <sip:{args.user}@{args.domain}>",
        f"From: <sip:{args.user}@{args.domain}>;tag={tag}",
        f"Call-ID: {call_id}",
        f"CSeq: {cseq} REGISTER",
        f"Contact: <sip:{args.user}@{args.invalid_host};transport={transport}>;expires=600",
    ]
    if auth:
        lines.append(auth)
    lines += ["Content-Length: 0", "", ""]
    stream.send("\r\n".join(lines))
    while True:
        reply = stream.recv()
        code = int(reply.split(" ", 2)[1])
        if code >= 200:
            return code, reply


def digest(args, challenge, uri):
    params = dict(re.findall(r'(\w+)="?([^",]+)"?', challenge))
    ha1 = hashlib.md5(f"{args.user}:{params['realm']}:{args.password}".encode()).hexdigest()
    ha2 = hashlib.md5(f"REGISTER:{uri}".encode()).hexdigest()
    cnonce, nc = uuid.uuid4().hex[:16], "00000001"
    resp = hashlib.md5(f"{ha1}:{params['nonce']}:{nc}:{cnonce}:auth:{ha2}".encode()).hexdigest()
    return (
        f'Authorization: Digest username="{args.user}", realm="{params["realm"]}", nonce="{params["nonce"]}", '
        f'uri="{uri}", response="{resp}", algorithm=MD5, qop=auth, nc={nc}, cnonce="{cnonce}"'
    )


def main():
    p = argparse.ArgumentParser()
    for opt in ("connect", "server-name", "ca", "domain", "user", "password"):
        p.add_argument("--" + opt, required=True)
    p.add_argument("--transport", choices=("wss", "tls"), default="wss")
    p.add_argument("--port", type=int)
    p.add_argument("--path", default="/sip")
    args = p.parse_args()
    args.port = args.port or (443 if args.transport == "wss" else 5061)
    args.invalid_host = uuid.uuid4().hex[:12] + ".invalid"
    if args.transport == "wss":
        sock = ws_connect(args)
        stream = WsStream(sock)
    else:
        sock = tls_connect(args)
        stream = SipStream(sock)
    call_id, tag, branch_id = uuid.uuid4().hex, uuid.uuid4().hex[:8], uuid.uuid4().hex[:10]
    first, reply = register(args, stream, 1, call_id, tag, branch_id)
    result = {"first": first, "second": None, "contact": None, "fingerprint": fingerprint(sock)}
    if first == 401:
        challenge = re.search(r"(?im)^WWW-Authenticate:\s*Digest\s+(.*)$", reply).group(1)
        second, reply = register(args, stream, 2, call_id, tag, branch_id, digest(args, challenge, f"sip:{args.domain}"))
        result["second"] = second
        m = re.search(r"(?im)^Contact:\s*(.*)$", reply)
        result["contact"] = m.group(1).strip() if m else None
    print(json.dumps(result))
    sys.exit(0 if (result["first"], result["second"]) == (401, 200) else 1)


if __name__ == "__main__":
    main()
