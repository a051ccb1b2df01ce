"""RTP helper of the opensips scenario (test only).

rtp.py listen PORT OUTFILE SECONDS  - record the RTP packets arriving on PORT: {"count", "sources"}
rtp.py send IP PORT FROMPORT COUNT  - send COUNT PCMU packets (20 ms apart) to IP:PORT from FROMPORT
"""
import json
import socket
import struct
import sys
import time


def listen(port, outfile, seconds):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("0.0.0.0", port))
    sock.settimeout(0.5)
    count, sources = 0, {}
    end = time.time() + seconds
    while time.time() < end:
        try:
            data, addr = sock.recvfrom(2048)
        except socket.timeout:
            continue
        if len(data) >= 12 and data[0] >> 6 == 2:
            count += 1
            key = "%s:%d" % addr
            sources[key] = sources.get(key, 0) + 1
            with open(outfile, "w", encoding="utf-8") as out:
                json.dump({"count": count, "sources": sources}, out)


def send(ip, port, from_port, count):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("0.0.0.0", from_port))
    for seq in range(count):
        header = struct.pack("!BBHII", 0x80, 0, seq, seq * 160, 0x5EED)
        sock.sendto(header + b"\xff" * 160, (ip, port))
        time.sleep(0.02)


if __name__ == "__main__":
    if sys.argv[1] == "listen":
        listen(int(sys.argv[2]), sys.argv[3], float(sys.argv[4]))
    else:
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
