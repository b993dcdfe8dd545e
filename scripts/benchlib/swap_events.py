#!/usr/bin/env python3
"""Writes the steps of berth's swaps, as the agent's event stream announces them, one line each with the
time it arrived: "<unix ms> <step>: <detail>". Progress events (pull bytes, probe counts) are left out.

Usage: swap_events.py SOCKET OUT   (SOCKET: the agent's API unix socket; runs until killed)
"""
import json
import sys
import time

from portwatch import UnixHTTPConnection


def main():
    path, out_path = sys.argv[1], sys.argv[2]
    conn = UnixHTTPConnection(path)
    conn.request("GET", "/v1/events")
    answer = conn.getresponse()
    if answer.status != 200:
        sys.exit(f"swap_events: GET /v1/events answered {answer.status}")
    with open(out_path, "a", encoding="utf-8") as out:
        while True:
            line = answer.readline()
            if not line:
                return
            if not line.startswith(b"data:"):
                continue
            try:
                event = json.loads(line[5:])
            except ValueError:
                continue
            step = event.get("step", "")
            if event.get("type") != "swap" or not step or step.endswith("_progress"):
                continue
            out.write(f"{int(time.time() * 1000)} {step}: {event.get('detail', '')}\n")
            out.flush()


if __name__ == "__main__":
    main()
