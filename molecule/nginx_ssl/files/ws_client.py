"""Websocket client for the nginx_ssl scenario (stdlib only): a real TLS + RFC 6455 client.

ws_client.py --connect IP:PORT --sni NAME --cafile CA --path /sip [--trigger "CMD"]
Opens wss://NAME/PATH at IP:PORT verifying the chain against CA, checks the 101
handshake, sends a text frame and expects the upstream's echo. With --trigger, keeps
the same connection open while CMD runs (e.g. a certificate renewal that reloads
nginx), then sends a second frame on it. Prints a JSON report; exit 0 when all passed.
"""
import argparse
import base64
import hashlib
import json
import os
import socket
import ssl
import struct
import subprocess
import sys

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed by the server")
        buf += chunk
    return buf


def send_text(sock, text):
    data = text.encode()
    mask = os.urandom(4)
    header = bytes([0x81])
    if len(data) < 126:
        header += bytes([0x80 | len(data)])
    else:
        header += bytes([0x80 | 126]) + struct.pack("!H", len(data))
    sock.sendall(header + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(data)))


def recv_text(sock):
    b0, b1 = recv_exact(sock, 2)
    length = b1 & 0x7F
    if length == 126:
        length = struct.unpack("!H", recv_exact(sock, 2))[0]
    elif length == 127:
        length = struct.unpack("!Q", recv_exact(sock, 8))[0]
    return b0 & 0x0F, recv_exact(sock, length).decode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--connect", required=True)
    ap.add_argument("--sni", required=True)
    ap.add_argument("--cafile", required=True)
    ap.add_argument("--path", required=True)
    ap.add_argument("--trigger")
    args = ap.parse_args()
    host, port = args.connect.rsplit(":", 1)
    ctx = ssl.create_default_context(cafile=args.cafile)
    ctx.set_alpn_protocols(["http/1.1"])
    report = {"path": args.path}
    raw = socket.create_connection((host, int(port)), timeout=30)
    sock = ctx.wrap_socket(raw, server_hostname=args.sni)
    report["tls_version"] = sock.version()
    report["peer_serial"] = sock.getpeercert()["serialNumber"]
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((
        "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
        % (args.path, args.sni, key)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += recv_exact(sock, 1)
    lines = head.decode().split("\r\n")
    report["status"] = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:] if ":" in l)}
    expected = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
    report["accept_ok"] = headers.get("sec-websocket-accept") == expected
    report["upstream_path"] = headers.get("x-echo-path")
    ok = report["status"] == 101 and report["accept_ok"]
    if ok:
        send_text(sock, "before")
        report["echo_before"] = recv_text(sock)[1]
        ok = report["echo_before"].endswith(":before")
    if ok and args.trigger:
        proc = subprocess.run(args.trigger, shell=True, capture_output=True, text=True, check=False)
        report["trigger_rc"] = proc.returncode
        report["trigger_output"] = (proc.stdout + proc.stderr)[-2000:]
        try:
            send_text(sock, "after")
            report["echo_after"] = recv_text(sock)[1]
        except (ConnectionError, OSError) as exc:
            report["echo_after"] = "ERROR: %s" % exc
        ok = proc.returncode == 0 and report["echo_after"].endswith(":after")
    report["ok"] = ok
    print(json.dumps(report))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
