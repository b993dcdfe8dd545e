#!/usr/bin/env python3
"""Makes 127.0.0.1:PORT of this machine reachable as 127.0.0.1:PORT inside a network namespace.

The second Docker Engine of the test environment runs in a network namespace of its own, so that it
never touches the host engine's bridge or firewall rules; its pulls must still reach the loopback
registries. This relay opens its listening sockets inside that namespace (setns(2) on this thread,
then back: a socket stays in the namespace it was made in) and connects to the registries from the
host's namespace, copying bytes both ways. TLS passes through untouched, so certificates for
127.0.0.1 stay valid. Started and stopped by scripts/test-env (pid file).

Usage: netns-relay.py --netns /run/netns/NAME --port 15000 [--port 15001 ...] [--log FILE]
"""

import argparse
import asyncio
import ctypes
import os
import socket
import sys
import time

CLONE_NEWNET = 0x40000000


def setns(fd):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, "setns: " + os.strerror(err))


def listeners_in(netns, ports):
    """Listening sockets on 127.0.0.1:PORT inside the namespace at path `netns`."""
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open(netns, os.O_RDONLY)
    out = []
    try:
        setns(target)
        for port in ports:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))
            s.listen(64)
            s.setblocking(False)
            out.append((port, s))
    finally:
        setns(home)
        os.close(target)
        os.close(home)
    return out


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        try:
            if writer.can_write_eof():
                writer.write_eof()
        except OSError:
            pass


def handler(port, log):
    async def handle(client_reader, client_writer):
        try:
            upstream_reader, upstream_writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", port), timeout=10)
        except (OSError, asyncio.TimeoutError) as e:
            print(f"{time.strftime('%H:%M:%S')} port {port}: {e}", file=log, flush=True)
            client_writer.close()
            return
        await asyncio.gather(pipe(client_reader, upstream_writer), pipe(upstream_reader, client_writer))
        for w in (client_writer, upstream_writer):
            w.close()
    return handle


async def serve(listeners, log):
    servers = [await asyncio.start_server(handler(port, log), sock=s) for port, s in listeners]
    print(f"{time.strftime('%H:%M:%S')} relaying {', '.join(str(p) for p, _ in listeners)}", file=log, flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--netns", required=True)
    parser.add_argument("--port", type=int, action="append", required=True)
    parser.add_argument("--log")
    args = parser.parse_args()
    log = open(args.log, "a") if args.log else sys.stderr
    asyncio.run(serve(listeners_in(args.netns, args.port), log))


if __name__ == "__main__":
    main()
