#!/usr/bin/env python3
"""A stand-in for systemd's private D-Bus socket, for `podman auto-update --dry-run` on a host whose
PID 1 is not systemd. Podman connects to /run/systemd/private before it looks at any container,
even for a dry run that never asks systemd for anything; this peer accepts the connection (SASL
EXTERNAL) and answers every method call (podman sends one AddMatch) with an empty reply.

    systemd_stub.py SOCKET_PATH

The benchmark runs it and podman in a private mount namespace with a tmpfs on /run/systemd, so
nothing on the host sees it.
"""

import os
import socketserver
import struct
import sys

METHOD_CALL = 1
METHOD_RETURN = 2
NO_REPLY_EXPECTED = 0x1


def align(n, a):
    return (n + a - 1) // a * a


class Peer(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        buf = b""
        # SASL: a NUL byte, then CRLF lines until BEGIN.
        while True:
            while b"\r\n" not in buf:
                chunk = sock.recv(4096)
                if not chunk:
                    return
                buf += chunk
            line, buf = buf.split(b"\r\n", 1)
            line = line.lstrip(b"\0")
            if line == b"AUTH":  # the client asks which mechanisms there are
                sock.sendall(b"REJECTED EXTERNAL\r\n")
            elif line.startswith(b"AUTH EXTERNAL"):
                sock.sendall(b"OK " + os.urandom(16).hex().encode() + b"\r\n")
            elif line.startswith(b"NEGOTIATE_UNIX_FD"):
                sock.sendall(b"AGREE_UNIX_FD\r\n")
            elif line.startswith(b"BEGIN"):
                break
            else:
                sock.sendall(b"ERROR\r\n")
        serial = 0
        while True:
            while len(buf) < 16:
                chunk = sock.recv(65536)
                if not chunk:
                    return
                buf += chunk
            endian = "<" if buf[0:1] == b"l" else ">"
            mtype, flags = buf[1], buf[2]
            body_len, msg_serial, fields_len = struct.unpack(endian + "III", buf[4:16])
            total = align(16 + fields_len, 8) + body_len
            while len(buf) < total:
                chunk = sock.recv(65536)
                if not chunk:
                    return
                buf += chunk
            buf = buf[total:]
            if mtype != METHOD_CALL or flags & NO_REPLY_EXPECTED:
                continue
            serial += 1
            # REPLY_SERIAL (5), variant of signature "u".
            fields = struct.pack(endian + "B", 5) + b"\x01u\x00" + struct.pack(endian + "I", msg_serial)
            head = (b"l" if endian == "<" else b"B") + bytes([METHOD_RETURN, NO_REPLY_EXPECTED, 1])
            head += struct.pack(endian + "III", 0, serial, len(fields))
            sock.sendall(head + fields)


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def main():
    path = sys.argv[1]
    if os.path.exists(path):
        os.unlink(path)
    with Server(path, Peer) as server:
        server.serve_forever()


if __name__ == "__main__":
    main()
