#!/usr/bin/env python3
"""Aggregates the raw measurements of scripts/bench into bench/results/*.json and writes
BENCHMARKS.md from those files.

    report.py aggregate-swap OUT_DIR          report.py aggregate-push OUT_DIR
    report.py aggregate-registry JSONL [FOLLOW_JSON]   report.py aggregate-api JSONL
    report.py aggregate-throughput JSONL
    report.py aggregate-footprint OUT_DIR WINDOW
    report.py sample-footprint WINDOW NAME:PID:SERVICES...
    report.py parse-wrk WHAT WRK_OUTPUT
    report.py markdown RESULTS_DIR
"""

import glob
import json
import os
import re
import statistics
import sys
import time


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def load(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


# ---------------------------------------------------------------------------------------------
# Aggregation.

SWAP_ORDER = ["manual", "manual-pull-first", "berth-stop-first", "berth-start-first", "berth-start-first-fixed",
              "swarm-start-first"]
PUSH_ORDER = ["poll-1s", "poll-10s", "webhook"]


def aggregate_swap(out_dir):
    by = {}
    for path in sorted(glob.glob(os.path.join(out_dir, "swap-*", "result.json"))):
        r = load(path)
        if r:
            by.setdefault(r["scenario"], []).append(r)
    scenarios = []
    for name in SWAP_ORDER + sorted(set(by) - set(SWAP_ORDER)):
        reps = sorted(by.get(name, []), key=lambda r: r["rep"])
        if not reps:
            continue
        s = {"scenario": name, "reps": reps, "median": {
            "failed": median(r["failed"] for r in reps),
            "unanswered_ticks": median(r["unanswered_ticks"] for r in reps),
            "requests": median(r["requests"] for r in reps),
            "ticks": median(r["ticks"] for r in reps),
            "longest_gap_ms": median(r["longest_gap_ms"] for r in reps),
            "p99_ms": median(r["latency_ms"]["p99"] for r in reps),
            "update_ms": median(r["update_ms"] for r in reps),
        }}
        phases = {}
        for r in reps:
            for k, v in (r.get("berth_phases_ms") or {}).items():
                phases.setdefault(k, []).append(v)
        if phases:
            s["median"]["berth_phases_ms"] = {k: median(v) for k, v in phases.items()}
        outside = [r["outside"] for r in reps if r.get("outside")]
        if outside:
            s["median"]["outside"] = {k: median(o[k] for o in outside)
                                      for k in ("requests", "failed", "unanswered_ticks", "ticks", "longest_gap_ms")}
        overlap = [r.get("old_port_last_ok_to_new_port_first_ok_ms") for r in reps]
        if any(v is not None for v in overlap):
            s["median"]["old_last_ok_to_new_first_ok_ms"] = median(overlap)
            s["median"]["old_port_failed_before_retired"] = median(r.get("old_port_failed_before_retired") for r in reps)
        scenarios.append(s)
    return {"client": {"period_ms": 10, "timeout_ms": 2000, "connection": "new TCP connection per request, HTTP/1.0"},
            "scenarios": scenarios}


def aggregate_push(out_dir):
    scenarios = []
    for name in PUSH_ORDER:
        reps = [load(p) for p in sorted(glob.glob(os.path.join(out_dir, f"push-{name}", "rep-*.json")))]
        reps = [r for r in reps if r]
        if not reps:
            continue
        client = load(os.path.join(out_dir, f"push-{name}", "client.json"), {})
        lat = [r["push_to_serving_ms"] for r in reps]
        scenarios.append({"scenario": name, "reps": reps, "median_ms": median(lat), "min_ms": min(lat),
                          "max_ms": max(lat), "client_failed": client.get("failed"),
                          "client_requests": client.get("requests"),
                          "client_longest_gap_ms": client.get("longest_gap_ms")})
    return {"scenarios": scenarios}


def aggregate_registry(jsonl, follow=None):
    rows = []
    with open(jsonl) as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            n = r["references"]
            warm = r["berth_warm_cycles"]
            wt = r["watchtower_cycles"]
            total = lambda c: c["registry_requests"] + c["token_requests"]
            rows.append({
                "references": n,
                "berth_warm_cycle_requests": median(total(c) for c in warm),
                "berth_warm_requests_per_check": median(total(c) for c in warm) / n,
                "berth_warm_cycle_ms": median(c["wall_ms"] for c in warm),
                "berth_warm_cycle_agent_cpu_ms": median(c["agent_cpu_ms"] for c in warm),
                "berth_warm_cycles": warm,
                "watchtower_cycle_requests": median(total(c) for c in wt),
                "watchtower_requests_per_check": median(total(c) for c in wt) / n,
                "watchtower_cycle_ms": median(c["wall_ms"] for c in wt),
                "watchtower_cycles": wt,
            })
    out = {"registry": "token-auth registry (docker-registry 2.8, HTTPS, Bearer tokens from the test token server)",
           "rows": rows}
    if follow and os.path.exists(follow):
        out["follow"] = aggregate_follow(json.load(open(follow)))
    return out


def aggregate_follow(f):
    """One berth.follow service polled every poll_ms for window_ms: a check is a HEAD of the followed tag's
    manifest; a listing is a GET of the tag list and its further pages (the first page has no `last=`)."""
    kinds = f["by_kind"]
    count = lambda what, method: sum(v for k, v in kinds.items() if k.split()[:2] == [method, what])
    checks = count("manifest", "HEAD")
    pages = count("tags", "GET")
    return {"tags": f["tags"], "services": f.get("services", 1), "poll_ms": f["poll_ms"], "window_ms": f["window_ms"], "checks": checks,
            "tag_list_pages": pages, "registry_requests": f["registry_requests"],
            "requests_per_check": f["registry_requests"] / checks if checks else None,
            "tag_list_pages_per_check": pages / checks if checks else None,
            "tag_list_pages_per_interval": pages * f["poll_ms"] / f["window_ms"] if f["window_ms"] else None,
            "by_kind": kinds}


def sample_footprint(window, specs):
    hz = os.sysconf("SC_CLK_TCK")
    agents = []
    for spec in specs:
        name, pid, services = spec.split(":")
        agents.append({"name": name, "pid": int(pid), "services": int(services), "rss_kib": [], "threads": []})

    def cpu_ticks(pid):
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])

    def status(pid):
        out = {}
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                out[k] = v.strip()
        return out

    start = time.monotonic()
    for a in agents:
        a["cpu0"] = cpu_ticks(a["pid"])
    while time.monotonic() - start < window:
        for a in agents:
            st = status(a["pid"])
            a["rss_kib"].append(int(st["VmRSS"].split()[0]))
            a["threads"].append(int(st["Threads"]))
        time.sleep(1)
    elapsed = time.monotonic() - start
    result = []
    for a in agents:
        st = status(a["pid"])
        cpu_s = (cpu_ticks(a["pid"]) - a["cpu0"]) / hz
        result.append({"agent": a["name"], "services": a["services"], "window_s": round(elapsed, 1),
                       "rss_mib_median": round(statistics.median(a["rss_kib"]) / 1024, 1),
                       "rss_mib_max": round(max(a["rss_kib"]) / 1024, 1),
                       "rss_mib_peak_since_start": round(int(st["VmHWM"].split()[0]) / 1024, 1),
                       "threads": max(a["threads"]),
                       "cpu_s": round(cpu_s, 2), "cpu_percent": round(100 * cpu_s / elapsed, 3)})
    return {"samples_every_s": 1, "agents": result}


def aggregate_footprint(out_dir, window):
    return {"window_s": int(window),
            "binary": load(os.path.join(out_dir, "footprint-binary.json"), {}),
            "agents": load(os.path.join(out_dir, "footprint-agents.json"), {}),
            "podman_auto_update": load(os.path.join(out_dir, "footprint-podman.json"), {})}


def to_ms(text):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    if not m:
        return None
    v, unit = float(m.group(1)), m.group(2)
    return {"us": v / 1000, "ms": v, "s": v * 1000, "m": v * 60000}[unit]


def parse_wrk(what, path):
    text = open(path).read()
    lat = {}
    for pct, value in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", text, re.M):
        lat[f"p{pct}"] = to_ms(value)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    reqs = re.search(r"(\d+) requests in ([\d.]+\w+)", text)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    cmd = re.search(r"Running .*\n\s+(\d+) threads and (\d+) connections", text)
    return {"what": what, "requests_per_s": float(rps.group(1)) if rps else 0.0,
            "requests": int(reqs.group(1)) if reqs else 0, "duration": reqs.group(2) if reqs else None,
            "latency_ms": lat, "non_2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": sum(int(x) for x in errors.groups()) if errors else 0,
            "threads": int(cmd.group(1)) if cmd else None, "connections": int(cmd.group(2)) if cmd else None,
            "raw": text.strip().splitlines()}


def aggregate_throughput(jsonl):
    """wrk rows named berth-loopback, docker-loopback, berth-outside, docker-outside: the medians per name."""
    runs = {}
    for line in open(jsonl):
        if line.strip():
            r = json.loads(line)
            runs.setdefault(r["what"], []).append(r)
    rows = {}
    for where in ("loopback", "outside"):
        b, d = runs.get(f"berth-{where}", []), runs.get(f"docker-{where}", [])
        if not b or not d:
            continue
        bm = median(r["requests_per_s"] for r in b)
        dm = median(r["requests_per_s"] for r in d)
        rows[where] = {"berth_requests_per_s": bm, "docker_requests_per_s": dm,
                       "berth_percent_of_docker": 100.0 * bm / dm if dm else None,
                       "berth_p99_ms": median(r["latency_ms"].get("p99") for r in b),
                       "docker_p99_ms": median(r["latency_ms"].get("p99") for r in d),
                       "berth_errors": sum(r["socket_errors"] + r["non_2xx"] for r in b),
                       "docker_errors": sum(r["socket_errors"] + r["non_2xx"] for r in d),
                       "berth_runs": [r["requests_per_s"] for r in b], "docker_runs": [r["requests_per_s"] for r in d]}
    return {"tool": "wrk, 1 thread, 8 connections, 10 s per run", "rows": rows, "runs": runs}


def aggregate_api(jsonl):
    rows = [json.loads(line) for line in open(jsonl) if line.strip()]
    return {"tool": "wrk, 1 thread, 8 keep-alive TLS connections, 10 s each", "rows": rows}


# ---------------------------------------------------------------------------------------------
# BENCHMARKS.md

def fmt(v, digits=0):
    if v is None:
        return "n/a"
    if isinstance(v, float) and digits == 0:
        return f"{v:,.0f}"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return f"{v:,}"


def soak_section(path):
    """Section 6 of BENCHMARKS.md, from the summary `scripts/soak --record` leaves in bench/soak/."""
    L = []
    w = L.append
    w("## 7. Soak")
    w("")
    w("`scripts/soak` runs the agent for a long time (default 1 h) with 100 services under churn, samples its "
      "resources every 10 s (`VmRSS`, open file descriptors and threads from `/proc`, CPU time, the size of its "
      "state directory, swaps and rollbacks from `history.json`, the machine's load) and checks at the end that "
      "nothing was lost. Half of the services are service files (ECS task definitions), half hand-started "
      "containers labelled `berth.enable=true`; all are busybox httpd, a quarter on bridge networks with a published "
      "port, the others with host networking. 10 % "
      "get a new version every 3 minutes and swap, 10 % poll every second, 20 % keep data in a named volume, "
      "and one service gets a version that never serves every 3 minutes (its gate fails, berth rolls back and "
      "quarantines the digest). The churn: the Docker Engine restarted twice, the registry stopped and started, "
      "berth killed with `kill -9` (half of the kills while a swap is in its journal) and restarted 5 s later as "
      "systemd would, an unauthenticated client and a read-token client hammering the API over TLS and a client "
      "following `/v1/events`. Everything it starts runs in a network namespace of its own: its own `dockerd` "
      "(own socket, data root, exec root and mount namespace; its own docker0, user networks and iptables rules, "
      "which the host's engine never sees), its own `docker-registry`, berth and every client. So it can restart "
      "them while the test suite uses the shared ones, and the host's engine keeps its bridge.")
    w("")
    w("The checks: every service runs, exactly once under its name, the version pushed to it last (the failing "
      "service: its last good one), passes its probe, and berth reports it healthy; no volume removed (each still "
      "holds a mark written at the start); no swap left in the journal and no `<name>.berth-prev` or "
      "`.berth-next` container; berth never exited by itself; the read token was never refused and no request "
      "without a valid token got in; and, for runs of 15 min or more, RSS and open file descriptors at 5 min and "
      "at the end (API clients paused, no swap in flight, median of three readings) differ by at most 10 %.")
    w("")
    w("Like with like: the first berth of a run creates half of the containers, one gate after the other, while "
      "every later start (a restart, a `kill -9`) finds all 100 services running and checks them all at once. "
      "That first minute raises the heap higher, and glibc keeps the freed memory in the process: a restarted "
      "berth sits 0.3 to 3 MiB above the first one (the more of those checks ran at the same moment, the more), "
      "all of it anonymous memory, and stays there. It is no growth: "
      "measured once with gdb on a restarted berth (run 1207161720), `malloc_trim(0)` took its RSS from 21.8 to "
      "18.6 MiB (anonymous 8.8 to 5.6 MiB, the first berth had 5.8) while the heap in use stayed at 3.7 of the "
      "8.2 MiB glibc held. Nor does it grow from one restart to the next (the berths of the run, below, one per "
      "restart). A Docker Engine that comes back does the same to the berth running then: it looks at every "
      "service again at once, its RSS steps up to that moment's high-water mark and stays flat after it. "
      "So the soak restarts berth once after the setup (as `systemctl restart` would) and starts the clock a "
      "minute later: the figures at the start, at 5 min and at the end are all of berths that started with every "
      "service running. The first berth's figures are the row \"setup\".")
    w("")
    s = load(path)
    if not s:
        w("Not recorded yet: `scripts/soak --record` (1 h) writes `bench/soak/summary.json` and this section.")
        w("")
        return L
    run = s.get("run", {})
    dur = run.get("duration_s", 0)
    w("| | |")
    w("|---|---|")
    w(f"| command | `{run.get('command', 'scripts/soak')}` (as root) |")
    w(f"| run | {run.get('run', '?')}: {run.get('services', '?')} services for {fmt(dur / 60)} min, seed "
      f"{run.get('seed', '?')}; every service running {fmt(s.get('setup_s'))} s after berth's start |")
    w(f"| machine | {run.get('nproc', '?')} CPUs, {fmt(run.get('memory_mib'))} MiB memory, kernel "
      f"{run.get('kernel', '?')}; {run.get('docker', '?')}; {run.get('registry', '?')} |")
    w(f"| berth | {run.get('berth', '?')} (`{run.get('berth_binary', '?')}`) |")
    w("")
    if dur < 3600:
        w(f"*A shortened run ({fmt(dur / 60)} min). The reference run is one hour: `scripts/soak --record`.*")
        w("")
    w("| at | berth up (s) | RSS (MiB) | of which anonymous | open fds | threads | state dir (KiB) | "
      "swaps (history) | rolled back |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    names = {"setup": "setup (the first berth, which created the services; restarted then)",
             "start": "start (every service running)", "5min": "5 min", "end": "end (every swap ended)"}
    for k in ("setup", "start", "5min", "end"):
        f = s.get("judged", {}).get(k)
        if f:
            w(f"| {names[k]} | {fmt(f.get('berth_uptime_s'))} | {fmt(f.get('rss_mib'), 1)} | "
              f"{fmt(f.get('rss_anon_mib'), 1)} | {fmt(f.get('fds'))} | "
              f"{fmt(f.get('threads'))} | {fmt(f.get('state_kib'))} | {fmt(f.get('swapped'))} | "
              f"{fmt(f.get('rolled_back'))} |")
    w("")
    b, m, sw, fl = s.get("berth", {}), s.get("machine", {}), s.get("swaps", {}), s.get("faults", {})
    hist = sw.get("history", {})
    first = b.get("first_minute_after_start", {})
    w(f"- berth over the run, once up a minute: RSS {fmt(b['rss_mib']['min'], 1)} to {fmt(b['rss_mib']['max'], 1)} "
      f"MiB (median {fmt(b['rss_mib']['median'], 1)}), {fmt(b['fds']['min'])} to {fmt(b['fds']['max'])} open file "
      f"descriptors, {fmt(b['threads']['max'])} threads; in the first minute after a start at most "
      f"{fmt(first.get('rss_max_mib'), 1)} MiB and {fmt(first.get('fds_max'))} descriptors; "
      f"{fmt(b.get('cpu_s'), 1)} s of CPU ({fmt(b.get('cpu_pct_of_one_core'), 2)} % of one core) over "
      f"{b.get('processes')} processes (one per restart); log {fmt(b.get('log_bytes', 0) / 1048576, 1)} MiB at "
      f"level info.")
    procs = b.get("per_process", [])
    if procs:
        w("- each berth process, from its first minute to its last sample: " + "; ".join(
            f"RSS {fmt(pp['rss_mib'][0], 1)} -> {fmt(pp['rss_mib'][1], 1)} MiB, fds {fmt(pp['fds'][0])} -> "
            f"{fmt(pp['fds'][1])} (t = {fmt(pp['from_s'])}-{fmt(pp['to_s'])} s)" for pp in procs) + ".")
        last = [pp["rss_mib"][1] for pp in procs]
        anon = [pp["rss_anon_mib"][1] for pp in procs if (pp.get("rss_anon_mib") or [None, None])[1]]
        setup = s.get("judged", {}).get("setup")
        w(f"- the {len(procs)} berths that started with every service running, from t = {fmt(procs[0]['from_s'])} s "
          f"to t = {fmt(procs[-1]['from_s'])} s, ended between {fmt(min(last), 1)} and {fmt(max(last), 1)} MiB of RSS"
          + (f" ({fmt(min(anon), 1)} to {fmt(max(anon), 1)} MiB anonymous)" if anon else "")
          + (f"; the first berth, which created the services, {fmt(setup.get('rss_mib'), 1)} MiB "
             f"({fmt(setup.get('rss_anon_mib'), 1)} MiB anonymous)" if setup and setup.get("rss_mib") else "") + ".")
        back = [e["t"] for e in s.get("faults", {}).get("events", [])
                if e.get("kind") == "engine" and "answers again" in e.get("what", "")]
        lived = [(t, pp) for t in back for pp in procs if pp["from_s"] <= t <= pp["to_s"]]
        if lived:
            w("- the berths running when the Docker Engine came back: " + "; ".join(
                f"t = {fmt(t)} s, RSS {fmt(pp['rss_mib'][0], 1)} -> {fmt(pp['rss_mib'][1], 1)} MiB "
                f"(anonymous {fmt(pp['rss_anon_mib'][0], 1)} -> {fmt(pp['rss_anon_mib'][1], 1)})"
                for t, pp in lived if pp.get("rss_anon_mib")) + ", flat before and after.")
    w(f"- swaps: {fmt(hist.get('swapped', 0))} swapped, {fmt(hist.get('rolled_back', 0))} rolled back, "
      f"{fmt(sum(v for k, v in hist.items() if k not in ('swapped', 'rolled_back')))} interrupted or failed; "
      f"{fmt(sw.get('pushed_versions'))} new versions and {fmt(sw.get('pushed_broken'))} failing ones pushed "
      f"({fmt(sw.get('broken_quarantined'))} of those quarantined).")
    w(f"- faults: {fl.get('kills')} × `kill -9`, {fl.get('engine_restarts')} Docker Engine restarts, the registry "
      f"down for {fl.get('registry_down_s')} s; berth exited by itself {fl.get('berth_exits')} times.")
    api = s.get("api", {})
    w(f"- API: the unauthenticated client sent {fmt(api.get('unauth', {}).get('requests'))} requests "
      f"({api.get('unauth', {}).get('per_s', '?')}/s), the read-token client "
      f"{fmt(api.get('read', {}).get('requests'))} ({api.get('read', {}).get('per_s', '?')}/s); the events "
      f"stream delivered {fmt(s.get('events_stream', {}).get('events'))} events.")
    stack = {x.get("kind"): x for x in m.get("stack", [])}  # load and CPU: the whole machine's
    end = stack.get("end") or stack.get("start")
    w(f"- the machine (whatever else ran on it counts too): load (1 min) median {fmt(m['load1']['median'], 2)}, max {fmt(m['load1']['max'], 2)}; "
      f"CPU busy median {fmt(m['cpu_busy_pct']['median'], 1)} %; memory available at least "
      f"{fmt(m['mem_available_mib']['min'])} MiB"
      + (f"; the soak's engine (dockerd, containerd, {end['engine_processes'] - 2} shims) "
         f"{fmt(end['engine_rss_mib'], 1)} MiB, the containers' processes {fmt(end['containers_rss_mib'], 1)} MiB, "
         f"its registry {fmt(end['registry_rss_mib'], 1)} MiB" if end else "") + ".")
    w("")
    w("| check | result |")
    w("|---|---|")
    for c in s.get("checks", []):
        detail = c.get("detail", "").replace("|", "\\|")
        w(f"| {c['check']} | {'pass' if c['ok'] else '**FAIL**'}{': ' + detail if detail else ''} |")
    w("")
    return L


def markdown(results):
    run = load(os.path.join(results, "run.json"), {})
    machine = load(os.path.join(results, "machine.json"), {})
    swap = load(os.path.join(results, "swap.json"))
    push = load(os.path.join(results, "push.json"))
    registry = load(os.path.join(results, "registry.json"))
    foot = load(os.path.join(results, "footprint.json"))
    api = load(os.path.join(results, "api.json"))
    fleet = load(os.path.join(results, "fleet.json"))
    throughput = load(os.path.join(results, "swap_throughput.json"))
    L = []
    w = L.append

    def measured_in(part):
        """A line under a section measured by another run than the one in the header (scripts/bench PART...)."""
        pr = (run.get("part_runs") or {}).get(part)
        if pr and pr.get("run") != run.get("run"):
            w(f"*Measured by an earlier run: {pr.get('run', '?')} (`{pr.get('command', 'scripts/bench')}`), finished "
              f"{pr.get('finished', '?')}, {pr.get('berth', '?')} (commit {pr.get('commit', '?')}).*")
            w("")
    w("# Benchmarks")
    w("")
    w("berth next to what its users would otherwise run, every figure measured side by side with its baseline "
      "in the same invocation of `scripts/bench`, on one machine, over loopback only. The raw numbers, with every "
      "repetition, are in `bench/results/*.json`; this page is generated from them.")
    w("")
    w("| | |")
    w("|---|---|")
    w(f"| command | `{run.get('command', 'scripts/bench')}` (as root, after `scripts/test-env`; it runs `scripts/install-deps` and `scripts/test-env` itself) |")
    w(f"| run | {run.get('run', '?')}, finished {run.get('finished', '?')}, "
      f"{fmt(run.get('total_seconds', run.get('seconds_before_cleanup')))} s in total"
      f"{'' if 'total_seconds' in run else ' before clean-up'}"
      f"{' (of which %s s building the release preset)' % run['build_seconds'] if run.get('build_seconds') else ''} |")
    w(f"| machine | {machine.get('nproc', '?')} CPUs ({machine.get('cpu', '?')}), "
      f"{fmt(machine.get('memory_mib'))} MiB memory, kernel {machine.get('kernel', '?')}, {machine.get('os', '?')} |")
    w(f"| Docker Engine | {machine.get('docker', '?')}; registry: {machine.get('registry', '?')} |")
    built = f"`{run['berth_bin']}`" if run.get("berth_bin") else "release preset"
    berth = machine.get("berth", "?")
    if "commit" not in berth:  # newer builds name their commit in `berth version` already
        berth += f" (commit {machine.get('commit', '?')})"
    w(f"| berth | {berth}, {built} |")
    w(f"| repetitions | {run.get('reps', '?')} per swap and push measurement (tables show the median) |")
    for e in run.get("earlier") or []:
        w(f"| earlier run | {e.get('run', '?')}, finished {e.get('finished', '?')}, `{e.get('command', '?')}`: the "
          f"sections of parts this run did not measure ({', '.join(run.get('parts') or [])} were measured again) "
          f"come from it or from a run before it |")
    w("")

    if swap:
        w("## 1. Swap downtime under load")
        w("")
        measured_in("swap")
        w("A client sends `GET /` every 10 ms over a new connection to 127.0.0.1 (open loop: a slow answer does not "
          "delay the next request; a request fails on a refused or reset connection, a non-200 answer, or no "
          "answer within 2 s). The service runs `v1` (busybox httpd); the registry tag moves to a new version "
          f"with a fresh {run.get('layer_mib', '?')} MiB layer that the host does not have, and the update runs "
          "while the client measures, from 1 s before the update to 1 s after the new version first answers. "
          "*Unanswered* counts the 10 ms ticks nobody answered; *longest gap* is the longest time without any "
          "successful answer; *p99* is over successful answers; *update took* is the wall time of the update "
          "command(s).")
        w("")
        w("| procedure | unanswered requests | longest gap (ms) | p99 latency (ms) | update took (ms) | gaps of each run (ms) |")
        w("|---|---:|---:|---:|---:|---|")
        labels = {
            "manual": "manual: `docker stop; docker rm; docker pull; docker run`",
            "manual-pull-first": "manual, pull first: `docker pull; docker stop; docker rm; docker run`",
            "berth-stop-first": "berth stop-first (`berth update --wait`)",
            "berth-start-first": "berth start-first (`berth update --wait`), dynamic host port",
            "berth-start-first-fixed": "berth start-first (`berth update --wait`), fixed host port switched by berth, "
                                       "client pinned to it",
            "swarm-start-first": "`docker service update`, `--update-order start-first`, one-node Swarm",
        }
        for s in swap["scenarios"]:
            m = s["median"]
            gaps = ", ".join(fmt(r["longest_gap_ms"]) for r in s["reps"])
            w(f"| {labels.get(s['scenario'], s['scenario'])} | {fmt(m['unanswered_ticks'])} of {fmt(m['ticks'])} | "
              f"{fmt(m['longest_gap_ms'])} | {fmt(m['p99_ms'], 1)} | {fmt(m['update_ms'])} | {gaps} |")
        w("")
        names = {"pull": "pull (the old container still serves)", "create": "create",
                 "old_stopped_to_new_started": "from the old container's stop to the new one started",
                 "drain": "drain of the old container (its open connections closing)",
                 "start": "start", "gate_and_monitor": "gate and monitor window"}
        for s in swap["scenarios"]:
            ph = s["median"].get("berth_phases_ms")
            if ph:
                parts = ", ".join(f"{names.get(k, k)} {fmt(v)} ms" for k, v in ph.items())
                w(f"- {labels.get(s['scenario'], s['scenario'])}, phases (median, from the times the agent's "
                  f"event stream announced each step): {parts}.")
        w("")
        w("In every stop-first row the longest gap is about one second or more: TCP's first SYN retransmission "
          "time, so some connection attempts made while no container serves are dropped rather than refused, "
          "and the client waits a second before trying again. The manual rows run their service alone on "
          "docker0, whose bridge loses carrier when its last container stops; berth keeps a holder container on "
          "each task network, so its bridge stays up (README, *Fixed host ports*), and its gap is only the old "
          "container's stop and the new one's start. What still drops those SYNs on a port Docker publishes is "
          "not found yet; on a port berth switches, a stop-first swap could hold them instead.")
        w("")
        by_name = {s["scenario"]: s for s in swap["scenarios"]}
        fixed = by_name.get("berth-start-first-fixed")
        if fixed:
            m = fixed["median"]
            w("The fixed-port start-first row: the service publishes port 80 on a fixed host port that berth "
              "switches in the kernel (README, *Fixed host ports*), and the client asks that one port every 10 ms, "
              "as a client behind a load balancer's target group would. The same client ran at the same time on "
              "another host: a network namespace of the run's own, joined to this host by a veth pair, asking "
              "the host's address on that pair.")
            w("")
            w("| fixed host port, start-first | unanswered requests | longest gap (ms) | each run: unanswered |")
            w("|---|---:|---:|---|")
            w(f"| client on 127.0.0.1 | {fmt(m['unanswered_ticks'])} of {fmt(m['ticks'])} | "
              f"{fmt(m['longest_gap_ms'])} | {', '.join(fmt(r['unanswered_ticks']) for r in fixed['reps'])} |")
            o = m.get("outside")
            if o:
                w(f"| client on another host (network namespace, veth) | {fmt(o['unanswered_ticks'])} of "
                  f"{fmt(o['ticks'])} | {fmt(o['longest_gap_ms'])} | "
                  f"{', '.join(fmt(r.get('outside', {}).get('unanswered_ticks')) for r in fixed['reps'])} |")
            w("")
        stop, manual = by_name.get("berth-stop-first"), by_name.get("manual-pull-first")
        if stop and manual and manual["median"]["longest_gap_ms"]:
            ratio = stop["median"]["longest_gap_ms"] / manual["median"]["longest_gap_ms"]
            w(f"berth stop-first's longest gap is {fmt(100 * ratio)} % of the manual pull-first one in this run "
              f"({fmt(stop['median']['longest_gap_ms'])} ms against {fmt(manual['median']['longest_gap_ms'])} ms).")
            w("")
        if throughput and throughput.get("rows"):
            w("Throughput of the port berth switches against a port Docker publishes itself, both in front of "
              "the same busybox httpd: `wrk -t1 -c8 -d10s`, median of "
              f"{len(next(iter(throughput['rows'].values()))['berth_runs'])} runs each. busybox httpd closes "
              "every connection after its answer, so each request is a new connection through the NAT. From the "
              "other host both ports are the kernel's NAT (Docker's rule or berth's); on 127.0.0.1 Docker's port "
              "goes through its userland proxy (docker-proxy, Docker's default), berth's through the kernel.")
            w("")
            w("| client | berth's switched port (req/s) | Docker's published port (req/s) | berth / Docker | p99 berth / Docker (ms) | errors berth / Docker |")
            w("|---|---:|---:|---:|---|---|")
            where_names = {"loopback": "127.0.0.1", "outside": "another host (network namespace, veth)"}
            for where, r in throughput["rows"].items():
                w(f"| {where_names.get(where, where)} | {fmt(r['berth_requests_per_s'])} | "
                  f"{fmt(r['docker_requests_per_s'])} | {fmt(r['berth_percent_of_docker'], 1)} % | "
                  f"{fmt(r['berth_p99_ms'], 2)} / {fmt(r['docker_p99_ms'], 2)} | "
                  f"{fmt(r['berth_errors'])} / {fmt(r['docker_errors'])} |")
            w("")
        sf = [s for s in swap["scenarios"] if "old_last_ok_to_new_first_ok_ms" in s["median"]]
        w("How the two start-first rows were measured: both publish the container's port 80 on a host port Docker "
          "picks (`hostPort: 0` in the service file; `--publish mode=host,target=80` for Swarm, whose ingress "
          "cannot publish on 127.0.0.1 alone), so the old and the new container run side by side and no proxy sits "
          "in front. A watcher follows the Docker Engine's events and adds each new container's host port to the "
          "client's list; every 10 ms the client asks every port it knows, and a tick counts as answered when any "
          "port answered it. This is what a client with a list of backends sees, not a client pinned to one port "
          "(which would lose the service when the old container is retired).")
        if sf:
            w("")
            w("| start-first | new port's first answer to old port's last answer (ms, median) | old port's failures before it was retired |")
            w("|---|---:|---:|")
            for s in sf:
                m = s["median"]
                w(f"| {labels.get(s['scenario'], s['scenario'])} | {fmt(-m['old_last_ok_to_new_first_ok_ms'])} "
                  f"(both answered for this long) | {fmt(m['old_port_failed_before_retired'])} |")
        w("")

    if push:
        w("## 2. Push to serving")
        w("")
        measured_in("push")
        w("From the moment the tag moves in the registry (the manifest PUT that ends a `docker push`; the new "
          "layer was uploaded beforehand under another tag and is not on the host) to the first answer of the new "
          "version, seen by the same 10 ms client. berth polls the tag with one HEAD per check; for the webhook row "
          "the poll interval is 1 h and a registry notification (the envelope `docker-registry` sends) is posted to "
          "`POST /v1/hooks/registry/{secret}` over TLS right after the tag moves. Every swap is stop-first behind "
          "an HTTP probe with a 1 s monitor window.")
        w("")
        w("| trigger | median (ms) | min - max (ms) | each run (ms) |")
        w("|---|---:|---:|---|")
        labels = {"poll-1s": "berth polling every 1 s", "poll-10s": "berth polling every 10 s",
                  "webhook": "registry webhook (polling every 1 h)"}
        for s in push["scenarios"]:
            runs = ", ".join(fmt(r["push_to_serving_ms"]) for r in s["reps"])
            w(f"| {labels.get(s['scenario'], s['scenario'])} | {fmt(s['median_ms'])} | "
              f"{fmt(s['min_ms'])} - {fmt(s['max_ms'])} | {runs} |")
        w("")
        w("What the time is made of: waiting for the next check (a poll interval is spread over the runs; the "
          "agent's loop wakes once a second), then the check (one HEAD), the pull of the new layer, the stop-first "
          "swap and the first successful probe.")
        w("")

    if registry:
        w("## 3. Registry cost")
        w("")
        measured_in("registry")
        w("Requests counted in the registry's own log (`response completed` lines, plus the `error authorizing "
          "context` line it writes for each 401) and in the token server's log, for the agent watching N services "
          "whose images are N tags of one repository on the token-auth registry (HTTPS, anonymous pull tokens). "
          "A cycle is one `berth check --json` (every service, eight checks at a time; the agent keeps up to eight "
          "connections open to the registry and sends each check's HEAD on one of them). The baseline is the archived "
          "Watchtower design's check, done with curl exactly as designed: a challenge (`GET /v2/`, 401), a token, "
          "a `HEAD` of the manifest, for every reference.")
        w("")
        w("| references | berth: requests per cycle | berth: per check | berth: cycle wall (ms) | berth: agent CPU per cycle (ms) | Watchtower design: requests per cycle | per check | cycle wall (ms), curl |")
        w("|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in registry["rows"]:
            w(f"| {r['references']} | {fmt(r['berth_warm_cycle_requests'])} | "
              f"{fmt(r['berth_warm_requests_per_check'], 2)} | {fmt(r['berth_warm_cycle_ms'])} | "
              f"{fmt(r['berth_warm_cycle_agent_cpu_ms'])} | "
              f"{fmt(r['watchtower_cycle_requests'])} | {fmt(r['watchtower_requests_per_check'], 2)} | "
              f"{fmt(r['watchtower_cycle_ms'])} |")
        w("")
        w("berth's figures are the median of three cycles, counted once the agent has checked every service "
          "after its start (warm: berth keeps the repository's pull token until it expires, every 300 s with the "
          "test token server, so a token request is one per repository per expiry, not one per check). The "
          "Watchtower design's count is "
          "fixed by its shape, three requests per check; its cycles run as one curl process per stage (all "
          "challenges, all tokens, all HEADs, over keep-alive connections), median of three cycles below 100 "
          "references and one cycle at 100 and above, because each check's token costs the test token server "
          "(Python, RSA signatures) about 80 ms: its wall time mostly shows that cost, which a warm berth never "
          "pays.")
        w("")
        fo = registry.get("follow")
        if fo:
            w(f"{fo['services']} services with `berth.follow` (`regex:^r[0-9]{{3}}$`) on the same repository "
              f"({fo['tags']} tags), their agent's poll interval {fmt(fo['poll_ms'] / 1000, 0)} s, counted in the "
              f"registry's log for {fmt(fo['window_ms'] / 1000, 1)} s. A check is a `HEAD` of the chosen tag's "
              "manifest after the repository's tag list (`GET /v2/<name>/tags/list`, one page per 1000 tags), which "
              "berth asks at most once per poll interval and repository: the services that follow one repository "
              "share it.")
            w("")
            w("| services | tags | checks (HEAD) | tag-list pages | registry requests | per check | tag-list pages per check | per poll interval |")
            w("|---:|---:|---:|---:|---:|---:|---:|---:|")
            w(f"| {fo['services']} | {fo['tags']} | {fo['checks']} | {fo['tag_list_pages']} | "
              f"{fo['registry_requests']} | {fmt(fo['requests_per_check'], 2)} | "
              f"{fmt(fo['tag_list_pages_per_check'], 2)} | {fmt(fo.get('tag_list_pages_per_interval'), 2)} |")
            w("")
        ratios = [f"{r['references']}: {fmt(r['watchtower_cycle_ms'] / r['berth_warm_cycle_ms'], 1)}x"
                  for r in registry["rows"] if r.get("berth_warm_cycle_ms")]
        if ratios:
            w("Watchtower design's cycle wall time over berth's, same run, by references: " + ", ".join(ratios) + ".")
            w("")
        client = []
        path = os.path.join(results, "registry-client.jsonl")
        if os.path.exists(path):
            with open(path) as f:
                client = [json.loads(line) for line in f if line.strip()]
        if client:
            w("The registry client alone (`RegistryClient::check_all` in `berth_bench_registry_cycles`, built with "
              "the tests; no agent, no Docker Engine, no API), against the same registry: N tags of one "
              "repository, a cold cycle (a new client: TLS handshakes, a pull token) and a warm one right after.")
            w("")
            w("| references | checks at once | requests per warm check | warm cycle (ms) | cold cycle (ms) |")
            w("|---:|---:|---:|---:|---:|")
            for c in client:
                warm, cold = c["warm"], c.get("cold")
                w(f"| {c['references']} | {c['concurrency']} | {fmt(warm['requests'] / c['references'], 2)} | "
                  f"{fmt(warm['wall_ms'], 1)} | {fmt(cold['wall_ms'], 1) if cold else '-'} |")
            w("")

    if foot:
        w("## 4. Footprint")
        w("")
        measured_in("footprint")
        b = foot.get("binary") or {}
        if b:
            w(f"Binary (`{b.get('binary')}`, release preset): {fmt(b.get('bytes'))} bytes, "
              f"{fmt(b.get('stripped_bytes'))} bytes stripped; {b.get('dynamic_libraries')} shared libraries.")
            w("")
        agents = (foot.get("agents") or {}).get("agents") or []
        if agents:
            cycles = max(1, round(foot.get("window_s", 60) / 60))
            w(f"Idle agents, sampled every second over a {foot.get('window_s')} s window (the {len(agents)} agents run "
              "at the same time, each with its own services; poll interval 1 m with 10 % jitter, so the window holds "
              f"about {cycles} check cycle{'s' if cycles > 1 else ''} of every service; the window starts once each "
              "agent is up and has checked every service once). Each service is a running container (no network, "
              "`berth.policy: notify`) of a tag on the token-auth registry; berth asks the Docker Engine and the "
              "registry, and nothing is swapped.")
            w("")
            w("| services | RSS median (MiB) | RSS max (MiB) | CPU over the window (s) | CPU (% of one core) | threads |")
            w("|---:|---:|---:|---:|---:|---:|")
            for a in agents:
                w(f"| {a['services']} | {fmt(a['rss_mib_median'], 1)} | {fmt(a['rss_mib_max'], 1)} | "
                  f"{fmt(a['cpu_s'], 2)} | {fmt(a['cpu_percent'], 3)} | {a['threads']} |")
            w("")
            if foot.get("window_s", 600) < 600:
                w(f"The window is {foot.get('window_s')} s, not 10 minutes: the whole run has a budget of 20 "
                  "minutes on this 2-core machine. `BENCH_WINDOW=600 scripts/bench footprint` gives the long window.")
                w("")
        pod = foot.get("podman_auto_update") or {}
        if pod.get("runs"):
            w(f"Baseline: `podman auto-update --dry-run` ({pod.get('podman')}), the run a systemd timer starts, "
              "against the same registry and tags, with containers labelled `io.containers.autoupdate=registry`; "
              "`/usr/bin/time` gives wall time, peak RSS and CPU; median of 3 runs.")
            w("")
            w("| containers | wall (s) | peak RSS (MiB) | CPU (s) | registry + token requests per run |")
            w("|---:|---:|---:|---:|---:|")
            for r in pod["runs"]:
                reqs = median(d["registry_requests"] + d["token_requests"] for d in r["dry_runs"])
                w(f"| {r['containers']} | {fmt(r['median_wall_s'], 2)} | {fmt(r['median_max_rss_kib'] / 1024, 1)} | "
                  f"{fmt(r['median_cpu_s'], 2)} | {fmt(reqs)} |")
            w("")
            w("Where they compare: podman pays its start-up and a challenge, a token and a GET for every container "
              "on each run, then exits; berth stays resident (the RSS above) and pays per cycle the agent CPU time "
              "and the requests of section 3. On this host podman's dry run needs two accommodations, both outside "
              "what is measured: PID 1 is not systemd, so podman runs in a private mount namespace with a stand-in "
              "for `/run/systemd/private` (it connects there before anything else, even for a dry run); and its "
              "containers get `--ulimit nofile=1024:1024 --ulimit nproc=1024:1024` (its defaults exceed this "
              "host's limits).")
            w("")
        elif pod:
            w(f"`podman auto-update`: not measured ({pod.get('error', 'no result')}).")
            w("")

    if api:
        w("## 5. Control API")
        w("")
        measured_in("api")
        w("`wrk` with 1 thread and 8 keep-alive TLS connections for 10 s per row, against the running agent's TCP "
          "listener on 127.0.0.1 (a P-256 certificate, a read-scope Bearer token), the agents of section 4 idle "
          "behind it. The baseline is the token-auth `docker-registry` (Go's net/http over TLS) answering "
          "`GET /v2/` with its 401 challenge, on the same machine in the same run. The `scripts/bench-api` row, "
          "when present, is the control server alone (the integration tests' fake backend instead of the agent), "
          "32 connections for 20 s, server and wrk pinned to one CPU each; its output is in "
          "`bench/results/bench-api.log`.")
        w("")
        w("| target | requests/s | p50 (ms) | p99 (ms) | non-2xx answers |")
        w("|---|---:|---:|---:|---:|")
        for r in api["rows"]:
            lat = r.get("latency_ms", {})
            w(f"| {r['what']} | {fmt(r['requests_per_s'])} | {fmt(lat.get('p50'), 2)} | {fmt(lat.get('p99'), 2)} | "
              f"{fmt(r['non_2xx'])} |")
        w("")
        base = next((r for r in api["rows"] if r["what"].startswith("baseline")), None)
        if base and base.get("requests_per_s"):
            ratios = [f"{r['what'].removeprefix('berth ')}: {fmt(r['requests_per_s'] / base['requests_per_s'], 1)}x"
                      for r in api["rows"] if r["what"].startswith("berth ")]
            if ratios:
                w("Requests per second over the baseline's, same run: " + "; ".join(ratios) + ".")
                w("")
        w("wrk and the agent share the two cores, so these are lower bounds of what the agent serves.")
        w("")

    if fleet:
        w("## 6. Fleet rollouts")
        w("")
        w(f"`berth fleet update --all --max-concurrency N --yes` across {fleet['hosts']} agents on this machine, each "
          "with its own state and TLS listener on 127.0.0.1 and one stop-first service, reached through a hosts "
          "file pinned to the certificate's fingerprint, with one fleet token the agents know by its hash. Each "
          f"rollout moves every host to a new release with a fresh {run.get('layer_mib', '?')} MiB layer; the agents "
          "share one Docker Engine, so the layer is downloaded once per rollout and the other hosts find it. The "
          "baseline is one `berth update --wait` on one of the agents, same image size, in the same run.")
        w("")
        w("| hosts at once | rollout wall (ms) | per host, median (ms) | hosts done | exit code | wall / single-host swap |")
        w("|---|---:|---:|---:|---:|---:|")
        single = fleet.get("single_host_swap_ms") or 0
        w(f"| one host, `berth update --wait` | {fmt(single)} | | 1 of 1 | | 1.0 |")
        for r in fleet["rollouts"]:
            ratio = fmt(r["wall_ms"] / single, 1) if single else "-"
            w(f"| {r['max_concurrency']} | {fmt(r['wall_ms'])} | {fmt(r['host_ms_median'])} | "
              f"{fmt(r['hosts_done'])} of {fleet['hosts']} | {r['exit_code']} | {ratio} |")
        w("")
        w("The swaps in flight share the two cores with each other and with the ten agents, so the gain from "
          "running hosts at once stays below their number.")
        w("")

    L.extend(soak_section(os.path.join(results, os.pardir, "soak", "summary.json")))

    notes = run.get("notes") or []
    if notes:
        w("## Not measured in this run")
        w("")
        for n in notes:
            w(f"- {n}")
        w("")
    return "\n".join(L)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "aggregate-swap":
        print(json.dumps(aggregate_swap(args[0]), indent=2))
    elif cmd == "aggregate-push":
        print(json.dumps(aggregate_push(args[0]), indent=2))
    elif cmd == "aggregate-registry":
        print(json.dumps(aggregate_registry(args[0], args[1] if len(args) > 1 else None), indent=2))
    elif cmd == "aggregate-footprint":
        print(json.dumps(aggregate_footprint(args[0], args[1]), indent=2))
    elif cmd == "sample-footprint":
        print(json.dumps(sample_footprint(float(args[0]), args[1:]), indent=2))
    elif cmd == "parse-wrk":
        print(json.dumps(parse_wrk(args[0], args[1])))
    elif cmd == "aggregate-throughput":
        print(json.dumps(aggregate_throughput(args[0]), indent=2))
    elif cmd == "aggregate-api":
        print(json.dumps(aggregate_api(args[0]), indent=2))
    elif cmd == "markdown":
        print(markdown(args[0]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
