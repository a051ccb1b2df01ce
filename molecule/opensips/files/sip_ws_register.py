"""SIP REGISTER over a secure WebSocket (RFC 7118), stdlib only - the opensips scenario's browser.

sip_ws_register.py --connect IP --server-name NAME --ca CA.pem --path /sip --domain D --user U --password P

Opens wss://NAME/path (TCP to IP, TLS verified against CA for NAME, subprotocol "sip"), sends a
REGISTER, expects 401 with a digest challenge, answers it, and prints one JSON line:
{"first": 401, "second": 200, "contact": "..."}. Exit status 0 only for 401 then 200.
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


def ws_connect(args):
    ctx = ssl.create_default_context(cafile=args.ca)
    raw = socket.create_connection((args.connect, args.port), timeout=10)
    sock = ctx.wrap_socket(raw, server_hostname=args.server_name)
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


def register(args, sock, cseq, call_id, tag, branch_id, auth=None):
    lines = [
        f"REGISTER sip:{args.domain} SIP/2.0",
        f"Via: SIP/2.0/WSS {args.invalid_host};branch=z9hG4bK{branch_id}{cseq}",
        "Max-Forwards: 70",
        f"To: <sip:{args.user}@{args.domain}>",
        f"From: <sip:{args.user}@{args.domain}>;tag={tag}",
        f"Call-ID: {call_id}",
        f"CSeq: {cseq} REGISTER",
        f"Contact: <sip:{args.user}@{args.invalid_host};transport=ws>;expires=600",
    ]
    if auth:
        lines.append(auth)
    lines += ["Content-Length: 0", "", ""]
    ws_send(sock, "\r\n".join(lines))
    while True:
        reply = ws_recv(sock)
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
    p.add_argument("--port", type=int, default=443)
    p.add_argument("--path", default="/sip")
    args = p.parse_args()
    args.invalid_host = uuid.uuid4().hex[:12] + ".invalid"
    sock = ws_connect(args)
    call_id, tag, branch_id = uuid.uuid4().hex, uuid.uuid4().hex[:8], uuid.uuid4().hex[:10]
    first, reply = register(args, sock, 1, call_id, tag, branch_id)
    result = {"first": first, "second": None, "contact": None}
    if first == 401:
        challenge = re.search(r"(?im)^WWW-Authenticate:\s*Digest\s+(.*)$", reply).group(1)
        second, reply = register(args, sock, 2, call_id, tag, branch_id, digest(args, challenge, f"sip:{args.domain}"))
        result["second"] = second
        m = re.search(r"(?im)^Contact:\s*(.*)$", reply)
        result["contact"] = m.group(1).strip() if m else None
    print(json.dumps(result))
    sys.exit(0 if (result["first"], result["second"]) == (401, 200) else 1)


if __name__ == "__main__":
    main()
