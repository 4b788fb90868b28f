"""Web push, what the notification settings and the delivery engine share: the push services
that may be contacted (``PUSH_ALLOWED_HOSTS``, https only), and VAPID (RFC 8292): the
application server's key pair and the signed ``Authorization`` header.

The private key is generated on first use into ``INSTANCE_DIR/vapid_private.pem`` (mode 600,
never in the repository); every process of the instance reads the same file. The public key is
the ``applicationServerKey`` the page passes to ``PushManager.subscribe``.

A token is signed once per push-service origin and reused until an hour before it expires (it
lives 12 hours): a campaign to 100,000 people signs a handful of tokens, not 100,000.
"""

from __future__ import annotations

import base64
import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app
from py_vapid import Vapid02

KEY_FILE = "vapid_private.pem"
TOKEN_LIFETIME = 12 * 3600  # seconds: the longest push services accept is 24 hours
RENEW_BEFORE = 3600  # a token is signed again when it has less than this left

_keys: dict[str, Vapid02] = {}
_keys_lock = threading.Lock()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(value: str | bytes) -> bytes:
    raw = value.encode("ascii") if isinstance(value, str) else value
    return base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4))


def key_path(instance_dir: str | os.PathLike[str] | None = None) -> Path:
    directory = instance_dir if instance_dir is not None else current_app.config["INSTANCE_DIR"]
    return Path(directory) / KEY_FILE


def _create_key_file(path: Path) -> None:
    """Write a new key without ever exposing a half-written or world-readable file; when two
    processes race, the first link wins and both read the same key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
    finally:
        tmp.unlink(missing_ok=True)


def vapid_key(instance_dir: str | os.PathLike[str] | None = None) -> Vapid02:
    """The instance's VAPID key (py_vapid), generated on first use."""
    path = key_path(instance_dir)
    cache_key = str(path)
    vapid = _keys.get(cache_key)
    if vapid is not None:
        return vapid
    with _keys_lock:
        vapid = _keys.get(cache_key)
        if vapid is None:
            if not path.exists():
                _create_key_file(path)
            vapid = Vapid02.from_pem(path.read_bytes())
            _keys[cache_key] = vapid
    return vapid


def public_key_bytes(vapid: Vapid02 | None = None) -> bytes:
    vapid = vapid or vapid_key()
    return vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def vapid_public_key() -> str:
    """The ``applicationServerKey``: the uncompressed P-256 point, URL-safe base64, no padding."""
    return b64url(public_key_bytes())


def origin_of(endpoint: str) -> str:
    """``scheme://host[:port]`` of a push endpoint: the VAPID audience and the pool's key."""
    from urllib.parse import urlsplit

    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}".lower()


class VapidSigner:
    """Signed ``Authorization`` headers, one per origin, kept until an hour before expiry.

    Thread-safe; a sender keeps one for the whole fan-out (or the process)."""

    def __init__(self, vapid: Vapid02, subject: str, lifetime: int = TOKEN_LIFETIME) -> None:
        self.vapid = vapid
        self.subject = subject
        self.lifetime = lifetime
        self.signatures = 0  # how many tokens were signed (for tests and benchmarks)
        self._headers: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def authorization(self, origin: str, now: float | None = None) -> str:
        now = time.time() if now is None else now
        cached = self._headers.get(origin)
        if cached is not None and cached[0] - RENEW_BEFORE > now:
            return cached[1]
        with self._lock:
            cached = self._headers.get(origin)
            if cached is not None and cached[0] - RENEW_BEFORE > now:
                return cached[1]
            exp = int(now) + self.lifetime
            header = self.vapid.sign({"aud": origin, "exp": exp, "sub": self.subject})
            self.signatures += 1
            self._headers[origin] = (exp, header["Authorization"])
            return header["Authorization"]


_signers: dict[tuple[str, str], VapidSigner] = {}


def signer() -> VapidSigner:
    """This process's signer for the app's key and subject."""
    path = str(key_path())
    subject = current_app.config["VAPID_SUBJECT"]
    found = _signers.get((path, subject))
    if found is None:
        found = _signers.setdefault((path, subject), VapidSigner(vapid_key(), subject))
    return found


# --- which push services may be contacted -------------------------------------------------


def push_host_allowed(host: str, allowed_hosts: Iterable[str] | None = None) -> bool:
    """Whether a push service's host is allowed: exact host names, or sub-domains of entries
    written with a leading dot (``PUSH_ALLOWED_HOSTS`` unless ``allowed_hosts`` is given)."""
    if allowed_hosts is None:
        allowed_hosts = current_app.config.get("PUSH_ALLOWED_HOSTS", ())
    host = host.lower().rstrip(".")
    for entry in allowed_hosts:
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry.startswith("."):
            if host.endswith(entry) and len(host) > len(entry):
                return True
        elif host == entry:
            return True
    return False


def endpoint_allowed(
    endpoint: str, allowed_hosts: Iterable[str], insecure_hosts: Iterable[str] = ()
) -> bool:
    """Whether ``endpoint`` may be contacted: https on an allowed host (``"host"`` exactly, or
    ``".domain"`` for its sub-domains), default port; or exactly a test-only insecure
    ``host:port``."""
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        return False
    if parts.username or parts.password or not parts.hostname or parts.fragment:
        return False
    netloc = parts.netloc.lower()
    if parts.scheme in ("http", "https") and netloc in {h.lower() for h in insecure_hosts}:
        return True
    if parts.scheme != "https" or port not in (None, 443):
        return False
    return push_host_allowed(parts.hostname, allowed_hosts)
