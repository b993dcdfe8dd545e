#!/usr/bin/env python3
"""The per-run cost of `podman auto-update --dry-run`, the baseline of the footprint part.

    podman_bench.py PODMAN_COMMAND IMAGE_REPO REGISTRY_LOG TOKEN_LOG REGTOOL REPO N...

For each N (ascending): runs containers until N are labelled io.containers.autoupdate=registry
(image IMAGE_REPO:r000, r001, ...; no network), then times three dry runs with /usr/bin/time
(wall, peak RSS, CPU) and counts their requests in the registry's and the token server's logs.
Prints JSON. Runs inside scripts/bench's private mount namespace (see systemd_stub.py).
"""

import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time


def main():
    podman = shlex.split(sys.argv[1])
    image_repo, reg_log, tok_log, regtool, repo = sys.argv[2:7]
    sizes = sorted(int(n) for n in sys.argv[7:])
    # Debian's podman asks for more open files and processes than this host lets a container have.
    limits = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]
    have = 0
    out = {"podman": subprocess.run(podman + ["--version"], capture_output=True, text=True).stdout.strip(),
           "runs": []}
    for n in sizes:
        start = time.monotonic()
        while have < n:
            tag = f"r{have:03d}"
            subprocess.run(podman + ["run", "-d", "--name", f"bb-pod-{tag}", "--network", "none", *limits,
                                     "--label", "io.containers.autoupdate=registry",
                                     "--label", f"PODMAN_SYSTEMD_UNIT=bb-pod-{tag}.service",
                                     f"{image_repo}:{tag}"],
                           check=True, capture_output=True, text=True)
            have += 1
        setup_s = time.monotonic() - start
        runs = []
        for _ in range(3):
            r0, t0 = os.path.getsize(reg_log), os.path.getsize(tok_log)
            with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
                p = subprocess.run(["/usr/bin/time", "-o", tf.name, "-f", "%e %M %U %S"] + podman +
                                   ["auto-update", "--dry-run", "--format", "json"],
                                   capture_output=True, text=True)
                wall, rss, user, sys_ = tf.read().split()[-4:]
            time.sleep(0.5)
            r1, t1 = os.path.getsize(reg_log), os.path.getsize(tok_log)
            reg = json.loads(subprocess.run([sys.executable, regtool, "count", reg_log, str(r0), str(r1),
                                             "--repo", repo, "--ua", "containers/"],
                                            capture_output=True, text=True, check=True).stdout)
            tok = json.loads(subprocess.run([sys.executable, regtool, "tokens", tok_log, str(t0), str(t1),
                                             "--repo", repo], capture_output=True, text=True, check=True).stdout)
            try:
                report = json.loads(p.stdout or "[]")
            except ValueError:
                report = []
            runs.append({"exit": p.returncode, "wall_s": float(wall), "max_rss_kib": int(rss),
                         "cpu_s": round(float(user) + float(sys_), 3), "containers_reported": len(report),
                         "registry_requests": reg["requests"], "by_kind": reg["by_kind"],
                         "token_requests": tok["requests"],
                         "stderr": p.stderr.strip().splitlines()[-1:] if p.returncode else []})
        out["runs"].append({"containers": n, "setup_s": round(setup_s, 1), "dry_runs": runs,
                            "median_wall_s": statistics.median(r["wall_s"] for r in runs),
                            "median_max_rss_kib": statistics.median(r["max_rss_kib"] for r in runs),
                            "median_cpu_s": statistics.median(r["cpu_s"] for r in runs)})
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
