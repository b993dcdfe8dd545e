#!/usr/bin/env python3
"""Token server for berth's test registry with token auth.

Issues Docker-Hub-style bearer tokens (RS256 JWTs carrying an x5c header) so that
the real Bearer flow runs against the real registry. Standard library only; the
RS256 signature is made by the `openssl` command-line tool.

    GET  /token?service=S&scope=repository:NAME:pull,push[&scope=...]
    POST /token   (OAuth2 form: grant_type=password, username, password, service, scope)

Grants:
    anonymous                    pull on repositories under public/
    user berth + password        pull and push on every repository, registry:catalog:*
    user short + same password   the same, but tokens live 3 seconds (refresh tests); the
                                 registry (distribution 2.8) accepts a token until 60 s past
                                 its exp claim, so these tokens carry exp = now + 3 - 60 and
                                 the registry really refuses them after 3 seconds
    user AWS + an ECR password   the grants of berth, while the password is valid: the fake
                                 AWS endpoint (fake-aws.py) hands the passwords out with
                                 GetAuthorizationToken and lists the SHA-256 of each with its
                                 expiresAt in the file given as --ecr-passwords, read on every
                                 request (an expired or unknown one: 401)
    a wrong password             401

One line per request goes to the log file:
    time=... method=GET path=/token user=berth status=200 scope="repository:private/web:pull,push" granted="repository:private/web:pull,push"
(user=- for anonymous; path without the query string; tests count lines with path=/token).
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import http.server
import json
import os
import secrets
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse

DEFAULT_LIFETIME = 300
SHORT_LIFETIME = 3
REGISTRY_EXP_LEEWAY = 60  # seconds the registry still accepts a token past its exp
MAX_BODY = 64 * 1024


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def rfc3339(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_scope(scope: str):
    """'repository:NAME:pull,push' -> ('repository', 'NAME', ['pull', 'push'])."""
    first = scope.find(":")
    last = scope.rfind(":")
    if first <= 0 or last <= first + 1:
        return None
    actions = [a for a in scope[last + 1:].split(",") if a]
    return scope[:first], scope[first + 1:last], actions


class Signer:
    def __init__(self, key_path: str, cert_path: str):
        self.key_path = key_path
        der = ssl.PEM_cert_to_DER_cert(open(cert_path, encoding="ascii").read())
        self.x5c = [base64.b64encode(der).decode("ascii")]

    def sign(self, claims: dict) -> str:
        header = {"typ": "JWT", "alg": "RS256", "x5c": self.x5c}
        signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode())
                         + "."
                         + b64url(json.dumps(claims, separators=(",", ":")).encode()))
        signature = subprocess.run(
            ["openssl", "dgst", "-sha256", "-sign", self.key_path],
            input=signing_input.encode("ascii"), capture_output=True, check=True, timeout=10,
        ).stdout
        return signing_input + "." + b64url(signature)


class TokenServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, args):
        super().__init__(address, TokenHandler)
        self.args = args
        self.password = open(args.password_file, encoding="utf-8").read().strip()
        self.signer = Signer(args.signing_key, args.signing_cert)
        self.log_lock = threading.Lock()
        self.log_file = open(args.log, "a", buffering=1, encoding="utf-8")

    def handle_error(self, request, client_address):
        # A client that drops the connection or never finishes the TLS handshake: one line.
        print(f"connection from {client_address[0]}:{client_address[1]}: {sys.exc_info()[1]!r}",
              file=sys.stderr, flush=True)

    def log_line(self, line: str):
        with self.log_lock:
            self.log_file.write(line + "\n")


class TokenHandler(http.server.BaseHTTPRequestHandler):
    server_version = "berth-test-token-server/1"
    protocol_version = "HTTP/1.1"
    timeout = 30

    def setup(self):
        super().setup()  # applies the timeout to the connection
        self.connection.do_handshake()  # in this request's thread, never in accept()

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass  # one structured line per request is written by finish_request_log

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/healthz":
            self.reply(200, {"status": "ok"}, user="-", scopes=[], granted=[])
            return
        if url.path != "/token":
            self.reply(404, {"errors": [{"code": "NOT_FOUND", "message": "no such path"}]},
                       user="-", scopes=[], granted=[])
            return
        params = urllib.parse.parse_qs(url.query)
        user, password = self.basic_credentials()
        self.issue(params, user, password)

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if url.path != "/token" or length > MAX_BODY:
            self.reply(404 if url.path != "/token" else 413, {"error": "unsupported"},
                       user="-", scopes=[], granted=[])
            return
        form = urllib.parse.parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
        if form.get("grant_type", [""])[0] != "password":
            self.reply(400, {"error": "unsupported_grant_type"}, user="-", scopes=[], granted=[])
            return
        user = form.get("username", [None])[0]
        password = form.get("password", [None])[0]
        self.issue(form, user, password)

    def basic_credentials(self):
        header = self.headers.get("Authorization", "")
        if not header.lower().startswith("basic "):
            return None, None
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return "", ""
        user, _, password = decoded.partition(":")
        return user, password

    def authenticated(self, user, password) -> bool:
        if user in ("berth", "short"):
            return hmac.compare_digest(password or "", self.server.password)
        if user == "AWS" and password and self.server.args.ecr_passwords:
            try:
                with open(self.server.args.ecr_passwords, encoding="utf-8") as f:
                    passwords = json.load(f).get("passwords", {})
            except (OSError, ValueError):
                return False
            expires_at = passwords.get(hashlib.sha256(password.encode()).hexdigest())
            return isinstance(expires_at, (int, float)) and time.time() < expires_at
        return False

    def issue(self, params, user, password):
        scopes = [s for value in params.get("scope", []) for s in value.split(" ") if s]
        if user is not None and not self.authenticated(user, password):
            self.reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]},
                       user=user or "?", scopes=scopes, granted=[],
                       extra_headers={"WWW-Authenticate": 'Basic realm="berth-test"'})
            return
        service = params.get("service", [self.server.args.service])[0]
        access = []
        for scope in scopes:
            parsed = parse_scope(scope)
            if parsed is None:
                self.reply(400, {"errors": [{"code": "INVALID_SCOPE", "message": scope}]},
                           user=user or "-", scopes=scopes, granted=[])
                return
            kind, name, actions = parsed
            if user is None:
                allowed = {"pull"} if kind == "repository" and name.startswith("public/") else set()
            elif kind == "repository":
                allowed = {"pull", "push"}
            elif kind == "registry" and name == "catalog":
                allowed = {"*"}
            else:
                allowed = set()
            granted = [a for a in actions if a in allowed]
            access.append({"type": kind, "name": name, "actions": granted})
        lifetime = SHORT_LIFETIME if user == "short" else DEFAULT_LIFETIME
        now = int(time.time())
        exp = now + lifetime - (REGISTRY_EXP_LEEWAY if user == "short" else 0)
        claims = {
            "iss": self.server.args.issuer,
            "sub": user or "",
            "aud": service,
            "exp": exp,
            "nbf": now - 1,
            "iat": now,
            "jti": secrets.token_hex(16),
            "access": access,
        }
        token = self.server.signer.sign(claims)
        body = {"token": token, "access_token": token, "expires_in": lifetime,
                "issued_at": rfc3339(now)}
        granted = [f"{a['type']}:{a['name']}:{','.join(a['actions'])}" for a in access]
        self.reply(200, body, user=user or "-", scopes=scopes, granted=granted)

    def reply(self, status, body, user, scopes, granted, extra_headers=None):
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        path = urllib.parse.urlsplit(self.path).path
        self.server.log_line(
            f"time={rfc3339(time.time())} method={self.command} path={path} user={user} "
            f"status={status} scope=\"{' '.join(scopes)}\" granted=\"{' '.join(granted)}\"")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True, help="TLS certificate (PEM)")
    parser.add_argument("--key", required=True, help="TLS key (PEM)")
    parser.add_argument("--signing-key", required=True, help="RSA key that signs tokens (PEM)")
    parser.add_argument("--signing-cert", required=True, help="its certificate, sent as x5c")
    parser.add_argument("--password-file", required=True)
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--service", required=True, help="default service (audience)")
    parser.add_argument("--ecr-passwords", help="ECR passwords of the fake AWS endpoint (JSON)")
    parser.add_argument("--log", required=True)
    args = parser.parse_args()

    server = TokenServer((args.listen, args.port), args)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    server.socket = context.wrap_socket(server.socket, server_side=True,
                                        do_handshake_on_connect=False)
    print(f"token server listening on https://{args.listen}:{args.port}/token (pid {os.getpid()})",
          file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
