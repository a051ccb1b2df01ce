"""Real clients for the freeswitch scenario (standard library only).

esl      - Event Socket client as Rocket.Chat uses it: auth, then `api` commands; prints JSON.
events   - ESL client subscribed to CHANNEL_HANGUP_COMPLETE while a sipp call runs (media counters).
wss      - TLS + WebSocket (sip subprotocol) handshake, REGISTER -> 401, REGISTER with digest -> 200.
tlsinfo  - the certificate a TLS server presents (SHA-256 fingerprint).
flowmgr  - stand-in for Webitel's flow manager: an outbound-socket server that answers `connect`.
cdrsink  - stand-in for Webitel's storage service: an HTTP server that takes the JSON CDRs mod_json_cdr posts.
"""
import argparse
import base64
import hashlib
import json
import os
import random
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


# --- Event Socket ------------------------------------------------------------------
class Esl:
    def __init__(self, host, port, timeout=5):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def read_message(self):
        while b"\n\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("connection closed")
            self.buf += data
        head, self.buf = self.buf.split(b"\n\n", 1)
        headers = {}
        for line in head.decode().splitlines():
            if ": " in line:
                k, v = line.split(": ", 1)
                headers[k] = v
        body = b""
        length = int(headers.get("Content-Length", "0"))
        while len(self.buf) < length:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("connection closed")
            self.buf += data
        body, self.buf = self.buf[:length], self.buf[length:]
        return headers, body.decode(errors="replace")

    def send(self, command):
        self.sock.sendall(command.encode() + b"\n\n")


def esl_connect(args):
    esl = Esl(args.host, args.port)
    headers, body = esl.read_message()
    ctype = headers.get("Content-Type", "")
    if ctype != "auth/request":
        return esl, {"greeting": ctype, "body": body.strip(), "auth": None}
    esl.send("auth " + args.password)
    headers, _body = esl.read_message()
    return esl, {"greeting": ctype, "auth": headers.get("Reply-Text", "")}


def cmd_esl(args):
    try:
        esl, out = esl_connect(args)
    except (OSError, EOFError) as exc:
        print(json.dumps({"error": str(exc)}))
        return 0
    out["api"] = {}
    if out["auth"] and out["auth"].startswith("+OK"):
        for command in args.api:
            esl.send("api " + command)
            while True:
                headers, body = esl.read_message()
                if headers.get("Content-Type") == "api/response":
                    break
            out["api"][command] = body.strip()
    print(json.dumps(out))
    return 0


def collect_hangups(args, result, ready):
    esl, out = esl_connect(args)
    esl.send("event plain CHANNEL_HANGUP_COMPLETE")
    esl.read_message()
    ready.set()
    esl.sock.settimeout(args.timeout)
    events = []
    try:
        while len(events) < 2:
            headers, body = esl.read_message()
            if headers.get("Content-Type") != "text/event-plain":
                continue
            ev = {}
            for line in body.splitlines():
                if ": " in line:
                    k, v = line.split(": ", 1)
                    ev[k] = v
            events.append({k: ev.get(k) for k in (
                "Caller-Destination-Number", "Caller-Caller-ID-Number", "Call-Direction", "Hangup-Cause",
                "variable_rtp_audio_in_packet_count", "variable_rtp_audio_out_packet_count",
                "variable_sip_auth_username", "variable_read_codec")})
    except (socket.timeout, EOFError):
        pass
    result["auth"] = out["auth"]
    result["events"] = events


def cmd_call(args):
    """Registers the callee (sipp reg) with a sipp UAS as its contact, then the caller
    registers and calls it (sipp UAC, RTP stream), while an ESL client collects the
    hangup events of both legs."""
    result = {}
    ready = threading.Event()
    listener = threading.Thread(target=collect_hangups, args=(args, result, ready), daemon=True)
    listener.start()
    ready.wait(5)
    common = ["sipp", "-m", "1", "-nostdin", "-timeout", "30s", "-i", args.local_ip,
              "-key", "domain", args.domain, "-trace_err", "-trace_msg"]
    target = "%s:%d" % (args.host, args.sip_port)
    runs = {}
    reg = subprocess.run(common + ["-sf", args.scenarios + "/register.xml", "-p", "5071",
                                   "-key", "user", args.callee, "-key", "contact_port", "5070",
                                   "-au", args.callee, "-ap", args.callee_password, target],
                         capture_output=True, text=True, cwd=args.workdir, check=False)
    runs["register_callee"] = reg.returncode
    uas = subprocess.Popen(common + ["-sf", args.scenarios + "/uas.xml", "-p", "5070", "-mp", "16000",
                                     "-rtp_echo", "-key", "user", args.callee],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=args.workdir)
    time.sleep(0.5)
    uac = subprocess.run(common + ["-sf", args.scenarios + "/uac.xml", "-p", "5072", "-mp", "16100",
                                   "-key", "user", args.caller, "-key", "peer", args.callee,
                                   "-au", args.caller, "-ap", args.caller_password, target],
                         capture_output=True, text=True, cwd=args.workdir, check=False)
    runs["caller"] = uac.returncode
    try:
        uas.wait(timeout=20)
    except subprocess.TimeoutExpired:
        uas.kill()
    runs["callee"] = uas.returncode
    listener.join(args.timeout + 2)
    result["sipp"] = runs
    if any(runs.values()):
        result["sipp_errors"] = (reg.stderr + uac.stderr)[-1500:]
    print(json.dumps(result))
    return 0


# --- WebSocket over TLS (SIP over WSS, RFC 7118) --------------------------------------
def ws_send(sock, text):
    payload = text.encode()
    mask = os.urandom(4)
    header = bytes([0x81])
    n = len(payload)
    if n < 126:
        header += bytes([0x80 | n])
    elif n < 65536:
        header += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        header += bytes([0x80 | 127]) + struct.pack("!Q", n)
    sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError("connection closed")
        data += chunk
    return data


def ws_recv(sock):
    while True:
        b1, b2 = recv_exact(sock, 2)
        n = b2 & 0x7F
        if n == 126:
            n = struct.unpack("!H", recv_exact(sock, 2))[0]
        elif n == 127:
            n = struct.unpack("!Q", recv_exact(sock, 8))[0]
        payload = recv_exact(sock, n)
        if b1 & 0x0F in (1, 2):
            return payload.decode(errors="replace")


def sip_headers(message):
    lines = message.split("\r\n")
    return lines[0], {l.split(":", 1)[0].strip().lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}


def cmd_wss(args):
    ctx = ssl.create_default_context(cafile=args.cafile)
    raw = socket.create_connection((args.host, args.port), timeout=5)
    sock = ctx.wrap_socket(raw, server_hostname=args.domain)
    out = {"tls": sock.version(), "peer_cn": dict(x[0] for x in sock.getpeercert()["subject"]).get("commonName")}
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(("GET / HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n"
                  "Origin: https://%s\r\n\r\n" % (args.domain, args.port, key, args.domain)).encode())
    resp = b""
    while b"\r\n\r\n" not in resp:
        resp += sock.recv(4096)
    status, headers = sip_headers(resp.decode().split("\r\n\r\n")[0])
    expected = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
    out["upgrade"] = status
    out["accept_ok"] = headers.get("sec-websocket-accept") == expected
    out["subprotocol"] = headers.get("sec-websocket-protocol")
    call_id = "%08x@wss-client" % random.getrandbits(32)
    tag = "%08x" % random.getrandbits(32)
    uri = "sip:%s" % args.domain
    aor = "sip:%s@%s" % (args.user, args.domain)

    def register(cseq, auth=""):
        msg = ("REGISTER %s SIP/2.0\r\nVia: SIP/2.0/WSS client.invalid;branch=z9hG4bK%08x\r\n"
               "Max-Forwards: 70\r\nTo: <%s>\r\nFrom: <%s>;tag=%s\r\nCall-ID: %s\r\nCSeq: %d REGISTER\r\n"
               "Contact: <sip:%s@client.invalid;transport=ws>;expires=60\r\n%sContent-Length: 0\r\n\r\n"
               % (uri, random.getrandbits(32), aor, aor, tag, call_id, cseq, args.user, auth))
        ws_send(sock, msg)
        while True:
            reply = ws_recv(sock)
            line, hdrs = sip_headers(reply)
            if not line.startswith("SIP/2.0 1"):
                return line, hdrs

    line, hdrs = register(1)
    out["first"] = line
    challenge = hdrs.get("www-authenticate", "")
    params = {}
    for part in challenge[len("Digest "):].split(","):
        if "=" in part:
            k, v = part.strip().split("=", 1)
            params[k] = v.strip('"')
    out["realm"] = params.get("realm")
    ha1 = hashlib.md5(("%s:%s:%s" % (args.user, params.get("realm"), args.password)).encode()).hexdigest()
    ha2 = hashlib.md5(("REGISTER:%s" % uri).encode()).hexdigest()
    cnonce, nc = "%08x" % random.getrandbits(32), "00000001"
    if "auth" in params.get("qop", ""):
        resp = hashlib.md5(("%s:%s:%s:%s:auth:%s" % (ha1, params["nonce"], nc, cnonce, ha2)).encode()).hexdigest()
        auth = ('Authorization: Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", '
                'algorithm=MD5, qop=auth, nc=%s, cnonce="%s"\r\n'
                % (args.user, params.get("realm"), params["nonce"], uri, resp, nc, cnonce))
    else:
        resp = hashlib.md5(("%s:%s:%s" % (ha1, params.get("nonce"), ha2)).encode()).hexdigest()
        auth = ('Authorization: Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", algorithm=MD5\r\n'
                % (args.user, params.get("realm"), params.get("nonce"), uri, resp))
    line, hdrs = register(2, auth)
    out["second"] = line
    out["contact"] = hdrs.get("contact")
    sock.close()
    print(json.dumps(out))
    return 0


def cmd_tlsinfo(args):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection((args.host, args.port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname=args.domain) as sock:
            der = sock.getpeercert(binary_form=True)
    print(json.dumps({"sha256": hashlib.sha256(der).hexdigest()}))
    return 0


# --- Webitel's flow manager stand-in ----------------------------------------------
def cmd_flowmgr(args):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", args.port))
    srv.listen(1)
    srv.settimeout(args.timeout)
    out = {}
    try:
        conn, peer = srv.accept()
        while peer[0].startswith("127."):  # the readiness probe (wait_for), not FreeSWITCH
            conn.close()
            conn, peer = srv.accept()
        out["peer"] = peer[0]
        esl = Esl.__new__(Esl)
        esl.sock, esl.buf = conn, b""
        conn.settimeout(5)
        esl.send("connect")
        headers, _body = esl.read_message()
        out["channel_data"] = {k: headers.get(k) for k in (
            "Event-Name", "Channel-Name", "Caller-Destination-Number", "Caller-Context", "Channel-State")}
        # As the flow manager ends a call: hang the channel up through the socket.
        esl.send("sendmsg\ncall-command: execute\nexecute-app-name: hangup\nexecute-app-arg: NORMAL_CLEARING")
        headers, _body = esl.read_message()
        out["hangup_reply"] = headers.get("Reply-Text")
        conn.close()
    except (socket.timeout, EOFError, OSError) as exc:
        out["error"] = str(exc)
    with open(args.output, "w") as fh:
        json.dump(out, fh)
    return 0


# --- Webitel's storage stand-in (CDRs) ----------------------------------------------
def cmd_cdrsink(args):
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # pylint: disable=invalid-name  # http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode("utf-8", "replace")
            received.append({"path": self.path, "content_type": self.headers.get("Content-Type"), "body": body})
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args):
            pass

    srv = HTTPServer(("0.0.0.0", args.port), Handler)
    srv.timeout = 1
    deadline = time.time() + args.timeout
    # mod_json_cdr posts one CDR per leg; wait for the expected count or the deadline.
    while time.time() < deadline and len(received) < args.count:
        srv.handle_request()
    with open(args.output, "w") as fh:
        json.dump(received, fh)
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("esl", "call"):
        s = sub.add_parser(name)
        s.add_argument("--host", required=True)
        s.add_argument("--port", type=int, default=8021)
        s.add_argument("--password", required=True)
        s.add_argument("--timeout", type=float, default=20)
        if name == "esl":
            s.add_argument("api", nargs="*")
        else:
            s.add_argument("--sip-port", type=int, default=5060)
            s.add_argument("--local-ip", required=True)
            s.add_argument("--domain", required=True)
            s.add_argument("--caller", required=True)
            s.add_argument("--caller-password", required=True)
            s.add_argument("--callee", required=True)
            s.add_argument("--callee-password", required=True)
            s.add_argument("--scenarios", required=True)
            s.add_argument("--workdir", default="/tmp")
    s = sub.add_parser("wss")
    s.add_argument("--host", required=True)
    s.add_argument("--port", type=int, default=7443)
    s.add_argument("--domain", required=True)
    s.add_argument("--cafile", required=True)
    s.add_argument("--user", required=True)
    s.add_argument("--password", required=True)
    s = sub.add_parser("tlsinfo")
    s.add_argument("--host", required=True)
    s.add_argument("--port", type=int, default=7443)
    s.add_argument("--domain", required=True)
    s = sub.add_parser("flowmgr")
    s.add_argument("--port", type=int, default=10030)
    s.add_argument("--timeout", type=float, default=60)
    s.add_argument("--output", required=True)
    s = sub.add_parser("cdrsink")
    s.add_argument("--port", type=int, default=10021)
    s.add_argument("--count", type=int, default=1)
    s.add_argument("--timeout", type=float, default=60)
    s.add_argument("--output", required=True)
    args = p.parse_args()
    commands = {"esl": cmd_esl, "call": cmd_call, "wss": cmd_wss, "tlsinfo": cmd_tlsinfo, "flowmgr": cmd_flowmgr,
                "cdrsink": cmd_cdrsink}
    return commands[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
