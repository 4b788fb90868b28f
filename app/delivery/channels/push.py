"""Web push (RFC 8030) with VAPID (RFC 8292) and aes128gcm message encryption (RFC 8291).

Fan-out is built from pywebpush's, py_vapid's and http_ece's building blocks, not one
``webpush()`` call per recipient (which opens a connection and signs a token every time):

- HTTP/2 (``push_h2``, python-hyper's ``h2``): one connection per push-service origin carrying
  many requests as streams, the origin's header block built once; an origin that does not
  negotiate h2 is sent to over HTTP/1.1 instead, with one aiohttp ``ClientSession`` (a
  keep-alive connection pool) per origin (``PUSH_HTTP2`` off: always);
- the VAPID ``Authorization`` header signed once per origin, reused until an hour before expiry;
- many requests in flight (``PUSH_CONCURRENCY``, default 200) from one event loop;
- each payload encrypted for its subscription (a new ephemeral key per message): RFC 8291's
  aes128gcm written out with ``cryptography``'s primitives and ``hmac.digest``, which is what
  http_ece does minus its generic record loop (a test checks http_ece decrypts it);
- the event loop is uvloop's: the fan-out is bound by per-request loop and parser work.
- ``TTL``, ``Urgency`` (high for civic alerts) and ``Topic`` (the delivery's key: a push service
  replaces a pending message with the same topic, so a retry after a crash is not shown twice).

An endpoint is checked against ``PUSH_ALLOWED_HOSTS`` (https only) right before sending: no
request ever goes to another address. ``PUSH_ALLOW_INSECURE_HOSTS`` (tests and benchmarks only,
never read from the environment) lets a local push service at ``host:port`` speak plain http.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import re
import ssl
import struct
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import uvloop
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import current_app

from app.delivery.channels import (
    FAILED,
    GONE,
    RETRY,
    SENT,
    Item,
    Message,
    Outcome,
    failed,
    gone,
    retry,
    sent,
)
from app.delivery.channels.push_h2 import H2Pool, Header, NotHTTP2, StreamFailed
from app.delivery.links import LINK_ENDPOINTS, links_for, url_template
from app.delivery.links import language as in_language
from app.delivery.tokens import delivery_token
from app.http import parse_retry_after
from app.webpush import VapidSigner, b64url_decode, endpoint_allowed, origin_of, signer

# The push services' limit is 4096 bytes of encrypted body: 86 bytes of header (salt, record
# size, key id), the 16-byte tag and the padding delimiter leave this much for the JSON.
MAX_PAYLOAD = 4096 - 86 - 16 - 1
TOPIC_MAX = 32
REQUEST_TIMEOUT = 20.0  # seconds, per request; well under the delivery lease
ENCRYPT_AHEAD = 64  # requests encrypted in one go by send_all (about 6 ms of CPU)


@dataclass(slots=True)
class PushRequest:
    """One encrypted push to one subscription."""

    endpoint: str
    p256dh: str
    auth: str
    payload: bytes
    topic: str | None = None
    urgency: str = "normal"  # very-low | low | normal | high
    ttl: int = 86400


@dataclass(slots=True)
class PushStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    gone: int = 0
    refused_hosts: int = 0
    status_counts: dict[int, int] = field(default_factory=dict)


_TOPIC_ALPHABET = re.compile(rf"[A-Za-z0-9_-]{{0,{TOPIC_MAX}}}")


def topic_for(key: str) -> str:
    """A ``Topic`` header value: at most 32 characters of the URL-safe base64 alphabet."""
    if _TOPIC_ALPHABET.fullmatch(key):  # a delivery's key already is one (every request)
        return key
    cleaned = "".join(c for c in key if c.isalnum() or c in "-_")
    return cleaned[:TOPIC_MAX]


RECORD_SIZE = 4096
_CURVE = ec.SECP256R1()
_KEY_INFO = b"WebPush: info\x00"
_CEK_INFO = b"Content-Encoding: aes128gcm\x00\x01"
_NONCE_INFO = b"Content-Encoding: nonce\x00\x01"


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.digest(key, data, hashlib.sha256)


def encrypt(payload: bytes, p256dh: str, auth: str) -> bytes:
    """The aes128gcm body (RFC 8291, one record) of ``payload`` for one subscription, with a
    fresh ephemeral key and salt."""
    if len(payload) > RECORD_SIZE - 17:
        raise ValueError("payload too large for one record")
    ua_public = b64url_decode(p256dh)
    auth_secret = b64url_decode(auth)
    if len(auth_secret) != 16:
        raise ValueError("the auth secret is 16 bytes")
    server_key = ec.generate_private_key(_CURVE)
    as_public = server_key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    ecdh_secret = server_key.exchange(ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(_CURVE, ua_public))
    # HKDF with one output block is two HMACs: extract, then expand with the info and 0x01
    ikm = _hmac(_hmac(auth_secret, ecdh_secret), _KEY_INFO + ua_public + as_public + b"\x01")
    salt = os.urandom(16)
    prk = _hmac(salt, ikm)
    cek = _hmac(prk, _CEK_INFO)[:16]
    nonce = _hmac(prk, _NONCE_INFO)[:12]
    header = salt + struct.pack("!IB", RECORD_SIZE, len(as_public)) + as_public
    return header + AESGCM(cek).encrypt(nonce, payload + b"\x02", None)


def new_runner() -> asyncio.Runner:
    """An event loop runner on uvloop (about twice as many requests per CPU second)."""
    return asyncio.Runner(loop_factory=uvloop.new_event_loop)


class PushSender:
    """Sends many pushes concurrently from one event loop; keep one per worker thread.

    ``send(requests)`` is synchronous (it runs the loop), for the Huey worker thread; the
    connection pools and signed headers live as long as the sender (``close()`` at the end)."""

    def __init__(
        self,
        vapid_signer: VapidSigner,
        allowed_hosts: Iterable[str],
        insecure_hosts: Iterable[str] = (),
        concurrency: int = 200,
        timeout: float = REQUEST_TIMEOUT,
        http2: bool = True,
        ca_file: str | None = None,
    ) -> None:
        self.signer = vapid_signer
        self.allowed_hosts = tuple(allowed_hosts)
        self.insecure_hosts = tuple(insecure_hosts)
        self.concurrency = max(1, concurrency)
        self.timeout = aiohttp.ClientTimeout(total=timeout, connect=min(10.0, timeout))
        self.http2 = http2
        self.ca_file = ca_file  # None: the system's trusted roots (tests pass their own CA)
        self.stats = PushStats()
        self._sessions: dict[str, aiohttp.ClientSession] = {}
        self._h2: H2Pool | None = None
        # per (origin, TTL, urgency): (the Authorization it was built with, the headers every
        # such request shares)
        self._h2_headers: dict[tuple[str, int, str], tuple[str, list[Header]]] = {}
        # per (scheme, netloc) of the endpoints seen: its origin if allowed, "" if not
        self._origins: dict[tuple[str, str], str] = {}
        self._runner: asyncio.Runner | None = None
        self._owner = threading.get_ident()

    @classmethod
    def from_config(cls) -> PushSender:
        config = current_app.config
        return cls(
            signer(),
            config["PUSH_ALLOWED_HOSTS"],
            config.get("PUSH_ALLOW_INSECURE_HOSTS", ()),
            int(config.get("PUSH_CONCURRENCY", 200)),
            http2=bool(config.get("PUSH_HTTP2", True)),
        )

    # -- synchronous face, for the worker thread -------------------------------------------

    def send(self, requests: Sequence[PushRequest]) -> list[Outcome]:
        if self._runner is None:
            self._runner = new_runner()
        return self._runner.run(self.send_all(requests))

    def close(self) -> None:
        if self._runner is not None:
            self._runner.run(self.aclose())
            self._runner.close()
            self._runner = None

    def __enter__(self) -> PushSender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the fan-out -------------------------------------------------------------------------

    def _session(self, origin: str) -> aiohttp.ClientSession:
        session = self._sessions.get(origin)
        if session is None or session.closed:
            connector = aiohttp.TCPConnector(
                limit=self.concurrency,
                limit_per_host=self.concurrency,
                keepalive_timeout=60,
                ttl_dns_cache=300,
                ssl=ssl.create_default_context(cafile=self.ca_file) if self.ca_file else True,
            )
            session = aiohttp.ClientSession(
                connector=connector,
                timeout=self.timeout,
                auto_decompress=False,
                skip_auto_headers=("Accept-Encoding",),
                cookie_jar=aiohttp.DummyCookieJar(),  # push services set none; skip the work
                trust_env=False,  # no proxy from the environment: only the endpoint's host
            )
            self._sessions[origin] = session
        return session

    async def aclose(self) -> None:
        if self._h2 is not None:
            await self._h2.aclose()
            self._h2 = None
        sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            await session.close()

    async def send_all(self, requests: Sequence[PushRequest]) -> list[Outcome]:
        """One outcome per request, in order; at most ``concurrency`` requests in flight."""
        outcomes: list[Outcome | None] = [None] * len(requests)
        cursor = iter(range(len(requests)))
        ready: dict[int, tuple[str, bytes] | Outcome] = {}  # encrypted ahead (or early outcomes)

        async def worker() -> None:
            for index in cursor:  # the workers share the cursor: a semaphore without tasks
                prepared = ready.pop(index, None)
                if prepared is None:
                    # the next few, in one go: encryption runs faster in a tight loop than
                    # between network events (its tables stay in the CPU's caches). The
                    # cursor hands out indices in order and nothing awaits here, so these
                    # are exactly the requests no worker has taken yet.
                    for ahead in range(index, min(index + ENCRYPT_AHEAD, len(requests))):
                        ready[ahead] = self._prepare(requests[ahead])
                    prepared = ready.pop(index)
                if isinstance(prepared, Outcome):
                    outcomes[index] = prepared
                else:
                    outcomes[index] = await self._deliver(requests[index], *prepared)

        workers = min(self.concurrency, len(requests))
        if workers:
            await asyncio.gather(*(worker() for _ in range(workers)))
        return [o if o is not None else retry(error="not_sent") for o in outcomes]

    async def send_one(self, request: PushRequest) -> Outcome:
        prepared = self._prepare(request)
        if isinstance(prepared, Outcome):
            return prepared
        return await self._deliver(request, *prepared)

    def _allowed_origin(self, endpoint: str) -> str | None:
        """The endpoint's origin if it may be contacted (``endpoint_allowed``), else None.

        Apart from a fragment (refused whatever the rest), ``endpoint_allowed``'s verdict rests
        on the scheme and the ``netloc`` alone (host, port, user info): it is worked out once
        per pair a sender meets, not for each of the thousands of endpoints of one push service."""
        try:
            parts = urlsplit(endpoint)
        except ValueError:
            return None
        if parts.fragment:
            return None
        key = (parts.scheme, parts.netloc)
        origin = self._origins.get(key)
        if origin is None:
            allowed = endpoint_allowed(endpoint, self.allowed_hosts, self.insecure_hosts)
            origin = origin_of(endpoint) if allowed else ""
            if len(self._origins) < 4096:  # a few push services; refused oddities may be many
                self._origins[key] = origin
        return origin or None

    def _prepare(self, request: PushRequest) -> tuple[str, bytes] | Outcome:
        """(the endpoint's origin, the encrypted body), or why there will be no request: the
        endpoint is not on the allow-list (checked before anything else), the payload is too
        large, a key is bad."""
        origin = self._allowed_origin(request.endpoint)
        if origin is None:
            self.stats.refused_hosts += 1
            return failed("host_not_allowed")
        if len(request.payload) > MAX_PAYLOAD:
            return failed("payload_too_large")
        try:
            return origin, encrypt(request.payload, request.p256dh, request.auth)
        except Exception as exc:  # a malformed key: the subscription cannot be used
            return failed(type(exc).__name__)

    async def _deliver(self, request: PushRequest, origin: str, body: bytes) -> Outcome:
        """One request to an allowed endpoint: HTTP/2 unless its origin only speaks HTTP/1.1."""
        if self.http2:
            pool = self._h2
            if pool is None:
                pool = self._h2 = H2Pool(
                    self.timeout.total or REQUEST_TIMEOUT, ca_file=self.ca_file
                )
            if not pool.is_http1(origin):
                try:
                    status, retry_after = await pool.post(
                        pool.origin(origin), self._h2_header_block(request, origin, len(body)), body
                    )
                except NotHTTP2:
                    pass  # the origin speaks HTTP/1.1 only: from now on through aiohttp
                except (StreamFailed, TimeoutError, OSError) as exc:
                    self.stats.retried += 1
                    return retry(error=type(exc).__name__)
                else:
                    self.stats.status_counts[status] = self.stats.status_counts.get(status, 0) + 1
                    return self._outcome(status, retry_after.decode("latin-1") if retry_after else None)
        return await self._send_http1(request, origin, body)

    def _h2_header_block(self, request: PushRequest, origin: str, length: int) -> list[Header]:
        """The request's headers: those it shares with the origin's other requests of the same
        TTL and urgency (pseudo-headers, VAPID, encoding), built once, plus its path, length and
        topic."""
        authorization = self.signer.authorization(origin)
        key = (origin, request.ttl, request.urgency)
        cached = self._h2_headers.get(key)
        if cached is None or cached[0] != authorization:
            assert self._h2 is not None
            shared = [
                *self._h2.origin(origin).pseudo_headers(),
                (b"authorization", authorization.encode()),
                (b"content-encoding", b"aes128gcm"),
                (b"content-type", b"application/octet-stream"),
                (b"ttl", b"%d" % max(0, int(request.ttl))),
                (b"urgency", request.urgency.encode()),
            ]
            cached = self._h2_headers[key] = (authorization, shared)
        # path, length and topic, new each time, stay out of HPACK's table (push_h2 encodes them
        # as literals never indexed): they would only push out the headers that repeat
        headers = [
            (b":path", (request.endpoint[len(origin) :] or "/").encode()),
            *cached[1],
            (b"content-length", b"%d" % length),
        ]
        if request.topic:
            headers.append((b"topic", topic_for(request.topic).encode()))
        return headers

    async def _send_http1(self, request: PushRequest, origin: str, body: bytes) -> Outcome:
        headers = {
            "Authorization": self.signer.authorization(origin),
            "TTL": str(max(0, int(request.ttl))),
            "Urgency": request.urgency,
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
        }
        if request.topic:
            headers["Topic"] = topic_for(request.topic)
        try:
            async with self._session(origin).post(
                request.endpoint, data=body, headers=headers, allow_redirects=False
            ) as response:
                await response.read()
                status = response.status
                retry_after = response.headers.get("Retry-After")
        except TimeoutError as exc:
            self.stats.retried += 1
            return retry(error=type(exc).__name__)
        except aiohttp.ClientError as exc:
            self.stats.retried += 1
            return retry(error=type(exc).__name__)
        self.stats.status_counts[status] = self.stats.status_counts.get(status, 0) + 1
        return self._outcome(status, retry_after)

    def _outcome(self, status: int, retry_after: str | None) -> Outcome:
        if 200 <= status < 300:
            self.stats.sent += 1
            return sent()
        if status in (404, 410):
            self.stats.gone += 1
            return gone(str(status))
        if status == 429:
            self.stats.retried += 1
            return retry(parse_retry_after(retry_after), "429")
        if status >= 500:
            self.stats.retried += 1
            return retry(parse_retry_after(retry_after), str(status))
        self.stats.failed += 1
        return failed(str(status))  # 400, 403, 413, a redirect...


# -- the channel: deliveries -> payloads -> requests -> one outcome per delivery ----------------


def build_payload(item: Item, labels: dict[str, str]) -> bytes:
    """The JSON the service worker receives for one delivery (``PayloadTemplate`` writes the
    same, faster, for a whole run)."""
    message = item.message
    links = links_for(item)
    data: dict[str, Any] = {
        "title": message.title,
        "body": message.body,
        "url": message.link,
        "icon": message.icon_url,
        "badge": message.badge_url,
        "tag": item.idempotency_key,
        "open_url": links.open,
        "click_url": links.click,
        "mute_url": links.mute,
        "actions_labels": labels,
    }
    if message.is_alert:
        data["alert"] = True
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class PayloadTemplate:
    """``build_payload``'s JSON for one message and language, made once per run: a delivery
    only adds its tag and its token, in its three links. Both are of the URL-safe alphabet
    (``d`` and digits; base64url and ``.``), which JSON writes as is, so the pieces around them
    are the JSON of the URLs' fixed parts (a test checks it is ``build_payload``'s, byte for
    byte, per language, alert or not)."""

    __slots__ = ("_parts",)

    def __init__(self, message: Message, labels: dict[str, str]) -> None:
        head = _json(
            {
                "title": message.title,
                "body": message.body,
                "url": message.link,
                "icon": message.icon_url,
                "badge": message.badge_url,
            }
        )
        (open_prefix, open_suffix), (click_prefix, click_suffix), (mute_prefix, mute_suffix) = (
            url_template(message.base_url, endpoint) for endpoint in LINK_ENDPOINTS
        )
        tail = ',"actions_labels":' + _json(labels) + (',"alert":true' if message.is_alert else "") + "}"
        self._parts = (
            head[:-1] + ',"tag":"',
            '","open_url":' + _json(open_prefix)[:-1],
            _json(open_suffix)[1:] + ',"click_url":' + _json(click_prefix)[:-1],
            _json(click_suffix)[1:] + ',"mute_url":' + _json(mute_prefix)[:-1],
            _json(mute_suffix)[1:] + tail,
        )

    def payload(self, item: Item) -> bytes:
        head, before_open, before_click, before_mute, tail = self._parts
        token = delivery_token(item.delivery_id)
        return "".join(
            (head, item.idempotency_key, before_open, token, before_click, token, before_mute, token, tail)
        ).encode()


def action_labels(language: str) -> dict[str, str]:
    from flask_babel import gettext as _

    with in_language(language):
        return {"open": _("Open"), "mute": _("Mute this actor")}


def combine(outcomes: Sequence[Outcome]) -> Outcome:
    """One delivery's outcome from its subscriptions' (a person may have several devices)."""
    if not outcomes:
        return failed("no_subscription")
    kinds = [o.kind for o in outcomes]
    if SENT in kinds:
        return sent()
    retries = [o for o in outcomes if o.kind == RETRY]
    if retries:
        afters = [o.after for o in retries if o.after is not None]
        return retry(max(afters) if afters else None, retries[0].error)
    if all(kind == GONE for kind in kinds):
        return gone(outcomes[0].error or "410")
    first_failure = next(o for o in outcomes if o.kind in (FAILED, GONE))
    return failed(first_failure.error or "failed")


class PushChannel:
    """Deliveries to push requests and back; remembers the subscriptions that are gone."""

    name = "push"

    def __init__(self, sender: PushSender | None = None) -> None:
        self.sender = sender or PushSender.from_config()
        self.ttl = int(current_app.config.get("PUSH_TTL_SECONDS", 86400))
        self.gone_subscriptions: list[int] = []
        self._labels: dict[str, dict[str, str]] = {}
        # The payload templates of the message being sent, per language.
        self._message: Message | None = None
        self._templates: dict[str, PayloadTemplate] = {}

    def close(self) -> None:
        self.sender.close()

    def _template(self, item: Item) -> PayloadTemplate:
        if item.message is not self._message:
            self._message, self._templates = item.message, {}
        template = self._templates.get(item.language)
        if template is None:
            labels = self._labels.get(item.language)
            if labels is None:
                labels = self._labels[item.language] = action_labels(item.language)
            template = self._templates[item.language] = PayloadTemplate(item.message, labels)
        return template

    def send_batch(self, items: Sequence[Item]) -> list[Outcome]:
        requests: list[PushRequest] = []
        owners: list[tuple[int, int]] = []  # (item index, subscription id)
        early: dict[int, Outcome] = {}
        for index, item in enumerate(items):
            payload = self._template(item).payload(item)
            if len(payload) > MAX_PAYLOAD:
                early[index] = failed("payload_too_large")
                continue
            if not item.subscriptions:
                early[index] = failed("no_subscription")
                continue
            urgency = "high" if item.message.is_alert else "normal"
            topic = topic_for(item.idempotency_key)
            for subscription in item.subscriptions:
                requests.append(
                    PushRequest(
                        endpoint=subscription["endpoint"],
                        p256dh=subscription["p256dh"],
                        auth=subscription["auth"],
                        payload=payload,
                        topic=topic,
                        urgency=urgency,
                        ttl=self.ttl,
                    )
                )
                owners.append((index, subscription["id"]))
        results = self.sender.send(requests) if requests else []
        per_item: dict[int, list[Outcome]] = {}
        for (index, subscription_id), outcome in zip(owners, results, strict=True):
            per_item.setdefault(index, []).append(outcome)
            if outcome.kind == GONE:
                self.gone_subscriptions.append(subscription_id)
        return [early.get(i) or combine(per_item.get(i, [])) for i in range(len(items))]
