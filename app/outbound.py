"""Contacting an address someone typed (a calendar or news feed to import, a town's webhook
endpoint): the same care as a push service, for hosts nobody vetted.

- Only ``http``/``https`` on ports 80 and 443.
- The host name is resolved once and every address it gives must be public (no loopback,
  private, link-local, multicast, reserved or unique-local address: the cloud's metadata service,
  the database, the admin interfaces next door); the connection goes to the address checked, so a
  second resolution cannot swap in another one (DNS rebinding). TLS still checks the name.
- Redirects are not followed blindly: each new address is checked again, at most ``MAX_REDIRECTS``.
- A time limit on the whole exchange and a size limit on the answer, read in pieces.

Tests and development point it at local servers by listing ``host:port`` pairs in the
``OUTBOUND_ALLOWED_PRIVATE`` setting (empty in production).
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import urllib3

ALLOWED_PORTS = (80, 443)
MAX_REDIRECTS = 3
DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
USER_AGENT = "Territory/1.0 (+https://territory.example)"

Resolver = Callable[[str, int], list[str]]


class OutboundRefused(Exception):
    """The address may not be contacted; ``str()`` says why, for the person who gave it."""


class OutboundFailed(Exception):
    """The exchange failed (unreachable, too slow, too large, not HTTP); ``str()`` says how."""


@dataclass
class OutboundResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str  # the last address, after redirects
    redirects: list[str] = field(default_factory=list)

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


def _system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise OutboundFailed(f"the name {host} could not be resolved") from error
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local or ip.is_loopback
                                 or ip.is_private or ip.is_unspecified)


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the IP address checked, the one connected to


def check(url: str, *, allowed_private: Iterable[str] = (), resolver: Resolver | None = None) -> Target:
    """The address to connect to for ``url``, or OutboundRefused saying why not."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        raise OutboundRefused("only http and https addresses can be used")
    if not parts.hostname:
        raise OutboundRefused("the address has no host name")
    if parts.username or parts.password:
        raise OutboundRefused("the address may not hold a user name or password")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise OutboundRefused("the address's port is not a number") from error
    host = parts.hostname.lower().rstrip(".")
    exempt = f"{host}:{port}" in set(allowed_private)
    if port not in ALLOWED_PORTS and not exempt:
        raise OutboundRefused("only the ports 80 and 443 can be used")
    addresses = (resolver or _system_resolver)(host, port)
    if not addresses:
        raise OutboundFailed(f"the name {host} has no address")
    if not exempt:
        for address in addresses:
            if not _public(address):
                raise OutboundRefused("this address leads to a private or internal network")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, host, port, path, addresses[0])


def _pool(target: Target, timeout: float) -> urllib3.HTTPConnectionPool:
    timeouts = urllib3.Timeout(connect=min(timeout, 5.0), read=timeout)
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            target.address, target.port, timeout=timeouts, retries=False, maxsize=1,
            server_hostname=target.host, assert_hostname=target.host,
            ssl_context=ssl.create_default_context(),
        )
    return urllib3.HTTPConnectionPool(target.address, target.port, timeout=timeouts, retries=False, maxsize=1)


def request(method: str, url: str, *, headers: Mapping[str, str] | None = None, body: bytes | None = None,
            timeout: float = DEFAULT_TIMEOUT_S, max_bytes: int = DEFAULT_MAX_BYTES,
            follow_redirects: bool = True, allowed_private: Iterable[str] = (),
            resolver: Resolver | None = None) -> OutboundResponse:
    """Send one request under the rules above; the answer whatever its status (3xx followed
    for GET and HEAD when ``follow_redirects``, each hop checked again)."""
    allowed_private = tuple(allowed_private)
    deadline = time.monotonic() + timeout
    redirects: list[str] = []
    while True:
        target = check(url, allowed_private=allowed_private, resolver=resolver)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise OutboundFailed("no answer in time")
        sent = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity", **(headers or {})}
        default_port = 443 if target.scheme == "https" else 80
        sent["Host"] = target.host if target.port == default_port else f"{target.host}:{target.port}"
        pool = _pool(target, remaining)
        try:
            response = pool.urlopen(method, target.path, body=body, headers=sent, redirect=False,
                                    preload_content=False, retries=False, assert_same_host=False)
            answer_headers = {name.lower(): value for name, value in response.headers.items()}
            if follow_redirects and method in ("GET", "HEAD") and response.status in (301, 302, 303, 307, 308):
                response.drain_conn()
                response.release_conn()
                location = answer_headers.get("location", "")
                if not location or len(redirects) >= MAX_REDIRECTS:
                    raise OutboundFailed("too many redirections" if location else "a redirection without address")
                url = urljoin(url, location)
                redirects.append(url)
                continue
            declared = answer_headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise OutboundFailed(f"the answer is larger than {max_bytes // 1024} KiB")
            pieces: list[bytes] = []
            size = 0
            for piece in response.stream(64 * 1024):
                size += len(piece)
                if size > max_bytes:
                    raise OutboundFailed(f"the answer is larger than {max_bytes // 1024} KiB")
                if time.monotonic() > deadline:
                    raise OutboundFailed("no answer in time")
                pieces.append(piece)
            response.release_conn()
            return OutboundResponse(response.status, answer_headers, b"".join(pieces), url, redirects)
        except (urllib3.exceptions.HTTPError, OSError, ssl.SSLError) as error:
            raise OutboundFailed(_describe(error)) from error
        finally:
            pool.close()


def _describe(error: Exception) -> str:
    if isinstance(error, urllib3.exceptions.NewConnectionError | ConnectionRefusedError):
        return "the server could not be reached"
    if isinstance(error, urllib3.exceptions.TimeoutError):
        return "no answer in time"
    if isinstance(error, urllib3.exceptions.SSLError | ssl.SSLError):
        return "the secure connection failed"
    return "the server could not be reached"
