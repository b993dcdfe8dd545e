#!/usr/bin/env python3
"""Judgement and figures of scripts/soak (Python standard library only).

    soak_report.py all-running N          stdin: GET /v1/services; exit 0 when N services run
    soak_report.py converged WANT         stdin: GET /v1/services; WANT: "NAME DIGEST" lines; exit 0
                                          when each runs its digest and no update is pending
    soak_report.py stack WORK RUNDIR KIND  one JSON line: memory of the soak's engine, its containers
                                          and its registry
    soak_report.py leftovers EXEC_ROOT containerd|all [NETNS]
                                          pids of the soak engine's containerd (all: and its shims and
                                          the processes of its containers) still running; with NETNS
                                          (a /run/netns path), also every process in that namespace
    soak_report.py summary WORK complete|interrupted
                                          writes WORK/summary.json, prints the report; with
                                          "complete", judges the final checks (exit 1 on a failure)
"""

import csv
import json
import os
import re
import statistics
import sys

from report import load  # benchlib/report.py, beside this file

# The fail service keeps getting a version whose gate fails: between a rollback and the next check it
# reads "rolled back", then "quarantined".
FAIL_STATES = ("running", "quarantined", "rolled back")


def read_text(path, default=""):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return default


def services_of(doc):
    items = doc.get("services", []) if isinstance(doc, dict) else doc
    return {s.get("name"): s for s in items if isinstance(s, dict)}


def cmd_all_running(n):
    try:
        svcs = services_of(json.load(sys.stdin))
    except ValueError:
        return 1
    running = sum(1 for s in svcs.values() if s.get("state") == "running" and s.get("running_digest"))
    return 0 if running >= n else 1


def cmd_converged(want_text):
    try:
        svcs = services_of(json.load(sys.stdin))
    except ValueError:
        return 1
    behind = []
    for line in want_text.splitlines():
        if not line.strip():
            continue
        name, digest = line.split()
        s = svcs.get(name)
        if s is None:
            behind.append(f"{name}: not listed")
        elif s.get("running_digest") != digest:
            behind.append(f"{name}: runs {(s.get('running_digest') or 'no known digest')[:19]}, not {digest[:19]}"
                          + (f" ({s.get('error')})" if s.get("error") else ""))
        elif s.get("state") not in (FAIL_STATES if name == "soak-001" else ("running",)):
            behind.append(f"{name}: {s.get('state')}")
    print("; ".join(behind))
    return 1 if behind else 0


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def processes():
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
            with open(f"/proc/{pid}/cgroup") as f:
                cgroup = f.read()
        except OSError:
            continue
        yield int(pid), argv, cgroup


def cmd_stack(work, rundir, kind):
    engine = containers = registry = 0
    n_engine = n_containers = 0
    try:
        reg_pid = int(read_text(os.path.join(work, "registry", "registry.pid")).strip() or 0)
    except ValueError:
        reg_pid = 0
    for pid, argv, cgroup in processes():
        joined = " ".join(argv)
        if "/berth-soak/" in cgroup:
            containers += rss_kib(pid)
            n_containers += 1
        elif argv and (os.path.basename(argv[0]) in ("dockerd", "containerd") or
                       os.path.basename(argv[0]).startswith("containerd-shim")) and rundir in joined:
            engine += rss_kib(pid)
            n_engine += 1
        elif pid == reg_pid:
            registry = rss_kib(pid)
    print(json.dumps({"kind": kind, "engine_rss_mib": round(engine / 1024, 1), "engine_processes": n_engine,
                      "containers_rss_mib": round(containers / 1024, 1), "container_processes": n_containers,
                      "registry_rss_mib": round(registry / 1024, 1)}))


def netns_inode(path):
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def cmd_leftovers(exec_root, which, netns=None):
    """containerd: the engine's containerd still serving EXEC_ROOT; all: that, its shims, and the
    processes of its containers (cgroup /berth-soak); with NETNS, also every process whose network
    namespace is that one (the soak made it, nothing else enters it)."""
    me = os.getpid()
    ns = netns_inode(netns) if netns else None
    for pid, argv, cgroup in processes():
        if pid == me:
            continue
        in_ns = ns is not None and netns_inode(f"/proc/{pid}/ns/net") == ns
        if not argv and not in_ns:
            continue
        prog = os.path.basename(argv[0]) if argv else ""
        ours = exec_root in " ".join(argv)
        if prog == "containerd" and ours:
            print(pid)
        elif which == "all" and ((prog.startswith("containerd-shim") and ours) or "/berth-soak/" in cgroup or in_ns):
            print(pid)


# ---------------------------------------------------------------------------------------------
# Summary.

def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def rows_of(path):
    try:
        with open(path) as f:
            return list(csv.DictReader(f))
    except OSError:
        return []


def fmt(v, digits=0):
    if v is None:
        return "-"
    if digits == 0:
        return f"{v:,.0f}"
    return f"{v:,.{digits}f}"


def mib(row, key):
    v = num(row.get(key))
    return round(v / 1024, 2) if v else None


def figures(row):
    """A judged row. RSS is anonymous memory (heap, stacks) plus pages of mapped files (the binary and its
    libraries); the high-water mark is the most the process ever had."""
    if not row:
        return None
    return {"elapsed_s": num(row.get("elapsed_s")), "berth_uptime_s": num(row.get("berth_uptime_s")),
            "berth_pid": row.get("berth_pid"),
            "rss_mib": mib(row, "rss_kib"), "rss_anon_mib": mib(row, "rss_anon_kib"),
            "rss_file_mib": mib(row, "rss_file_kib"), "rss_hwm_mib": mib(row, "hwm_kib"),
            "fds": num(row.get("fds")), "threads": num(row.get("threads")),
            "state_kib": num(row.get("state_kib")), "swapped": num(row.get("swapped")),
            "rolled_back": num(row.get("rolled_back")), "load1": num(row.get("load1")),
            "mem_available_mib": num(row.get("mem_available_mib"))}


def api_counts(path):
    counts = []
    for line in read_text(path).splitlines():
        parts = line.split()
        if len(parts) == 4:
            counts.append({"count": int(parts[0]), "method": parts[1], "path": parts[2], "code": parts[3]})
    return sorted(counts, key=lambda c: (c["path"], c["method"], c["code"]))


def check_services(work, run, checks):
    final = os.path.join(work, "final")
    expected = [e for e in (line.split("\t") for line in read_text(os.path.join(final, "expected.tsv")).splitlines())
                if len(e) == 6]
    svcs = services_of(load(os.path.join(final, "services.json"), {}))
    containers = [c for c in (line.split("\t") for line in read_text(os.path.join(final, "containers.tsv")).splitlines())
                  if len(c) >= 2]
    names = [c[0] for c in containers]
    states = {c[0]: c[1] for c in containers}
    probes = {p[0]: p for p in (line.split("\t") for line in read_text(os.path.join(final, "probes.tsv")).splitlines()) if p}
    problems = []
    for name, role, source, version, digest, _volume in expected:
        why = []
        n = names.count(name)
        if n != 1:
            why.append(f"{n} containers named {name}")
        elif states.get(name) != "running":
            why.append(f"its container is {states.get(name)}")
        p = probes.get(name, [name, "-", "-", "-"])
        if p[1] != "ok":
            why.append(f"GET /health answered {p[1]!r}")
        if p[2] != version:
            why.append(f"serves {p[2]!r}, expected {version!r}")
        s = svcs.get(name)
        if s is None:
            why.append("berth does not list it")
        else:
            ok_states = FAIL_STATES if role == "fail" else ("running",)
            if s.get("state") not in ok_states:
                why.append(f"berth says {s.get('state')!r}" + (f" ({s.get('error')})" if s.get("error") else ""))
            if s.get("running_digest") != digest:
                why.append(f"berth's running digest {s.get('running_digest')} is not the one pushed last ({digest})")
        if why:
            problems.append(f"{name} ({role}, {source}): " + "; ".join(why))
    checks.append({"check": "every service runs once under its name, serves the version pushed last and "
                            "berth reports it healthy",
                   "ok": not problems and bool(expected),
                   "detail": f"{len(expected) - len(problems)} of {len(expected)} services right"
                             + ("; " + " | ".join(problems[:20]) if problems else "")})
    leftovers = [n for n in names if n.endswith(".berth-prev") or n.endswith(".berth-next")]
    failed = [n for n in names if n.endswith(".berth-failed")]
    holders = [n for n in names if n.endswith(".berth-holder")]  # one per task, kept by berth
    strangers = [n for n in names if n not in [e[0] for e in expected] and n not in leftovers + failed + holders]
    checks.append({"check": "no NAME.berth-prev or NAME.berth-next container left, no other container",
                   "ok": bool(containers) and not leftovers and not strangers,
                   "detail": f"{len(failed)} NAME.berth-failed kept for inspection"
                             + (f"; left over: {' '.join(leftovers)}" if leftovers else "")
                             + (f"; unexpected: {' '.join(strangers)}" if strangers else "")})
    volumes = set(read_text(os.path.join(final, "volumes.txt")).split())
    mounts = [m for m in (line.split("\t") for line in read_text(os.path.join(final, "mounts.tsv")).splitlines())
              if len(m) == 4]
    vproblems = []
    for name, vol, mounted, mark in mounts:
        if vol not in volumes:
            vproblems.append(f"{vol} is gone")
        if mounted != vol:
            vproblems.append(f"{name} has {mounted!r} at /data, not {vol}")
        if mark != run:
            vproblems.append(f"{name}: /data/soak-mark holds {mark!r}, not {run}")
    checks.append({"check": "no volume removed; each still mounted and holding the mark written at the start",
                   "ok": not vproblems and bool(mounts),
                   "detail": f"{len(mounts)} volumes" + ("; " + "; ".join(vproblems) if vproblems else "")})
    files = read_text(os.path.join(final, "journal.txt")).split()
    journal = [j for j in files if j.endswith(".json")]  # a swap in flight
    stray = [os.path.basename(j) for j in files if not j.endswith(".json")]  # e.g. a write cut by kill -9
    status_text = read_text(os.path.join(final, "status.txt"))
    history = load(os.path.join(final, "history.json"))
    checks.append({"check": "no swap left in the journal; berth status and berth history answer",
                   "ok": not journal and "\nexit " not in "\n" + status_text and history is not None,
                   "detail": (f"journal: {' '.join(os.path.basename(j) for j in journal)}" if journal else "journal empty")
                             + (f"; other files left in swaps/: {' '.join(stray)}" if stray else "")
                             + ("" if history is not None else "; berth history --json gave no JSON")
                             + ("; berth status failed" if "\nexit " in "\n" + status_text else "")})


def summary(work, mode):
    run = load(os.path.join(work, "run.json"), {})
    samples = rows_of(os.path.join(work, "samples.csv"))
    judged = {r["kind"]: r for r in rows_of(os.path.join(work, "judged.csv"))}
    faults = rows_of(os.path.join(work, "faults.csv"))
    pushes = rows_of(os.path.join(work, "pushes.csv"))
    counters = load(os.path.join(work, "counters.json"), {})
    stack = [json.loads(line) for line in read_text(os.path.join(work, "stack.txt")).splitlines() if line.strip()]
    duration = run.get("duration_s", 0)

    # Over the run: the samples of a settled berth (up a minute or more); the first minute after a
    # (re)start, when it looks at every service at once, is reported apart.
    settled_rows = [r for r in samples if num(r.get("rss_kib")) and (num(r.get("berth_uptime_s")) or 0) >= 60]
    start_rows = [r for r in samples if num(r.get("rss_kib")) and (num(r.get("berth_uptime_s")) or 0) < 60]
    rss = [num(r["rss_kib"]) for r in settled_rows]
    fds = [num(r["fds"]) for r in settled_rows]
    thr = [num(r["threads"]) for r in samples if num(r.get("threads"))]
    load1 = [num(r["load1"]) for r in samples if num(r.get("load1")) is not None]
    busy = [num(r["cpu_busy_pct"]) for r in samples if num(r.get("cpu_busy_pct")) is not None]
    avail = [num(r["mem_available_mib"]) for r in samples if num(r.get("mem_available_mib"))]
    cpu_by_pid = {}
    for r in samples + list(judged.values()):
        if r.get("berth_pid") and num(r.get("cpu_s")) is not None:
            cpu_by_pid[r["berth_pid"]] = max(cpu_by_pid.get(r["berth_pid"], 0), num(r["cpu_s"]))
    cpu_total = sum(cpu_by_pid.values())
    # Each berth process (one per restart): RSS and fds from its first minute on, to see a trend
    # within a process apart from what a restart resets.
    per_process = []
    for pid in dict.fromkeys(r["berth_pid"] for r in samples if r.get("berth_pid")):
        rows = [r for r in samples if r.get("berth_pid") == pid and num(r.get("rss_kib"))]
        settled = [r for r in rows if (num(r.get("berth_uptime_s")) or 0) >= 60] or rows
        if not settled:
            continue
        first, last = settled[0], settled[-1]
        per_process.append({"pid": pid, "from_s": num(first["elapsed_s"]), "to_s": num(last["elapsed_s"]),
                            "uptime_s": num(last.get("berth_uptime_s")),
                            "rss_mib": [round(num(first["rss_kib"]) / 1024, 2), round(num(last["rss_kib"]) / 1024, 2)],
                            "rss_anon_mib": [mib(first, "rss_anon_kib"), mib(last, "rss_anon_kib")],
                            "rss_max_mib": round(max(num(r["rss_kib"]) for r in rows) / 1024, 2),
                            "rss_hwm_mib": mib(last, "hwm_kib"),
                            "fds": [num(first["fds"]), num(last["fds"])]})
    span = num(samples[-1]["elapsed_s"]) if samples else None

    history = load(os.path.join(work, "final", "history-file.json")) or load(
        os.path.join(work, "berth", "state", "history.json"), [])
    results, created = {}, 0
    for h in history if isinstance(history, list) else []:
        if h.get("result") == "swapped" and not h.get("from_digest"):
            created += 1  # a container berth created (a service file's first start): not a swap
            continue
        results[h.get("result")] = results.get(h.get("result"), 0) + 1
    good = [p for p in pushes if p["result"] == "ok" and p["version"].startswith("v") and p["version"] != "v1"]
    broken = [p for p in pushes if p["result"] == "ok" and p["version"].startswith("broken")]
    push_failures = [p for p in pushes if p["result"] != "ok"]
    quarantine = load(os.path.join(work, "final", "quarantine.json"), []) or []
    quarantined = {q.get("digest") for q in quarantine if isinstance(q, dict)}

    apis = {who: api_counts(os.path.join(work, f"api-{who}.counts")) for who in ("unauth", "read")}
    events = int((read_text(os.path.join(work, "events-count"), "0").strip() or "0"))
    reconnects = len(read_text(os.path.join(work, "events-reconnects.txt")).splitlines())
    registry_requests = read_text(os.path.join(work, "logs", "registry.log")).count("response completed")
    agent_log = read_text(os.path.join(work, "logs", "agent.log"))
    # "2026-12-07 13:23:01.487 warning text": the level is the third word of a line.
    log_levels = {lvl: len(re.findall(r"^\S+ \S+ " + lvl + r" ", agent_log, re.M)) for lvl in ("warning", "error", "critical")}

    out = {
        "run": run,
        "mode": mode,
        "setup_s": num(read_text(os.path.join(work, "setup-seconds")).strip()),
        "judged": {k: figures(v) for k, v in judged.items()},
        "berth": {
            "rss_mib": {"min": round(min(rss) / 1024, 2) if rss else None,
                        "median": round(statistics.median(rss) / 1024, 2) if rss else None,
                        "max": round(max(rss) / 1024, 2) if rss else None},
            "fds": {"min": min(fds) if fds else None, "median": statistics.median(fds) if fds else None,
                    "max": max(fds) if fds else None},
            "threads": {"min": min(thr) if thr else None, "max": max(thr) if thr else None},
            "first_minute_after_start": {
                "rss_max_mib": round(max(num(r["rss_kib"]) for r in start_rows) / 1024, 2) if start_rows else None,
                "fds_max": max(num(r["fds"]) for r in start_rows) if start_rows else None},
            "cpu_s": round(cpu_total, 2),
            "cpu_pct_of_one_core": round(100 * cpu_total / span, 2) if span else None,
            "processes": len(cpu_by_pid),
            "per_process": per_process,
            "log_lines": agent_log.count("\n"),
            "log_bytes": len(agent_log.encode()),
            "log_levels": log_levels,
        },
        "machine": {
            "load1": {"median": statistics.median(load1) if load1 else None, "max": max(load1) if load1 else None},
            "cpu_busy_pct": {"median": statistics.median(busy) if busy else None, "max": max(busy) if busy else None},
            "mem_available_mib": {"min": min(avail) if avail else None},
            "stack": stack,
        },
        "swaps": {"history": results, "created": created, "pushed_versions": len(good), "pushed_broken": len(broken),
                  "broken_quarantined": sum(1 for p in broken if p["digest"] in quarantined),
                  "push_failures": len(push_failures)},
        "faults": {"kills": counters.get("kills"), "berth_exits": counters.get("berth_exits"),
                   "engine_restarts": counters.get("engine_restarts"),
                   "registry_down_s": counters.get("registry_down_s"),
                   "events": [{"t": int(num(f["elapsed_s"]) or 0), "kind": f["kind"], "what": f["what"]} for f in faults]},
        "api": {who: {"requests": sum(c["count"] for c in cs), "by_code": cs} for who, cs in apis.items()},
        "events_stream": {"events": events, "reconnects": reconnects},
        "registry_requests": registry_requests,
        "checks": [],
    }
    for who in apis:
        if span:
            out["api"][who]["per_s"] = round(out["api"][who]["requests"] / span, 1)

    checks = out["checks"]
    if mode == "complete":
        check_services(work, run.get("run"), checks)
        kinds = [f["kind"] for f in faults]
        checks.append({"check": "berth never exited by itself (only by our kill -9)",
                       "ok": counters.get("berth_exits", 0) == 0 and "berth-start-failed" not in kinds,
                       "detail": f"{counters.get('kills', 0)} kill -9, {counters.get('berth_exits', 0)} exits of its own"})
        checks.append({"check": "the churn happened: two engine restarts, a registry outage, kill -9, swaps, rollbacks",
                       "ok": counters.get("engine_restarts") == 2 and "engine-failed" not in kinds
                             and "registry-failed" not in kinds and kinds.count("registry") == 2
                             and counters.get("kills", 0) >= 2 and results.get("swapped", 0) > 0
                             and (not broken or results.get("rolled_back", 0) > 0),
                       "detail": f"engine restarts {counters.get('engine_restarts')}, registry events {kinds.count('registry')}, "
                                 f"kills {counters.get('kills')}, swapped {results.get('swapped', 0)}, "
                                 f"rolled back {results.get('rolled_back', 0)} of {len(broken)} broken versions pushed"})
        late = [f["what"] for f in faults if f["kind"] == "not-converged"]
        checks.append({"check": "every swap ended (converged within 5 min of the end)",
                       "ok": not late, "detail": late[0] if late else ""})
        read_bad = sum(c["count"] for c in apis["read"] if c["code"] in ("401", "429"))
        unauth_in = sum(c["count"] for c in apis["unauth"] if c["code"].startswith("2") and c["path"] != "/v1/health")
        checks.append({"check": "the read token was never refused (401, 429); no request without a valid token got in",
                       "ok": read_bad == 0 and unauth_in == 0 and bool(apis["read"]) and bool(apis["unauth"]),
                       "detail": f"read client: {read_bad} refused; unauthenticated client: {unauth_in} let in"})
        main_engine = read_text(os.path.join(work, "final", "main-engine.txt")).strip()
        docker0_start = read_text(os.path.join(work, "host-docker0-start.txt")).split()
        docker0_end = read_text(os.path.join(work, "final", "host-docker0.txt")).split()
        # "3066: docker0: <FLAGS> ...": the interface index says it is the same bridge, not a new one.
        docker0_kept = docker0_start[:2] == docker0_end[:2]
        docker0 = (f"its docker0 kept (index {docker0_end[0].rstrip(':')})" if docker0_kept and docker0_end else
                   "no docker0 at the start" if not docker0_start else
                   f"its docker0 {'gone' if not docker0_end else 'replaced'}")
        checks.append({"check": "the shared Docker Engine still answers (when it answered at the start) and keeps its docker0",
                       "ok": main_engine != "no" and docker0_kept, "detail": f"{main_engine}; {docker0}"})
        a, b = judged.get("5min"), judged.get("end")
        if duration >= 900 and a and b:
            fa, fb = figures(a), figures(b)
            drss = (fb["rss_mib"] - fa["rss_mib"]) / fa["rss_mib"] * 100 if fa["rss_mib"] else None
            dfds = (fb["fds"] - fa["fds"]) / fa["fds"] * 100 if fa["fds"] else None
            same = a.get("berth_pid") == b.get("berth_pid")
            drift = [(pp["rss_mib"][1] - pp["rss_mib"][0]) / pp["rss_mib"][0] * 100 for pp in per_process
                     if pp["rss_mib"][0]]
            checks.append({"check": "RSS and open file descriptors at 5 min and at the end differ by at most 10 %",
                           "ok": drss is not None and dfds is not None and abs(drss) <= 10 and abs(dfds) <= 10,
                           "detail": f"RSS {fmt(fa['rss_mib'], 1)} -> {fmt(fb['rss_mib'], 1)} MiB ({drss:+.1f} %"
                                     + (f"; anonymous {fmt(fa['rss_anon_mib'], 1)} -> {fmt(fb['rss_anon_mib'], 1)} MiB"
                                        if fa.get("rss_anon_mib") and fb.get("rss_anon_mib") else "") + "), "
                                     f"fds {fmt(fa['fds'])} -> {fmt(fb['fds'])} ({dfds:+.1f} %); berth up "
                                     f"{fmt(fa['berth_uptime_s'])} s and {fmt(fb['berth_uptime_s'])} s at those points"
                                     + (", both in processes that started with every service running"
                                        if judged.get("setup") else "")
                                     + ("" if same else
                                        f", in different processes (kill -9 in between); within each of the "
                                        f"{len(per_process)} processes RSS changed by "
                                        f"{min(drift):+.1f} % to {max(drift):+.1f} % from its first minute on"
                                        if drift else "")})
        else:
            checks.append({"check": "RSS and open file descriptors at 5 min and at the end differ by at most 10 %",
                           "ok": True, "detail": "not judged: the run is shorter than 15 min"})
    with open(os.path.join(work, "summary.json"), "w") as f:
        json.dump(out, f, indent=2)
    print_report(out)
    return 0 if all(c["ok"] for c in checks) else 1


def print_report(s):
    run = s["run"]
    p = print
    p("")
    p(f"soak {run.get('run')}: {run.get('services')} services, {run.get('duration_s')} s ({s['mode']}); "
      f"{run.get('berth')}")
    p(f"  setup (every service running after berth's start): {fmt(s.get('setup_s'))} s")
    p("")
    p(f"  {'at':<8} {'berth up (s)':>12} {'RSS (MiB)':>10} {'anon':>5} {'fds':>5} {'threads':>8} {'state (KiB)':>12} "
      f"{'swapped':>8} {'rolled back':>12} {'load1':>6} {'avail (MiB)':>12}")
    for k in ("setup", "start", "5min", "end"):
        f = s["judged"].get(k)
        if not f:
            continue
        p(f"  {k:<8} {fmt(f['berth_uptime_s']):>12} {fmt(f['rss_mib'], 1):>10} {fmt(f.get('rss_anon_mib'), 1):>5} "
          f"{fmt(f['fds']):>5} "
          f"{fmt(f['threads']):>8} {fmt(f['state_kib']):>12} {fmt(f['swapped']):>8} {fmt(f['rolled_back']):>12} "
          f"{fmt(f['load1'], 2):>6} {fmt(f['mem_available_mib']):>12}")
    b = s["berth"]
    p("")
    p(f"  berth over the run: RSS {fmt(b['rss_mib']['min'], 1)}-{fmt(b['rss_mib']['max'], 1)} MiB "
      f"(median {fmt(b['rss_mib']['median'], 1)}), fds {fmt(b['fds']['min'])}-{fmt(b['fds']['max'])}, "
      f"threads {fmt(b['threads']['min'])}-{fmt(b['threads']['max'])}, CPU {fmt(b['cpu_s'], 1)} s "
      f"({fmt(b['cpu_pct_of_one_core'], 2)} % of one core) over {b['processes']} processes; log "
      f"{fmt(b['log_bytes'] / 1048576 if b['log_bytes'] else 0, 1)} MiB, {b['log_levels']}")
    for pp in b.get("per_process", []):
        p(f"    process {pp['pid']} (t {fmt(pp['from_s'])}-{fmt(pp['to_s'])} s, up {fmt(pp['uptime_s'])} s at its last "
          f"sample): RSS {pp['rss_mib'][0]} -> {pp['rss_mib'][1]} MiB (max {pp['rss_max_mib']}), "
          f"fds {fmt(pp['fds'][0])} -> {fmt(pp['fds'][1])}")
    m = s["machine"]
    p(f"  machine: load1 median {fmt(m['load1']['median'], 2)} max {fmt(m['load1']['max'], 2)}; CPU busy median "
      f"{fmt(m['cpu_busy_pct']['median'], 1)} % max {fmt(m['cpu_busy_pct']['max'], 1)} %; "
      f"memory available min {fmt(m['mem_available_mib']['min'])} MiB")
    for st in m["stack"]:
        p(f"  soak stack at {st['kind']}: engine {st['engine_rss_mib']} MiB ({st['engine_processes']} processes), "
          f"containers {st['containers_rss_mib']} MiB ({st['container_processes']} processes), "
          f"registry {st['registry_rss_mib']} MiB")
    w = s["swaps"]
    p(f"  swaps: {w['history']} (and {w['created']} containers created); versions pushed {w['pushed_versions']}, broken versions pushed "
      f"{w['pushed_broken']} ({w['broken_quarantined']} quarantined), failed pushes {w['push_failures']}")
    fl = s["faults"]
    p(f"  faults: kill -9 {fl['kills']}, berth exits of its own {fl['berth_exits']}, engine restarts "
      f"{fl['engine_restarts']}, registry down {fl['registry_down_s']} s")
    for who, a in s["api"].items():
        codes = {}
        for c in a["by_code"]:
            codes[c["code"]] = codes.get(c["code"], 0) + c["count"]
        p(f"  API {who}: {fmt(a['requests'])} requests ({a.get('per_s', '-')}/s), by status {codes}")
    p(f"  events stream: {s['events_stream']['events']} events, {s['events_stream']['reconnects']} reconnections; "
      f"registry requests {fmt(s['registry_requests'])}")
    if s["checks"]:
        p("")
        for c in s["checks"]:
            p(f"  {'PASS' if c['ok'] else 'FAIL'}  {c['check']}" + (f": {c['detail']}" if c["detail"] else ""))
        p("")
        p("  result: " + ("PASS" if all(c["ok"] for c in s["checks"]) else "FAIL"))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "all-running" and len(args) == 1:
        sys.exit(cmd_all_running(int(args[0])))
    elif cmd == "converged" and len(args) == 1:
        sys.exit(cmd_converged(args[0]))
    elif cmd == "stack" and len(args) == 3:
        cmd_stack(*args)
    elif cmd == "leftovers" and len(args) in (2, 3):
        cmd_leftovers(*args)
    elif cmd == "summary" and len(args) == 2:
        sys.exit(summary(args[0], args[1]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
