#!/usr/bin/python3
"""Test upstream for the nginx_ssl scenario: HTTP and websocket echo on several ports.

HTTP: answers JSON {"host", "port", "path", "upgrade", "forwarded_proto"} so the test sees which
upstream (container and port) a location reached and which path it was given.
Websocket (RFC 6455): completes the handshake (101) and echoes each text frame back
as "<port>:<text>".
"""
import base64
import hashlib
import json
import socket
import struct
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return buf


def read_frame(sock):
    b0, b1 = recv_exact(sock, 2)
    opcode = b0 & 0x0F
    length = b1 & 0x7F
    if length == 126:
        length = struct.unpack("!H", recv_exact(sock, 2))[0]
    elif length == 127:
        length = struct.unpack("!Q", recv_exact(sock, 8))[0]
    mask = recv_exact(sock, 4) if b1 & 0x80 else b"\0\0\0\0"
    data = bytes(c ^ mask[i % 4] for i, c in enumerate(recv_exact(sock, length)))
    return opcode, data


def send_frame(sock, opcode, data):
    header = bytes([0x80 | opcode])
    if len(data) < 126:
        header += bytes([len(data)])
    elif len(data) < 65536:
        header += bytes([126]) + struct.pack("!H", len(data))
    else:
        header += bytes([127]) + struct.pack("!Q", len(data))
    sock.sendall(header + data)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # keep the journal readable
        sys.stderr.write("%s %s\n" % (self.server.server_port, fmt % args))

    def do_GET(self):
        if self.headers.get("Upgrade", "").lower() == "websocket":
            return self.websocket()
        body = json.dumps({
            "host": socket.gethostname(),
            "port": self.server.server_port,
            "path": self.path,
            "upgrade": self.headers.get("Upgrade"),
            "forwarded_proto": self.headers.get("X-Forwarded-Proto"),
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def websocket(self):
        key = self.headers.get("Sec-WebSocket-Key", "").encode()
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest()).decode()
        self.send_response(101, "Switching Protocols")
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.send_header("X-Echo-Path", self.path)
        self.end_headers()
        self.wfile.flush()
        sock = self.connection
        prefix = ("%d:" % self.server.server_port).encode()
        try:
            while True:
                opcode, data = read_frame(sock)
                if opcode == 0x8:
                    send_frame(sock, 0x8, b"")
                    break
                if opcode == 0x9:
                    send_frame(sock, 0xA, data)
                elif opcode in (0x1, 0x2):
                    send_frame(sock, opcode, prefix + data)
        except (ConnectionError, OSError):
            pass
        self.close_connection = True


def main(ports):
    # Every address: the default /sip location proxies to OpenSIPS' listener on the private address.
    servers = [ThreadingHTTPServer(("0.0.0.0", int(p)), Handler) for p in ports]
    for s in servers[1:]:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    servers[0].serve_forever()


if __name__ == "__main__":
    socket.setdefaulttimeout(None)
    main(sys.argv[1:])
