#!/usr/bin/env python3
"""Registry chores of the benchmark, over the registry's HTTP API (Python standard library only).

    regtool.py copy   REGISTRY SRC_REPO:TAG DST_REPO:TAG... [--timing]
                                                               copy a manifest (blobs mounted across
                                                               repositories) to one or more tags;
                                                               --timing: JSON with the PUT's times
    regtool.py fill   REGISTRY REPO SRC_TAG PREFIX COUNT      point PREFIX000..PREFIX<COUNT-1> at SRC_TAG's
                                                               manifest (tags already right are left alone)
    regtool.py digest REGISTRY REPO:TAG                       the tag's manifest digest
    regtool.py delete REGISTRY REPO                           delete every manifest of REPO (tags go with them)
    regtool.py count  LOG FROM TO [--repo R]... [--ua S]...   requests in registry log LOG between byte
                                                               offsets FROM and TO to /v2/R/... or /v2/,
                                                               from a user agent starting with S
    regtool.py tokens LOG FROM TO --repo R...                 token server requests whose scope names R

REGISTRY is host:port. 127.0.0.1:15000 is plain HTTP; other ports are HTTPS with the test CA and the
credentials of the test environment (BERTH_TEST_CA, BERTH_TEST_TOKEN_USER/_PASSWORD or the basic
registry's user/password), read from the environment.
"""

import base64
import http.client
import json
import os
import re
import ssl
import sys
import time
import urllib.parse

ACCEPT = ", ".join([
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
])


class Registry:
    def __init__(self, hostport):
        self.hostport = hostport
        self.plain = hostport.startswith("127.0.0.1:15000") or os.environ.get("BENCH_REGISTRY_PLAIN") == hostport
        self.user = os.environ.get("BERTH_TEST_TOKEN_USER", "berth")
        self.password = os.environ.get("BERTH_TEST_TOKEN_PASSWORD", "")
        self.ca = os.environ.get("BERTH_TEST_CA")
        self.tokens = {}
        self.conn = None

    def _connect(self):
        if self.conn is None:
            host, port = self.hostport.rsplit(":", 1)
            if self.plain:
                self.conn = http.client.HTTPConnection(host, int(port), timeout=30)
            else:
                ctx = ssl.create_default_context(cafile=self.ca)
                self.conn = http.client.HTTPSConnection(host, int(port), timeout=30, context=ctx)
        return self.conn

    def _token(self, challenge, scope):
        if scope in self.tokens:
            return self.tokens[scope]
        params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
        realm = urllib.parse.urlsplit(params["realm"])
        query = urllib.parse.urlencode({"service": params.get("service", ""), "scope": scope})
        ctx = ssl.create_default_context(cafile=self.ca)
        conn = http.client.HTTPSConnection(realm.hostname, realm.port or 443, timeout=30, context=ctx)
        basic = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        conn.request("GET", f"{realm.path}?{query}", headers={"Authorization": f"Basic {basic}"})
        resp = conn.getresponse()
        body = json.loads(resp.read())
        conn.close()
        token = body.get("token") or body.get("access_token")
        self.tokens[scope] = token
        return token

    def request(self, method, path, body=None, headers=None, scope=None):
        headers = dict(headers or {})
        for attempt in range(3):
            conn = self._connect()
            if scope and scope in self.tokens:
                headers["Authorization"] = f"Bearer {self.tokens[scope]}"
            elif not self.plain and "Authorization" not in headers and self.password and scope is None:
                basic = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
                headers["Authorization"] = f"Basic {basic}"
            try:
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
            except (http.client.HTTPException, OSError):
                self.conn = None
                if attempt == 2:
                    raise
                continue
            if resp.status == 401 and scope and attempt < 2:
                challenge = resp.getheader("WWW-Authenticate", "")
                if challenge.startswith("Bearer"):
                    self.tokens.pop(scope, None)
                    self._token(challenge, scope)
                    continue
                if challenge.startswith("Basic"):
                    basic = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
                    headers["Authorization"] = f"Basic {basic}"
                    continue
            return resp, data
        return resp, data

    def manifest(self, repo, ref):
        resp, data = self.request("GET", f"/v2/{repo}/manifests/{ref}", headers={"Accept": ACCEPT},
                                  scope=f"repository:{repo}:pull")
        if resp.status != 200:
            sys.exit(f"regtool: GET {repo}:{ref} answered {resp.status}: {data[:200]!r}")
        return resp.getheader("Content-Type"), data, resp.getheader("Docker-Content-Digest")

    def put_manifest(self, repo, tag, media_type, data):
        resp, body = self.request("PUT", f"/v2/{repo}/manifests/{tag}", body=data,
                                  headers={"Content-Type": media_type}, scope=f"repository:{repo}:pull,push")
        if resp.status not in (200, 201):
            sys.exit(f"regtool: PUT {repo}:{tag} answered {resp.status}: {body[:300]!r}")
        return resp.getheader("Docker-Content-Digest")

    def mount(self, src_repo, dst_repo, digest):
        scope = f"repository:{dst_repo}:pull,push repository:{src_repo}:pull"
        resp, body = self.request("HEAD", f"/v2/{dst_repo}/blobs/{digest}", scope=scope)
        if resp.status == 200:
            return
        q = urllib.parse.urlencode({"mount": digest, "from": src_repo})
        resp, body = self.request("POST", f"/v2/{dst_repo}/blobs/uploads/?{q}", body=b"",
                                  headers={"Content-Length": "0"}, scope=scope)
        if resp.status != 201:
            sys.exit(f"regtool: mounting {digest} from {src_repo} into {dst_repo} answered {resp.status}")


def blobs_of(media_type, data):
    m = json.loads(data)
    if "manifests" in m:
        return None  # an index: not needed by the benchmark
    return [m["config"]["digest"]] + [layer["digest"] for layer in m.get("layers", [])]


def split_ref(ref):
    repo, _, tag = ref.rpartition(":")
    return repo, tag


def cmd_copy(args):
    timing = "--timing" in args
    args = [a for a in args if a != "--timing"]
    reg = Registry(args[0])
    src_repo, src_tag = split_ref(args[1])
    media_type, data, digest = reg.manifest(src_repo, src_tag)
    blobs = blobs_of(media_type, data)
    if blobs is None:
        sys.exit("regtool: copying an index is not supported")
    put_start = put_end = 0
    for dst in args[2:]:
        dst_repo, dst_tag = split_ref(dst)
        if dst_repo != src_repo:
            for b in blobs:
                reg.mount(src_repo, dst_repo, b)
        put_start = int(time.time() * 1000)
        reg.put_manifest(dst_repo, dst_tag, media_type, data)
        put_end = int(time.time() * 1000)
    if timing:  # when the (last) tag moved: the manifest PUT, in Unix ms
        print(json.dumps({"digest": digest, "put_start_ms": put_start, "put_end_ms": put_end}))
    else:
        print(digest)


def cmd_fill(args):
    reg = Registry(args[0])
    repo, src_tag, prefix, count = args[1], args[2], args[3], int(args[4])
    media_type, data, digest = reg.manifest(repo, src_tag)
    width = max(3, len(str(count - 1)))
    resp, body = reg.request("GET", f"/v2/{repo}/tags/list?n=100000", scope=f"repository:{repo}:pull")
    have = set(json.loads(body).get("tags") or []) if resp.status == 200 else set()
    made = 0
    for i in range(count):
        tag = f"{prefix}{i:0{width}d}"
        if tag in have:
            resp, _ = reg.request("HEAD", f"/v2/{repo}/manifests/{tag}", headers={"Accept": ACCEPT},
                                  scope=f"repository:{repo}:pull")
            if resp.getheader("Docker-Content-Digest") == digest:
                continue
        reg.put_manifest(repo, tag, media_type, data)
        made += 1
    print(json.dumps({"digest": digest, "tags": count, "written": made}))


def cmd_digest(args):
    reg = Registry(args[0])
    repo, tag = split_ref(args[1])
    resp, _ = reg.request("HEAD", f"/v2/{repo}/manifests/{tag}", headers={"Accept": ACCEPT},
                          scope=f"repository:{repo}:pull")
    if resp.status != 200:
        sys.exit(f"regtool: HEAD {repo}:{tag} answered {resp.status}")
    print(resp.getheader("Docker-Content-Digest"))


def cmd_delete(args):
    reg = Registry(args[0])
    repo = args[1]
    scope = f"repository:{repo}:*"
    resp, body = reg.request("GET", f"/v2/{repo}/tags/list?n=100000", scope=scope)
    if resp.status != 200:
        print(json.dumps({"repo": repo, "deleted": 0, "status": resp.status}))
        return
    digests = set()
    for tag in json.loads(body).get("tags") or []:
        resp, _ = reg.request("HEAD", f"/v2/{repo}/manifests/{tag}", headers={"Accept": ACCEPT}, scope=scope)
        if resp.status == 200 and resp.getheader("Docker-Content-Digest"):
            digests.add(resp.getheader("Docker-Content-Digest"))
    deleted = 0
    for d in sorted(digests):
        resp, _ = reg.request("DELETE", f"/v2/{repo}/manifests/{d}", scope=scope)
        deleted += resp.status == 202
    print(json.dumps({"repo": repo, "deleted": deleted, "manifests": len(digests)}))


def log_slice(path, start, end):
    with open(path, "rb") as f:
        f.seek(start)
        return f.read(max(0, end - start)).decode("utf-8", "replace").splitlines()


REQUEST_LINE = re.compile(r'msg="(response completed|error authorizing context)')


def field(line, name):
    m = re.search(name + r'=("(?:[^"\\]|\\.)*"|\S+)', line)
    if not m:
        return ""
    v = m.group(1)
    return v[1:-1] if v.startswith('"') else v


def cmd_count(args):
    path, start, end = args[0], int(args[1]), int(args[2])
    repos, uas = [], []
    rest = args[3:]
    while rest:
        flag, value, rest = rest[0], rest[1], rest[2:]
        (repos if flag == "--repo" else uas).append(value)
    kinds = {}
    total = 0
    for line in log_slice(path, start, end):
        if not REQUEST_LINE.search(line):
            continue
        uri = field(line, "http.request.uri")
        ua = field(line, "http.request.useragent")
        method = field(line, "http.request.method")
        if uas and not any(ua.startswith(s) for s in uas):
            continue
        if uri != "/v2/" and not any(uri.startswith(f"/v2/{r}/") for r in repos):
            continue
        total += 1
        status = field(line, "http.response.status") or ("401" if "authorizing" in line else "?")
        if uri == "/v2/":
            what = "ping"
        elif "/manifests/" in uri:
            what = "manifest"
        elif "/blobs/" in uri:
            what = "blob"
        elif "/tags/list" in uri:
            what = "tags"
        else:
            what = "other"
        key = f"{method} {what} {status}"
        kinds[key] = kinds.get(key, 0) + 1
    print(json.dumps({"requests": total, "by_kind": kinds}, sort_keys=True))


def cmd_tokens(args):
    path, start, end = args[0], int(args[1]), int(args[2])
    repos = [args[i + 1] for i in range(3, len(args) - 1, 2) if args[i] == "--repo"]
    total = 0
    for line in log_slice(path, start, end):
        if "path=/token" not in line:
            continue
        scope = field(line, "scope")
        if any(f"repository:{r}:" in scope for r in repos):
            total += 1
    print(json.dumps({"requests": total}))


COMMANDS = {"copy": cmd_copy, "fill": cmd_fill, "digest": cmd_digest, "delete": cmd_delete,
            "count": cmd_count, "tokens": cmd_tokens}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](sys.argv[2:])
