#!/usr/bin/env python3
"""Fake AWS endpoint for berth's tests: IMDSv2, ECR, SSM, Secrets Manager and S3 on one port.

Plain HTTP on loopback. Every AWS request's SigV4 signature is rebuilt with botocore (Debian's
python3-botocore) from what was received and compared; nothing is trusted on the client's word.

IMDSv2 only (under /latest/):
    PUT /latest/api/token                  header X-aws-ec2-metadata-token-ttl-seconds: 1..21600
                                           -> 200, the token as text, the same header echoed;
                                           missing or out of range -> 400; X-Forwarded-For -> 403
    GET /latest/...                        needs X-aws-ec2-metadata-token (valid, unexpired), else
                                           401: IMDSv1 is refused
    GET /latest/meta-data/iam/security-credentials/         -> the role name (berth-test-role)
    GET /latest/meta-data/iam/security-credentials/ROLE     -> EC2's JSON: Code, LastUpdated, Type,
                                           AccessKeyId (ASIA...), SecretAccessKey, Token,
                                           Expiration (ISO 8601 UTC, Z)
    GET /latest/meta-data/placement/region -> the region (--region, us-east-1)
  Credentials live --credentials-lifetime seconds (3600). As on EC2, new ones are handed out
  before the old ones expire (when less than a quarter of the lifetime, at most 5 minutes, is
  left); the old ones keep working until their Expiration.

AWS JSON 1.1 (POST /, Content-Type: application/x-amz-json-1.1, X-Amz-Target):
    AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken
        -> {"authorizationData":[{"authorizationToken": base64("AWS:" + password),
            "expiresAt": epoch seconds, "proxyEndpoint": "https://" + --ecr-registry}]}
        Each call hands out a new password, valid --ecr-lifetime seconds (12 h). The token
        server of the token-auth registry (token-server.py --ecr-passwords) accepts user AWS
        with it until expiresAt: both share --ecr-passwords, a JSON file mapping the SHA-256 of
        each password to its expiresAt (never the password itself).
    AmazonSSM.GetParameter   {"Name": name, name:version or ARN, "WithDecryption": bool}
        -> {"Parameter": {Name, Type, Value, Version, LastModifiedDate, ARN, DataType}}; a
        SecureString read without WithDecryption gives a ciphertext-like value, never the text.
        Unknown -> 400 ParameterNotFound; unknown version -> 400 ParameterVersionNotFound.
    AmazonSSM.GetParameters  {"Names": [1..10], "WithDecryption": bool}
        -> {"Parameters": [...], "InvalidParameters": [names as asked]}
    secretsmanager.GetSecretValue {"SecretId": name or ARN, "VersionStage"?, "VersionId"?}
        -> {ARN, Name, SecretString (or SecretBinary), VersionId, VersionStages, CreatedDate}
        Unknown -> 400 ResourceNotFoundException.
  ARNs: arn:aws:ssm:REGION:ACCOUNT:parameter/NAME-WITHOUT-LEADING-SLASH and
  arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX (ACCOUNT: --account, 123456789012).
  Errors are {"__type": CODE, "message" or "Message": ...} as botocore's service models spell
  them.

S3, path style: GET or HEAD /BUCKET/KEY (any path that is not /, /latest/... or /_fake/...),
  signed for service s3 with x-amz-content-sha256 -> the object's bytes; XML errors NoSuchKey,
  NoSuchBucket (404).

Authentication of every AWS request (JSON and S3): an Authorization header
  AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request, SignedHeaders=..., Signature=...
  with host and x-amz-date signed, the service the operation belongs to (ecr, ssm,
  secretsmanager, s3), --region, X-Amz-Date within 15 minutes of now. The key is either one
  IMDS handed out (its X-Amz-Security-Token must come with it) or a --static-key ID:SECRET
  (without a token). Refusals of the JSON services, all 403 (the status AWS documents for
  them), and of S3 (XML, 403 unless said):
    no Authorization                    MissingAuthenticationTokenException  AccessDenied
    malformed Authorization             IncompleteSignatureException  AuthorizationHeaderMalformed (400)
    scope: other region, service, date  InvalidSignatureException     AuthorizationHeaderMalformed (400)
    unknown key                         UnrecognizedClientException   InvalidAccessKeyId
    token missing or wrong, or a static UnrecognizedClientException   InvalidToken (400)
      key with a token
    key expired or revoked              ExpiredTokenException         ExpiredToken (400)
    X-Amz-Date 15 minutes off           InvalidSignatureException     RequestTimeTooSkewed
    signature differs                   InvalidSignatureException     SignatureDoesNotMatch
    x-amz-content-sha256 not the body's InvalidSignatureException     XAmzContentSHA256Mismatch (400)
    no x-amz-content-sha256 (S3 only)   -                             InvalidRequest (400)

Test control under /_fake/ (no signature):
    POST /_fake/expire-credentials     IMDS's credentials stop working now; IMDS hands out new ones
    POST /_fake/expire-ecr             every ECR password it handed out stops working now
    GET  /_fake/requests               {"imds_token": n, "imds_role": n, "imds_credentials": n,
                                        "imds_region": n, "ecr_get_authorization_token": n,
                                        "ssm_get_parameter": n, "ssm_get_parameters": n,
                                        "secretsmanager_get_secret_value": n, "s3_get_object": n,
                                        "refused": n}
                                       A request counts under its kind when it was authenticated
                                       (whatever the answer: a ParameterNotFound counts), under
                                       refused when it was turned away for want of an IMDS token
                                       or a valid signature; other requests are not counted.
    POST /_fake/reset                  counts back to zero (the stored data stays)
    PUT  /_fake/ssm/NAME               {"Type": "String"|"StringList"|"SecureString", "Value": ...}
                                       -> {"Name", "ARN", "Version"}; a second PUT adds a version
    PUT  /_fake/secrets/NAME           {"SecretString": ...} or {"SecretBinary": base64}
                                       -> {"Name", "ARN", "VersionId"}; a second PUT adds a version
                                       (AWSCURRENT), the one before becomes AWSPREVIOUS
    PUT  /_fake/s3/BUCKET/KEY          body = the object's bytes
  NAME is the rest of the path, percent-decoded: /_fake/ssm//prod/db names /prod/db (or
  /_fake/ssm/%2Fprod%2Fdb), /_fake/ssm/plain names plain.

One line per request goes to the log file, never with a value, a token, a password or a key:
    time=... method=POST path=/ kind=ssm_get_parameter status=400 error=ParameterNotFound
(path without its query string; error= only on refusals and AWS errors).
"""

import argparse
import base64
import datetime
import email.utils
import hashlib
import hmac
import http.server
import json
import os
import re
import secrets
import sys
import threading
import time
import urllib.parse
import uuid
import xml.sax.saxutils

import botocore
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # python3 -I leaves it out
from fake_aws_state import COUNTED_KINDS, ApiError, AuthError, State  # noqa: E402

MAX_JSON_BODY = 64 * 1024
MAX_FAKE_BODY = 16 * 1024 * 1024
MAX_SKEW = 15 * 60
IMDS_MAX_TTL = 21600
JSON_TYPE = "application/x-amz-json-1.1"

# X-Amz-Target -> (kind, SigV4 service name)
TARGETS = {
    "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken":
        ("ecr_get_authorization_token", "ecr"),
    "AmazonSSM.GetParameter": ("ssm_get_parameter", "ssm"),
    "AmazonSSM.GetParameters": ("ssm_get_parameters", "ssm"),
    "secretsmanager.GetSecretValue": ("secretsmanager_get_secret_value", "secretsmanager"),
}

AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256 +Credential=([^/, ]+)/(\d{8})/([^/, ]+)/([^/, ]+)/aws4_request *, *"
    r"SignedHeaders=([a-z0-9\-;]+) *, *Signature=([0-9a-f]{64})$")


def iso8601(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class ExactHeaders:
    """Mixin: sign exactly the headers put in the request (the ones the client listed in
    SignedHeaders). botocore's own selection drops user-agent and expect, which AWS accepts
    when a client signs them."""

    def headers_to_sign(self, request):
        headers = HTTPHeaders()
        for name, value in request.headers.items():
            headers[name.lower()] = value
        return headers


class ServiceVerifier(ExactHeaders, SigV4Auth):
    pass


class S3Verifier(ExactHeaders, S3SigV4Auth):
    pass


class BodyTooLarge(Exception):
    pass


class FakeAwsServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, args):
        super().__init__(address, FakeAwsHandler)
        self.args = args
        self.state = State(args)
        self.log_lock = threading.Lock()
        self.log_file = open(args.log, "a", buffering=1, encoding="utf-8")

    def handle_error(self, request, client_address):
        print(f"connection from {client_address[0]}:{client_address[1]}: {sys.exc_info()[1]!r}",
              file=sys.stderr, flush=True)

    def log_line(self, line: str):
        with self.log_lock:
            self.log_file.write(line + "\n")


class FakeAwsHandler(http.server.BaseHTTPRequestHandler):
    server_version = "berth-test-fake-aws/1"
    protocol_version = "HTTP/1.1"
    timeout = 30

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass  # one line per request is written by respond()

    # Dispatch ---------------------------------------------------------------------------------

    def do_GET(self):
        self.dispatch()

    def do_HEAD(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_DELETE(self):
        self.dispatch()

    def dispatch(self):
        self.kind = "-"
        self.error = None
        self.url = urllib.parse.urlsplit(self.path)
        path = self.url.path
        try:
            if path.startswith("/_fake/"):
                self.kind = "fake"
                self.fake_control(path)
            elif path == "/latest" or path.startswith("/latest/"):
                self.imds(path)
            elif path == "/":
                self.json_api()
            else:
                self.s3(path)
        except BodyTooLarge:
            self.close_connection = True
            self.respond(413, b"request body too large\n", "text/plain")

    def read_body(self, limit):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            raise BodyTooLarge()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > limit:
            raise BodyTooLarge()
        return self.rfile.read(length) if length else b""

    def respond(self, status, body=b"", content_type="application/json", headers=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        line = (f"time={iso8601(time.time())} method={self.command} path={self.url.path} "
                f"kind={self.kind} status={status}")
        if self.error:
            line += f" error={self.error}"
        self.server.log_line(line)

    def respond_json(self, status, obj, content_type="application/json", headers=None):
        self.respond(status, json.dumps(obj).encode("utf-8"), content_type, headers)

    # IMDS -------------------------------------------------------------------------------------

    def imds(self, path):
        state = self.server.state
        if path == "/latest/api/token":
            self.kind = "imds_token"
            if self.command != "PUT":
                self.respond(405, b"", "text/plain", {"Allow": "PUT"})
                return
            self.read_body(MAX_JSON_BODY)
            if self.headers.get("X-Forwarded-For") is not None:
                self.refuse_imds(403, "Forbidden")
                return
            ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
            if not ttl.isdigit() or not 1 <= int(ttl) <= IMDS_MAX_TTL:
                self.error = "BadTTL"
                state.count("imds_token")
                self.respond(400, b"", "text/plain")
                return
            token = state.new_imds_token(int(ttl))
            state.count("imds_token")
            self.respond(200, token.encode("ascii"), "text/plain",
                         {"X-aws-ec2-metadata-token-ttl-seconds": ttl})
            return
        if self.command not in ("GET", "HEAD"):
            self.respond(405, b"", "text/plain", {"Allow": "GET, HEAD"})
            return
        left = state.imds_token_left(self.headers.get("X-aws-ec2-metadata-token"))
        if left is None:
            self.refuse_imds(401, "Unauthorized")
            return
        ttl_header = {"X-aws-ec2-metadata-token-ttl-seconds": str(left)}
        creds_dir = "/latest/meta-data/iam/security-credentials"
        if path in (creds_dir, creds_dir + "/"):
            self.kind = "imds_role"
            state.count(self.kind)
            self.respond(200, self.server.args.role.encode(), "text/plain", ttl_header)
        elif path.startswith(creds_dir + "/"):
            self.kind = "imds_credentials"
            state.count(self.kind)
            if path[len(creds_dir) + 1:] != self.server.args.role:
                self.respond(404, b"", "text/plain", ttl_header)
                return
            creds = state.role_credentials()
            body = json.dumps({
                "Code": "Success",
                "LastUpdated": iso8601(creds.issued),
                "Type": "AWS-HMAC",
                "AccessKeyId": creds.access_key,
                "SecretAccessKey": creds.secret_key,
                "Token": creds.token,
                "Expiration": iso8601(creds.expiration),
            }, indent=2, separators=(",", " : "))  # EC2's own layout
            self.respond(200, body.encode(), "text/plain", ttl_header)
        elif path == "/latest/meta-data/placement/region":
            self.kind = "imds_region"
            state.count(self.kind)
            self.respond(200, self.server.args.region.encode(), "text/plain", ttl_header)
        else:
            self.kind = "imds_other"
            self.respond(404, b"", "text/plain", ttl_header)

    def refuse_imds(self, status, reason):
        self.kind = "refused"
        self.error = reason
        self.server.state.count("refused")
        self.respond(status, b"", "text/plain")

    # Signatures -------------------------------------------------------------------------------

    def authenticate(self, service, body):
        """Checks the request's SigV4 signature for service; raises AuthError."""
        args = self.server.args
        header = self.headers.get("Authorization")
        if header is None:
            raise AuthError("MissingAuthenticationTokenException", "Missing Authentication Token",
                            "AccessDenied", 403)
        match = AUTH_RE.match(header.strip())
        if not match:
            raise AuthError("IncompleteSignatureException",
                            "Authorization header requires Credential, SignedHeaders and "
                            "Signature of AWS4-HMAC-SHA256",
                            "AuthorizationHeaderMalformed", 400)
        access_key, date, region, signed_service, signed_list, signature = match.groups()
        signed = signed_list.split(";")
        amz_date = self.headers.get("X-Amz-Date", "")
        if ("host" not in signed or "x-amz-date" not in signed or signed != sorted(set(signed))
                or not re.fullmatch(r"\d{8}T\d{6}Z", amz_date)):
            raise AuthError("IncompleteSignatureException",
                            "host and x-amz-date must be signed, SignedHeaders sorted, "
                            "X-Amz-Date as YYYYMMDDTHHMMSSZ",
                            "AuthorizationHeaderMalformed", 400)
        if date != amz_date[:8] or region != args.region or signed_service != service:
            raise AuthError("InvalidSignatureException",
                            f"Credential should be scoped to a valid region ({args.region}), "
                            f"service ({service}) and the date of X-Amz-Date",
                            "AuthorizationHeaderMalformed", 400)
        when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
        if abs(time.time() - when) > MAX_SKEW:
            raise AuthError("InvalidSignatureException", "Signature expired: the request's "
                            "X-Amz-Date is more than 15 minutes from the server's time",
                            "RequestTimeTooSkewed", 403)
        secret = self.server.state.secret_for(access_key,
                                              self.headers.get("X-Amz-Security-Token"))
        content_sha = self.headers.get("X-Amz-Content-SHA256")
        if service == "s3" and content_sha is None:
            raise AuthError("InvalidRequest",
                            "Missing required header for this request: x-amz-content-sha256",
                            s3_status=400)
        if (content_sha is not None and content_sha != hashlib.sha256(body).hexdigest()
                and not (service == "s3" and content_sha == "UNSIGNED-PAYLOAD")):
            raise AuthError("InvalidSignatureException",
                            "The provided 'x-amz-content-sha256' header does not match what was "
                            "computed.", "XAmzContentSHA256Mismatch", 400)
        headers = HTTPHeaders()
        for name in signed:
            values = self.headers.get_all(name)
            if not values:
                raise AuthError("InvalidSignatureException",
                                f"signed header {name} is missing from the request",
                                "SignatureDoesNotMatch", 403)
            for value in values:
                headers[name] = value
        url = f"http://{self.headers.get('Host', '')}{self.path}"
        request = AWSRequest(method=self.command, url=url, headers=headers, data=body)
        request.context["timestamp"] = amz_date
        verifier_class = S3Verifier if service == "s3" else ServiceVerifier
        verifier = verifier_class(Credentials(access_key, secret), service, region)
        canonical = verifier.canonical_request(request)
        expected = verifier.signature(verifier.string_to_sign(request, canonical), request)
        if not hmac.compare_digest(expected, signature):
            raise AuthError("InvalidSignatureException",
                            "The request signature we calculated does not match the signature "
                            "you provided.", "SignatureDoesNotMatch", 403)

    # AWS JSON 1.1 -----------------------------------------------------------------------------

    def json_api(self):
        if self.command != "POST":
            self.respond(404, b"", "text/plain")
            return
        body = self.read_body(MAX_JSON_BODY)
        target = self.headers.get("X-Amz-Target", "")
        if target not in TARGETS:
            self.error = "UnknownOperationException"
            self.respond_json(400, {"__type": "UnknownOperationException"}, JSON_TYPE)
            return
        kind, service = TARGETS[target]
        try:
            self.authenticate(service, body)
        except AuthError as e:
            self.kind = "refused"
            self.error = e.code
            self.server.state.count("refused")
            self.respond_json(403, {"__type": e.code, "message": e.message}, JSON_TYPE,
                              {"x-amzn-RequestId": str(uuid.uuid4())})
            return
        self.kind = kind
        self.server.state.count(kind)
        try:
            if not self.headers.get("Content-Type", "").startswith(JSON_TYPE):
                raise ApiError("SerializationException", f"Content-Type must be {JSON_TYPE}",
                               "Message")
            try:
                params = json.loads(body or b"{}")
            except ValueError:
                raise ApiError("SerializationException", "the body is not JSON", "Message")
            if not isinstance(params, dict):
                raise ApiError("SerializationException", "the body is not a JSON object",
                               "Message")
            result = getattr(self, "op_" + kind)(params)
        except ApiError as e:
            self.error = e.code
            self.respond_json(e.status, {"__type": e.code, e.field: e.message}, JSON_TYPE,
                              {"x-amzn-RequestId": str(uuid.uuid4())})
            return
        self.respond_json(200, result, JSON_TYPE, {"x-amzn-RequestId": str(uuid.uuid4())})

    def op_ecr_get_authorization_token(self, params):
        args = self.server.args
        password = base64.b64encode(secrets.token_bytes(132)).decode("ascii")
        expires_at = round(time.time() + args.ecr_lifetime, 3)
        self.server.state.ecr.add(password, expires_at)
        return {"authorizationData": [{
            "authorizationToken": base64.b64encode(f"AWS:{password}".encode()).decode("ascii"),
            "expiresAt": expires_at,
            "proxyEndpoint": f"https://{args.ecr_registry}",
        }]}

    def op_ssm_get_parameter(self, params):
        name = params.get("Name")
        if not isinstance(name, str) or not name:
            raise ApiError("ValidationException", "1 validation error detected: Value null at "
                           "'name' failed to satisfy constraint: Member must not be null",
                           "message")
        state = self.server.state
        found = state.find_parameter(name)
        return {"Parameter": state.parameter_json(*found, bool(params.get("WithDecryption")))}

    def op_ssm_get_parameters(self, params):
        names = params.get("Names")
        if (not isinstance(names, list) or not 1 <= len(names) <= 10
                or not all(isinstance(n, str) and n for n in names)):
            raise ApiError("ValidationException", "Names must hold 1 to 10 parameter names",
                           "message")
        state = self.server.state
        found, invalid = [], []
        for name in names:
            try:
                found.append(state.parameter_json(*state.find_parameter(name),
                                                  bool(params.get("WithDecryption"))))
            except ApiError:
                invalid.append(name)
        return {"Parameters": found, "InvalidParameters": invalid}

    def op_secretsmanager_get_secret_value(self, params):
        secret_id = params.get("SecretId")
        if not isinstance(secret_id, str) or not secret_id:
            raise ApiError("InvalidParameterException", "SecretId is required", "Message")
        return self.server.state.find_secret(secret_id, params.get("VersionId"),
                                             params.get("VersionStage"))

    # S3 ---------------------------------------------------------------------------------------

    def s3(self, path):
        body = self.read_body(MAX_JSON_BODY)
        self.kind = "s3_get_object" if self.command in ("GET", "HEAD") else "s3_other"
        try:
            self.authenticate("s3", body)
        except AuthError as e:
            self.kind = "refused"
            self.server.state.count("refused")
            self.s3_error(e.s3_status, e.s3_code, e.message)
            return
        self.server.state.count(self.kind)
        bucket, _, key = path[1:].partition("/")
        bucket = urllib.parse.unquote(bucket)
        key = urllib.parse.unquote(key)
        with self.server.state.lock:
            objects = self.server.state.buckets.get(bucket)
            obj = objects.get(key) if objects is not None and key else None
        if self.command not in ("GET", "HEAD"):
            self.s3_error(405, "MethodNotAllowed",
                          "The specified method is not allowed against this resource.")
        elif objects is None:
            self.s3_error(404, "NoSuchBucket", "The specified bucket does not exist",
                          {"BucketName": bucket})
        elif not key:
            self.s3_error(501, "NotImplemented", "Listing a bucket is not faked.")
        elif obj is None:
            self.s3_error(404, "NoSuchKey", "The specified key does not exist.", {"Key": key})
        else:
            data, mtime, content_type = obj
            self.respond(200, data, content_type, {
                "ETag": '"' + hashlib.md5(data).hexdigest() + '"',  # noqa: S324 - S3's ETag
                "Last-Modified": email.utils.formatdate(mtime, usegmt=True),
                "Accept-Ranges": "bytes",
                "x-amz-request-id": uuid.uuid4().hex[:16].upper(),
            })

    def s3_error(self, status, code, message, extra=None):
        self.error = code
        esc = xml.sax.saxutils.escape
        fields = "".join(f"<{k}>{esc(v)}</{k}>" for k, v in (extra or {}).items())
        request_id = uuid.uuid4().hex[:16].upper()
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                f"<Error><Code>{code}</Code><Message>{esc(message)}</Message>{fields}"
                f"<RequestId>{request_id}</RequestId></Error>").encode()
        self.respond(status, b"" if self.command == "HEAD" else body, "application/xml",
                     {"x-amz-request-id": request_id})

    # Test control -----------------------------------------------------------------------------

    def fake_control(self, path):
        state = self.server.state
        body = self.read_body(MAX_FAKE_BODY)
        route = (self.command, path)
        if route == ("POST", "/_fake/expire-credentials"):
            state.expire_credentials()
            self.respond_json(200, {"expired": "credentials"})
        elif route == ("POST", "/_fake/expire-ecr"):
            state.ecr.expire_all()
            self.respond_json(200, {"expired": "ecr"})
        elif route == ("GET", "/_fake/requests"):
            with state.lock:
                counts = dict(state.counts)
            self.respond_json(200, counts)
        elif route == ("POST", "/_fake/reset"):
            with state.lock:
                state.counts = dict.fromkeys(COUNTED_KINDS, 0)
            self.respond_json(200, {"reset": "counts"})
        elif self.command == "PUT" and path.startswith("/_fake/ssm/"):
            self.fake_put_parameter(urllib.parse.unquote(path[len("/_fake/ssm/"):]), body)
        elif self.command == "PUT" and path.startswith("/_fake/secrets/"):
            self.fake_put_secret(urllib.parse.unquote(path[len("/_fake/secrets/"):]), body)
        elif self.command == "PUT" and path.startswith("/_fake/s3/"):
            bucket, _, key = path[len("/_fake/s3/"):].partition("/")
            bucket, key = urllib.parse.unquote(bucket), urllib.parse.unquote(key)
            if not bucket or not key:
                self.respond_json(400, {"error": "PUT /_fake/s3/BUCKET/KEY"})
                return
            content_type = self.headers.get("Content-Type") or "application/octet-stream"
            with state.lock:
                state.buckets.setdefault(bucket, {})[key] = (body, time.time(), content_type)
            self.respond_json(200, {"Bucket": bucket, "Key": key, "Size": len(body)})
        else:
            self.respond_json(404, {"error": f"no such control: {self.command} {path}"})

    def fake_body(self, body):
        try:
            obj = json.loads(body)
        except ValueError:
            obj = None
        return obj if isinstance(obj, dict) else None

    def fake_put_parameter(self, name, body):
        obj = self.fake_body(body)
        kind = (obj or {}).get("Type", "String")
        value = (obj or {}).get("Value")
        if (not name or kind not in ("String", "StringList", "SecureString")
                or not isinstance(value, str)):
            self.respond_json(400, {"error": 'PUT /_fake/ssm/NAME {"Type": "String"|"StringList"|'
                                             '"SecureString", "Value": "..."}'})
            return
        version = self.server.state.put_parameter(name, kind, value)
        self.respond_json(200, {"Name": name, "ARN": self.server.state.ssm_arn(name),
                                "Version": version})

    def fake_put_secret(self, name, body):
        obj = self.fake_body(body) or {}
        if isinstance(obj.get("SecretString"), str):
            field, value = "SecretString", obj["SecretString"]
        elif isinstance(obj.get("SecretBinary"), str):
            field, value = "SecretBinary", obj["SecretBinary"]
        else:
            field = value = None
        if not name or field is None:
            self.respond_json(400, {"error": 'PUT /_fake/secrets/NAME {"SecretString": "..."} '
                                             'or {"SecretBinary": "base64"}'})
            return
        arn, version_id = self.server.state.put_secret(name, field, value)
        self.respond_json(200, {"Name": name, "ARN": arn, "VersionId": version_id})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True, help="0: any free port (printed)")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--account", default="123456789012")
    parser.add_argument("--role", default="berth-test-role")
    parser.add_argument("--credentials-lifetime", type=int, default=3600, help="seconds")
    parser.add_argument("--ecr-lifetime", type=int, default=12 * 3600, help="seconds")
    parser.add_argument("--ecr-registry", default="127.0.0.1:15002",
                        help="host:port of proxyEndpoint")
    parser.add_argument("--ecr-passwords", required=True,
                        help="file shared with the token server (hashes and expiresAt)")
    parser.add_argument("--static-key", action="append", default=[], metavar="ID:SECRET",
                        help="long-term keys accepted besides IMDS's (repeatable)")
    parser.add_argument("--log", required=True)
    args = parser.parse_args()

    server = FakeAwsServer((args.listen, args.port), args)
    host, port = server.server_address[:2]
    print(f"fake AWS listening on http://{host}:{port} (pid {os.getpid()}, "
          f"botocore {botocore.__version__} from {os.path.dirname(botocore.__file__)})",
          file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
