"""What the fake AWS endpoint (fake-aws.py) knows and hands out: IMDS tokens, the role's
credentials, ECR passwords, SSM parameters, Secrets Manager secrets and S3 objects, behind one
lock. No HTTP here; the endpoint's docstring is the protocol."""

import base64
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import string
import threading
import time
import uuid

KEY_ALPHABET = string.ascii_uppercase + string.digits
SUFFIX_ALPHABET = string.ascii_letters + string.digits

COUNTED_KINDS = ("imds_token", "imds_role", "imds_credentials", "imds_region",
                 "ecr_get_authorization_token", "ssm_get_parameter", "ssm_get_parameters",
                 "secretsmanager_get_secret_value", "s3_get_object", "refused")

def random_text(alphabet: str, n: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


class AuthError(Exception):
    """A refused AWS request: the JSON code and the S3 code, with their statuses."""

    def __init__(self, code, message, s3_code=None, s3_status=403):
        super().__init__(message)
        self.code = code
        self.message = message
        self.s3_code = s3_code or code
        self.s3_status = s3_status


class ApiError(Exception):
    """An AWS error answer of an authenticated request (status 400 unless said)."""

    def __init__(self, code, message, field="message", status=400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.status = status


class IssuedCredentials:
    def __init__(self, lifetime: int):
        now = time.time()
        self.access_key = "ASIA" + random_text(KEY_ALPHABET, 16)
        self.secret_key = base64.b64encode(secrets.token_bytes(30)).decode("ascii")
        self.token = base64.b64encode(secrets.token_bytes(600)).decode("ascii")
        self.issued = now
        self.expiration = int(now + lifetime)
        self.revoked = False

    def usable(self, now):
        return not self.revoked and now < self.expiration


class EcrPasswords:
    """The passwords GetAuthorizationToken handed out, shared with the token server through a
    file: {"passwords": {sha256 hex of the password: expiresAt}}. Another instance (a test's own,
    on port 0) may share the file: changes are made under an flock of FILE.lock, and each
    instance expires only the passwords it handed out."""

    def __init__(self, path: str):
        self.path = path
        self.lock = threading.Lock()
        self.mine = set()

    def _update(self, change):
        with self.lock, open(self.path + ".lock", "a") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                with open(self.path, encoding="utf-8") as f:
                    passwords = json.load(f).get("passwords", {})
            except (OSError, ValueError):
                passwords = {}
            now = time.time()
            passwords = {h: e for h, e in passwords.items() if e > now - 86400}
            change(passwords, now)
            tmp = f"{self.path}.{os.getpid()}.tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump({"passwords": passwords}, f)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)

    def add(self, password: str, expires_at: float):
        digest = hashlib.sha256(password.encode()).hexdigest()

        def change(passwords, _now):
            passwords[digest] = expires_at
            self.mine.add(digest)
        self._update(change)

    def expire_all(self):
        def change(passwords, now):
            for digest in self.mine & passwords.keys():
                passwords[digest] = min(passwords[digest], now)
        self._update(change)


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.imds_tokens = {}  # token -> expiry
        self.credentials = {}  # access key -> IssuedCredentials
        self.current = None
        self.static_keys = {}
        for pair in args.static_key:
            key_id, sep, secret = pair.partition(":")
            if not sep or not key_id or not secret:
                raise SystemExit(f"--static-key wants ID:SECRET, got {key_id!r}:...")
            self.static_keys[key_id] = secret
        self.parameters = {}  # name -> [version dicts]
        self.secrets = {}  # name -> {"suffix", "versions": [dicts]}
        self.buckets = {}  # bucket -> {key -> (bytes, mtime, content type)}
        self.counts = dict.fromkeys(COUNTED_KINDS, 0)
        self.ecr = EcrPasswords(args.ecr_passwords)
        self.ciphertext_key = secrets.token_bytes(32)

    def count(self, kind):
        with self.lock:
            if kind in self.counts:
                self.counts[kind] += 1

    # IMDS -------------------------------------------------------------------------------------

    def new_imds_token(self, ttl):
        token = base64.b64encode(secrets.token_bytes(42)).decode("ascii")
        with self.lock:
            now = time.time()
            self.imds_tokens = {t: e for t, e in self.imds_tokens.items() if e > now}
            self.imds_tokens[token] = now + ttl
        return token

    def imds_token_left(self, token):
        """Seconds the token has left, or None when it is not valid."""
        with self.lock:
            expiry = self.imds_tokens.get(token or "")
        if expiry is None or expiry <= time.time():
            return None
        return int(expiry - time.time())

    def role_credentials(self) -> IssuedCredentials:
        lifetime = self.args.credentials_lifetime
        window = min(300, lifetime / 4)
        with self.lock:
            now = time.time()
            cur = self.current
            if cur is None or cur.revoked or now >= cur.expiration - window:
                cur = IssuedCredentials(lifetime)
                self.credentials = {k: c for k, c in self.credentials.items()
                                    if c.expiration > now - 86400}
                self.credentials[cur.access_key] = cur
                self.current = cur
            return cur

    def expire_credentials(self):
        with self.lock:
            for c in self.credentials.values():
                c.revoked = True
            self.current = None

    def secret_for(self, access_key, token):
        """The secret key that signs for access_key, or raises AuthError."""
        with self.lock:
            static = self.static_keys.get(access_key)
            issued = self.credentials.get(access_key)
        if static is not None:
            if token is not None:
                raise AuthError("UnrecognizedClientException",
                                "The security token included in the request is invalid.",
                                "InvalidToken", 400)
            return static
        if issued is None:
            raise AuthError("UnrecognizedClientException",
                            "The security token included in the request is invalid.",
                            "InvalidAccessKeyId", 403)
        if token is None or not hmac.compare_digest(token, issued.token):
            raise AuthError("UnrecognizedClientException",
                            "The security token included in the request is invalid.",
                            "InvalidToken", 400)
        if not issued.usable(time.time()):
            raise AuthError("ExpiredTokenException",
                            "The security token included in the request is expired",
                            "ExpiredToken", 400)
        return issued.secret_key

    # SSM --------------------------------------------------------------------------------------

    def ssm_arn(self, name):
        return (f"arn:aws:ssm:{self.args.region}:{self.args.account}:parameter/"
                f"{name[1:] if name.startswith('/') else name}")

    def put_parameter(self, name, kind, value):
        with self.lock:
            versions = self.parameters.setdefault(name, [])
            versions.append({"Type": kind, "Value": value, "Version": len(versions) + 1,
                             "LastModifiedDate": round(time.time(), 3)})
            return len(versions)

    def find_parameter(self, wanted):
        """(name, version dict) for a name, name:version or ARN; raises ApiError."""
        not_found = ApiError("ParameterNotFound", f"Parameter {wanted} not found.")
        ref = wanted
        prefix = f"arn:aws:ssm:{self.args.region}:{self.args.account}:parameter"
        if ref.startswith("arn:"):
            if not ref.startswith(prefix + "/"):
                raise not_found
            ref = ref[len(prefix):]
        selector = None
        base, sep, tail = ref.rpartition(":")
        if sep and base:
            ref, selector = base, tail
        with self.lock:
            candidates = [ref]
            if wanted.startswith("arn:") and ref.startswith("/"):
                candidates.append(ref[1:])
            name = next((c for c in candidates if c in self.parameters), None)
            if name is None:
                raise not_found
            versions = self.parameters[name]
            if selector is None:
                return name, None, versions[-1]
            if selector.isdigit() and 1 <= int(selector) <= len(versions):
                return name, ":" + selector, versions[int(selector) - 1]
        raise ApiError("ParameterVersionNotFound",
                       f"Systems Manager could not find version {selector} of {name}. "
                       "Verify the version and try again.")

    def parameter_json(self, name, selector, version, decrypt):
        value = version["Value"]
        if version["Type"] == "SecureString" and not decrypt:
            digest = hmac.new(self.ciphertext_key, value.encode(), hashlib.sha256).digest()
            value = base64.b64encode(b"\x01\x02\x02\x00\x78" + digest * 4).decode("ascii")
        out = {"Name": name, "Type": version["Type"], "Value": value,
               "Version": version["Version"], "LastModifiedDate": version["LastModifiedDate"],
               "ARN": self.ssm_arn(name), "DataType": "text"}
        if selector:
            out["Selector"] = selector
        return out

    # Secrets Manager --------------------------------------------------------------------------

    def secret_arn(self, name, suffix):
        return (f"arn:aws:secretsmanager:{self.args.region}:{self.args.account}:secret:"
                f"{name}-{suffix}")

    def put_secret(self, name, field, value):
        with self.lock:
            entry = self.secrets.setdefault(
                name, {"suffix": random_text(SUFFIX_ALPHABET, 6), "versions": []})
            for v in entry["versions"]:
                v["VersionStages"] = [s for s in v["VersionStages"]
                                      if s not in ("AWSCURRENT", "AWSPREVIOUS")]
            if entry["versions"]:
                entry["versions"][-1]["VersionStages"].append("AWSPREVIOUS")
            version = {"VersionId": str(uuid.uuid4()), field: value,
                       "VersionStages": ["AWSCURRENT"], "CreatedDate": round(time.time(), 3)}
            entry["versions"].append(version)
            return self.secret_arn(name, entry["suffix"]), version["VersionId"]

    def find_secret(self, secret_id, version_id, stage):
        prefix = f"arn:aws:secretsmanager:{self.args.region}:{self.args.account}:secret:"
        not_found = ApiError("ResourceNotFoundException",
                             "Secrets Manager can't find the specified secret.", "Message")
        with self.lock:
            if secret_id.startswith("arn:"):
                if not secret_id.startswith(prefix):
                    raise not_found
                rest = secret_id[len(prefix):]
                name = rest if rest in self.secrets else rest[:-7] if len(rest) > 7 else ""
                entry = self.secrets.get(name)
                if entry is None or (rest != name and rest != f"{name}-{entry['suffix']}"):
                    raise not_found
            else:
                name = secret_id
                entry = self.secrets.get(name)
                if entry is None:
                    raise not_found
            for v in reversed(entry["versions"]):
                if version_id is not None and v["VersionId"] != version_id:
                    continue
                if stage is not None and stage not in v["VersionStages"]:
                    continue
                if version_id is None and stage is None and "AWSCURRENT" not in v["VersionStages"]:
                    continue
                out = {"ARN": self.secret_arn(name, entry["suffix"]), "Name": name}
                out.update({k: (list(val) if isinstance(val, list) else val)
                            for k, val in v.items()})
                return out
        what = f"VersionId {version_id}" if version_id is not None else f"staging label {stage}"
        raise ApiError("ResourceNotFoundException",
                       f"Secrets Manager can't find the specified secret value for {what}",
                       "Message")
