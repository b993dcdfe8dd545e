#!/usr/bin/env python3
"""The images of scripts/soak, written straight into the soak's own registry over its HTTP API
(plain HTTP on loopback, no auth; Python standard library only).

    soak_images.py base   CACHE --from REGISTRY/REPO:TAG | --rootfs TAR
        Fetches the base layer(s) once into CACHE: the layers of a test image of the shared plain
        registry (read only), or, when it does not answer, the busybox rootfs tar the test images
        are made of (BERTH_TEST_ROOTFS_TAR). Prints where the base came from.
    soak_images.py push   CACHE REGISTRY TAG VERSION [--broken] REPO...
        Pushes, to each REPO:TAG, a new image: the base layers plus a small layer whose /www/version
        and /www/index.html hold VERSION (and /www/health "ok"). A serving image runs
        `httpd -f -p $PORT -h /www` (PORT comes from the container's environment; every address of
        the container's network namespace, which is the soak's own namespace or a bridge's), a
        --broken one only sleeps (it never serves, so it fails any health gate). Each push has a new
        digest: the config carries VERSION and the time. Prints "REPO DIGEST" per repository.

Every image answers SIGTERM at once, as the test images do.
"""

import gzip
import hashlib
import http.client
import io
import json
import os
import sys
import tarfile
import time
import urllib.parse

MT_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MT_CONFIG = "application/vnd.docker.container.image.v1+json"
MT_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SERVE = "trap 'exit 0' TERM INT; httpd -f -p ${PORT:-80} -h /www & wait"
SLEEP = "trap 'exit 0' TERM INT; sleep 100000 & wait"


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Registry:
    """A plain-HTTP registry on loopback; one keep-alive connection, reopened on error."""

    def __init__(self, hostport, timeout=20):
        self.host, port = hostport.rsplit(":", 1)
        self.port = int(port)
        self.timeout = timeout
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        last = None
        for _ in range(3):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                resp = self.conn.getresponse()
                return resp, resp.read()
            except (http.client.HTTPException, OSError) as e:
                last = e
                self.conn.close()
                self.conn = None
                time.sleep(0.2)
        raise OSError(f"{method} http://{self.host}:{self.port}{path}: {last}")

    def get(self, path, accept=None):
        resp, data = self.request("GET", path, headers={"Accept": accept} if accept else {})
        if resp.status != 200:
            raise OSError(f"GET {path} answered {resp.status}")
        return data

    def has_blob(self, repo, digest):
        resp, _ = self.request("HEAD", f"/v2/{repo}/blobs/{digest}")
        return resp.status == 200

    def put_blob(self, repo, digest, data, mount_from=None):
        if self.has_blob(repo, digest):
            return
        if mount_from and mount_from != repo:
            q = urllib.parse.urlencode({"mount": digest, "from": mount_from})
            resp, _ = self.request("POST", f"/v2/{repo}/blobs/uploads/?{q}", body=b"",
                                   headers={"Content-Length": "0"})
            if resp.status == 201:
                return
        resp, _ = self.request("POST", f"/v2/{repo}/blobs/uploads/", body=b"", headers={"Content-Length": "0"})
        location = resp.getheader("Location", "")
        if resp.status != 202 or not location:
            raise OSError(f"starting an upload to {repo} answered {resp.status}")
        url = urllib.parse.urlsplit(location)
        query = url.query + ("&" if url.query else "") + urllib.parse.urlencode({"digest": digest})
        resp, body = self.request("PUT", f"{url.path}?{query}", body=data,
                                  headers={"Content-Type": "application/octet-stream",
                                           "Content-Length": str(len(data))})
        if resp.status != 201:
            raise OSError(f"uploading {digest} to {repo} answered {resp.status}: {body[:200]!r}")

    def put_manifest(self, repo, tag, data):
        resp, body = self.request("PUT", f"/v2/{repo}/manifests/{tag}", body=data,
                                  headers={"Content-Type": MT_MANIFEST})
        if resp.status != 201:
            raise OSError(f"PUT manifest {repo}:{tag} answered {resp.status}: {body[:200]!r}")
        return resp.getheader("Docker-Content-Digest") or sha256(data)


def base_from_registry(cache, source):
    hostport, _, rest = source.partition("/")
    repo, _, tag = rest.rpartition(":")
    reg = Registry(hostport, timeout=5)
    manifest = json.loads(reg.get(f"/v2/{repo}/manifests/{tag}", MT_MANIFEST))
    if manifest.get("mediaType") != MT_MANIFEST:
        raise OSError(f"{source} is not a single-platform Docker image manifest")
    config = json.loads(reg.get(f"/v2/{repo}/blobs/{manifest['config']['digest']}"))
    layers = []
    for layer, diff_id in zip(manifest["layers"], config["rootfs"]["diff_ids"]):
        data = reg.get(f"/v2/{repo}/blobs/{layer['digest']}")
        if sha256(data) != layer["digest"]:
            raise OSError(f"layer {layer['digest']} of {source} does not match its digest")
        name = layer["digest"].split(":", 1)[1] + ".tar.gz"
        with open(os.path.join(cache, name), "wb") as f:
            f.write(data)
        layers.append({"file": name, "digest": layer["digest"], "diff_id": diff_id, "size": len(data)})
    return layers


def base_from_rootfs(cache, tar_path):
    with open(tar_path, "rb") as f:
        raw = f.read()
    data = gzip.compress(raw, mtime=0)
    digest = sha256(data)
    name = digest.split(":", 1)[1] + ".tar.gz"
    with open(os.path.join(cache, name), "wb") as f:
        f.write(data)
    return [{"file": name, "digest": digest, "diff_id": sha256(raw), "size": len(data)}]


def cmd_base(args):
    cache = args[0]
    os.makedirs(cache, exist_ok=True)
    source = args[args.index("--from") + 1] if "--from" in args else None
    rootfs = args[args.index("--rootfs") + 1] if "--rootfs" in args else None
    layers, origin, why = None, None, ""
    if source:
        try:
            layers, origin = base_from_registry(cache, source), source
        except OSError as e:
            why = f" ({source}: {e})"
    if layers is None and rootfs and os.path.isfile(rootfs):
        layers, origin = base_from_rootfs(cache, rootfs), rootfs + why
    if layers is None:
        sys.exit(f"soak_images: no base image: neither --from nor --rootfs could be read{why}")
    with open(os.path.join(cache, "base.json"), "w") as f:
        json.dump({"origin": origin, "layers": layers}, f, indent=2)
    print(origin)


def version_layer(version):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        d = tarfile.TarInfo("www")
        d.type, d.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(d)
        for name, text in (("index.html", version), ("version", version), ("health", "ok")):
            data = text.encode()
            info = tarfile.TarInfo("www/" + name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    raw = buf.getvalue()
    return raw, gzip.compress(raw, mtime=0)


def cmd_push(args):
    broken = "--broken" in args
    args = [a for a in args if a != "--broken"]
    cache, registry, tag, version, repos = args[0], args[1], args[2], args[3], args[4:]
    with open(os.path.join(cache, "base.json")) as f:
        base = json.load(f)
    raw, gz = version_layer(version)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": now,
        "config": {
            "Env": [PATH_ENV],
            "Cmd": ["sh", "-c", SLEEP if broken else SERVE],
            "Labels": {"berth-soak.version": version, "berth-soak.pushed": str(time.time_ns())},
        },
        "rootfs": {"type": "layers", "diff_ids": [l["diff_id"] for l in base["layers"]] + [sha256(raw)]},
        "history": [{"created": now, "comment": "berth soak base"} for _ in base["layers"]] +
                   [{"created": now, "comment": f"berth soak {version}"}],
    }
    config_data = json.dumps(config, sort_keys=True).encode()
    layers = [(l["digest"], l["size"], l["file"]) for l in base["layers"]] + [(sha256(gz), len(gz), None)]
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": MT_MANIFEST,
        "config": {"mediaType": MT_CONFIG, "size": len(config_data), "digest": sha256(config_data)},
        "layers": [{"mediaType": MT_LAYER, "size": size, "digest": digest} for digest, size, _ in layers],
    }, indent=2).encode()
    reg = Registry(registry)
    first = None
    for repo in repos:
        for digest, _, name in layers:
            if name is None:
                reg.put_blob(repo, digest, gz, first)
            elif not reg.has_blob(repo, digest):
                with open(os.path.join(cache, name), "rb") as f:
                    reg.put_blob(repo, digest, f.read(), first)
        reg.put_blob(repo, sha256(config_data), config_data, first)
        print(repo, reg.put_manifest(repo, tag, manifest), flush=True)
        first = first or repo


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    try:
        if cmd == "base":
            cmd_base(args)
        elif cmd == "push" and len(args) >= 5:
            cmd_push(args)
        else:
            sys.exit(__doc__)
    except OSError as e:
        sys.exit(f"soak_images: {e}")


if __name__ == "__main__":
    main()
