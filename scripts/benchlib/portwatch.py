#!/usr/bin/env python3
"""Follows the host ports of a service whose containers come and go (start-first swaps with
dynamic host ports): writes the host port of CONTAINER_PORT of every running container carrying
LABEL to OUT (one port a line, oldest first; rewritten atomically), then keeps it current from the
Docker Engine's event stream until SIGTERM. The load client reads OUT again whenever it changes.

    portwatch.py --label KEY=VALUE --container-port 80/tcp --out FILE [--socket PATH]
"""

import argparse
import http.client
import json
import os
import signal
import socket
import sys
import urllib.parse


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=None):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if self.timeout is not None:
            sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


def engine_get(sock_path, path):
    conn = UnixHTTPConnection(sock_path, timeout=10)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            return None
        return json.loads(body)
    finally:
        conn.close()


def host_port(inspect, container_port):
    ports = (inspect.get("NetworkSettings") or {}).get("Ports") or {}
    for binding in ports.get(container_port) or []:
        if binding.get("HostIp") in ("0.0.0.0", "127.0.0.1", "") and binding.get("HostPort"):
            return int(binding["HostPort"])
    return None


class PortFile:
    def __init__(self, path):
        self.path = path
        self.ports = []

    def add(self, port):
        if port is None or port in self.ports:
            return
        self.ports.append(port)
        tmp = self.path + ".tmp"
        with open(tmp, "w", encoding="ascii") as f:
            f.write("".join(f"{p}\n" for p in self.ports))
        os.replace(tmp, self.path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--label", required=True)
    ap.add_argument("--container-port", default="80/tcp")
    ap.add_argument("--out", required=True)
    ap.add_argument("--socket", default="/var/run/docker.sock")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    out = PortFile(args.out)
    # Subscribe first, then list: a container starting in between is seen by one or the other.
    filters = json.dumps({"label": [args.label], "type": ["container"], "event": ["start"]})
    events = UnixHTTPConnection(args.socket, timeout=None)
    events.request("GET", "/events?filters=" + urllib.parse.quote(filters))
    stream = events.getresponse()
    if stream.status != 200:
        sys.exit(f"portwatch: /events answered {stream.status}")

    listing = engine_get(
        args.socket, "/containers/json?filters=" + urllib.parse.quote(json.dumps({"label": [args.label]}))
    ) or []
    for c in sorted(listing, key=lambda c: c.get("Created", 0)):
        inspect = engine_get(args.socket, f"/containers/{c['Id']}/json")
        if inspect:
            out.add(host_port(inspect, args.container_port))
    if not os.path.exists(args.out):
        open(args.out, "w", encoding="ascii").close()

    # The stream is chunked JSON objects, one per event.
    buf = b""
    while True:
        chunk = stream.read1(65536) if hasattr(stream, "read1") else stream.read(1)
        if not chunk:
            return
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            if not line.strip():
                continue
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            cid = ev.get("id") or (ev.get("Actor") or {}).get("ID")
            if not cid:
                continue
            inspect = engine_get(args.socket, f"/containers/{cid}/json")
            if inspect:
                out.add(host_port(inspect, args.container_port))


if __name__ == "__main__":
    main()
