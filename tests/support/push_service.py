"""A real local push service for tests, the browser test and the benchmark.

It speaks the push protocol (RFC 8030) on 127.0.0.1 (a free port, in a thread of the test's
process or in a process of its own), over HTTP/2 or HTTP/1.1 on the same port as real push
services do: a connection opening with the HTTP/2 preface (h2c with prior knowledge; or ALPN
``h2`` when the service is given a TLS certificate) is served with python-hyper's ``h2``, any
other by an aiohttp server (keep-alive). ``PushService(http2=False)`` is a plain aiohttp
HTTP/1.1 server, as a push service that knows no HTTP/2. It checks what a real one checks:

- the VAPID ``Authorization: vapid t=<JWT>, k=<key>`` header (RFC 8292): an ES256 signature made
  with the ``k`` public key, ``aud`` = this service's origin, ``exp`` in the future (and at most
  24 hours away), a ``sub``; a bad token is answered 401 and recorded in ``errors``;
- the body: aes128gcm (RFC 8188/8291), decrypted with the subscription's private key and auth
  secret that ``make_subscription()`` created and kept (the sender only ever sees the public
  parts), at most 4096 bytes (else 413);
- ``TTL`` is required (else 400).

Each POST is recorded (endpoint, headers, decrypted payload) and answered with a scriptable
status: 201 by default, per-endpoint sequences (``script(endpoint, [500, 201])``,
``(429, {"Retry-After": "2"})``, 410...), an optional ``delay`` (a simulated round trip).
Faults for the fault test: ``fail_next(n, 500)`` answers the next ``n`` requests to any endpoint
with an error (an outage, a rate limit), ``unsubscribe(endpoints)`` makes subscriptions answer
410 from then on (the browser dropped them); ``status_counts`` counts every answer given.

HTTP/2 knobs and faults: ``max_concurrent_streams`` and ``initial_window`` (the SETTINGS the
service announces), ``drop_next(how)`` (the next HTTP/2 request is answered with a ``GOAWAY``,
a ``RST_STREAM`` or the connection closed instead), ``connections`` (how many connections of
each protocol were opened).

``PushService()`` runs in a thread; ``PushService.spawn()`` runs the same server in another
process (the benchmark: it must not compete with the sender for the GIL) and is driven over
HTTP (``/_stats``, ``/_config``).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import http_ece
from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.errors import ErrorCodes
from h2.events import ConnectionTerminated, DataReceived, RequestReceived, StreamEnded, StreamReset
from h2.exceptions import H2Error
from multidict import CIMultiDict

MAX_BODY = 4096
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"  # how an HTTP/2 connection opens (RFC 9113, 3.4)
STATE: web.AppKey[Any] = web.AppKey("state", object)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


@dataclass
class Received:
    endpoint: str
    headers: CIMultiDict[str]  # names in any case: HTTP/2 sends them lower-case
    status: int
    payload: bytes | None = None  # decrypted (None when not sampled or not decryptable)
    at: float = field(default_factory=time.time)
    protocol: str = "h2"  # or "http/1.1"

    @property
    def json(self) -> Any:
        return json.loads(self.payload) if self.payload is not None else None

    @property
    def topic(self) -> str | None:
        return self.headers.get("Topic")


@dataclass
class SubscriptionKeys:
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes


def new_keys() -> SubscriptionKeys:
    return SubscriptionKeys(ec.generate_private_key(ec.SECP256R1()), os.urandom(16))


def public_raw(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def verify_vapid(authorization: str, origin: str, now: float | None = None) -> str | None:
    """None if the header is a valid VAPID authorisation for ``origin``, else the reason."""
    now = time.time() if now is None else now
    scheme, _, params = authorization.partition(" ")
    if scheme.lower() != "vapid":
        return "scheme"
    parts = {}
    for token in params.split(","):
        name, _, value = token.strip().partition("=")
        parts[name.strip()] = value.strip()
    if "t" not in parts or "k" not in parts:
        return "missing t or k"
    try:
        header_b64, claims_b64, signature_b64 = parts["t"].split(".")
        header = json.loads(b64url_decode(header_b64))
        claims = json.loads(b64url_decode(claims_b64))
        signature = b64url_decode(signature_b64)
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(parts["k"]))
    except (ValueError, TypeError):
        return "malformed"
    if header.get("alg") != "ES256" or len(signature) != 64:
        return "alg"
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        public.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return "signature"
    if claims.get("aud") != origin:
        return "aud"
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp <= now or exp > now + 24 * 3600:
        return "exp"
    if not claims.get("sub"):
        return "sub"
    return None


class _State:
    """Everything the server knows; shared by the handler and the test's thread."""

    def __init__(self, delay: float, sample_every: int, record: bool) -> None:
        self.delay = delay
        self.max_concurrent_streams: int | None = None  # the HTTP/2 SETTINGS announced
        self.initial_window: int | None = None
        self.drops: deque[str | None] = deque()  # the next h2 requests: "goaway" | "reset" | "close" (None: answered)
        self.connections: dict[str, int] = {}  # "h2" / "http/1.1": connections opened
        self.sample_every = max(1, sample_every)  # decrypt one message in N (1: all)
        self.record = record
        self.default_status = 201
        self.keys: dict[str, SubscriptionKeys] = {}
        self.key_pool: list[SubscriptionKeys] = []
        self.scripts: dict[str, deque[tuple[int, dict[str, str]]]] = {}
        self.faults: deque[list[Any]] = deque()  # [remaining, status, headers]: any endpoint
        self.unsubscribed: set[str] = set()  # endpoints answering 410 for good
        self.status_counts: dict[int, int] = {}
        self.received: list[Received] = []
        self.errors: list[str] = []
        self.verified_tokens: set[str] = set()
        self.count = 0
        self.decrypted = 0
        self.decrypt_failures = 0
        self.topics: set[str] = set()
        self.lock = threading.Lock()
        self.origin = ""
        self.expect_title: str | None = None  # sampled payloads must carry this title

    def keys_for(self, path_id: str) -> SubscriptionKeys | None:
        found = self.keys.get(path_id)
        if found is None and path_id.startswith("p") and "-" in path_id:  # pool: p<index>-<n>
            try:
                return self.key_pool[int(path_id[1:].split("-", 1)[0])]
            except (ValueError, IndexError):
                return None
        return found


def _answer(
    state: _State, path: str, headers: CIMultiDict[str], body: bytes, protocol: str
) -> tuple[int, dict[str, str]]:
    """The status and headers to answer one push with (HTTP/1.1 and HTTP/2 alike)."""
    path_id = path.rsplit("/", 1)[-1]
    endpoint = state.origin + path
    with state.lock:
        state.count += 1
        number = state.count
        script = state.scripts.get(endpoint)
        if endpoint in state.unsubscribed:
            status, extra = 410, {}
        elif script:
            status, extra = script.popleft()
        elif state.faults:
            fault = state.faults[0]
            status, extra = fault[1], dict(fault[2])
            fault[0] -= 1
            if fault[0] <= 0:
                state.faults.popleft()
        else:
            status, extra = state.default_status, {}
    authorization = headers.get("Authorization", "")
    error = None
    if authorization not in state.verified_tokens:
        error = verify_vapid(authorization, state.origin)
        if error is None:
            state.verified_tokens.add(authorization)
    if error is not None:
        status, extra = 401, {}
    elif "TTL" not in headers:
        error, status, extra = "ttl", 400, {}
    elif len(body) > MAX_BODY:
        error, status, extra = "size", 413, {}
    elif headers.get("Content-Encoding") != "aes128gcm":
        error, status, extra = "encoding", 400, {}
    payload = None
    keys = state.keys_for(path_id)
    if error is None and (number % state.sample_every == 0 or state.sample_every == 1):
        if keys is None:
            error, status, extra = "unknown subscription", 404, {}
        else:
            try:
                payload = http_ece.decrypt(
                    body, private_key=keys.private_key, auth_secret=keys.auth, version="aes128gcm"
                )
                state.decrypted += 1
                if state.expect_title is not None and json.loads(payload).get("title") != state.expect_title:
                    error, status, extra = "unexpected payload", 400, {}
            except Exception as exc:  # noqa: BLE001 - any failure is a wrong encryption
                state.decrypt_failures += 1
                error, status, extra = f"decrypt: {type(exc).__name__}", 400, {}
    if error is not None:
        state.errors.append(error)
    topic = headers.get("Topic")
    with state.lock:
        state.status_counts[status] = state.status_counts.get(status, 0) + 1
        if topic:
            state.topics.add(topic)
        if state.record:
            state.received.append(Received(endpoint, headers, status, payload, protocol=protocol))
    return status, extra


async def _handle_push(request: web.Request) -> web.Response:
    state: _State = request.app[STATE]
    body = await request.read()
    version = f"http/{request.version.major}.{request.version.minor}"
    status, extra = _answer(state, request.path, CIMultiDict(request.headers), body, version)
    if state.delay:
        await asyncio.sleep(state.delay)
    return web.Response(status=status, headers=extra)


# The sender's headers are checked by _answer where it matters (VAPID, TTL, encoding); h2's
# own validation of every header would only make the benchmark's service slower.
_SERVER_CONFIG = H2Configuration(
    client_side=False,
    header_encoding="utf-8",
    validate_inbound_headers=False,
    validate_outbound_headers=False,
    normalize_outbound_headers=False,
)


class _H2Server(asyncio.Protocol):
    """One HTTP/2 connection, served with ``h2``: every stream is one push."""

    def __init__(self, state: _State) -> None:
        self.state = state
        self.h2 = H2Connection(_SERVER_CONFIG)
        self.requests: dict[int, tuple[CIMultiDict[str], bytearray]] = {}
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        settings = self.h2.local_settings
        if self.state.max_concurrent_streams is not None:
            settings.max_concurrent_streams = self.state.max_concurrent_streams
        if self.state.initial_window is not None:
            settings.initial_window_size = self.state.initial_window
        settings.acknowledge()  # announced with the preface, in force from the start
        self.h2.initiate_connection()
        if self.state.initial_window is None:  # as large push services do: 1 MiB per connection
            self.h2.increment_flow_control_window(2**20 - 65535)
        self._flush()

    def data_received(self, data: bytes) -> None:
        try:
            events = self.h2.receive_data(data)
        except H2Error:
            self._flush()
            self._close()
            return
        for event in events:
            if isinstance(event, RequestReceived):
                self.requests[event.stream_id] = (CIMultiDict(event.headers), bytearray())
            elif isinstance(event, DataReceived):
                found = self.requests.get(event.stream_id)
                if found is not None:
                    found[1].extend(event.data)
                self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, StreamEnded):
                self._request(event.stream_id)
                if self.transport is None or self.transport.is_closing():
                    return  # dropped: what came after it is not read
            elif isinstance(event, StreamReset):
                self.requests.pop(event.stream_id, None)
            elif isinstance(event, ConnectionTerminated):
                self._flush()
                self._close()
                return
        self._flush()

    def _request(self, stream_id: int) -> None:
        headers, body = self.requests.pop(stream_id)
        with self.state.lock:
            drop = self.state.drops.popleft() if self.state.drops else None
        if drop == "goaway":  # shutting down: this stream and the ones after it are not processed
            self.h2.close_connection(ErrorCodes.NO_ERROR, last_stream_id=max(0, stream_id - 2))
            self._flush()
            self._close()
            return
        if drop == "reset":
            self.h2.reset_stream(stream_id, ErrorCodes.REFUSED_STREAM)
            return
        if drop == "close":  # the connection breaks with requests in flight
            self._close()
            return
        status, extra = _answer(self.state, headers.get(":path", "/"), headers, bytes(body), "h2")
        if self.state.delay:
            asyncio.get_running_loop().call_later(self.state.delay, self._respond, stream_id, status, extra)
        else:
            self._respond(stream_id, status, extra)

    def _respond(self, stream_id: int, status: int, extra: dict[str, str]) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        try:
            self.h2.send_headers(
                stream_id,
                [(":status", str(status)), *((k.lower(), v) for k, v in extra.items()), ("content-length", "0")],
                end_stream=True,
            )
        except H2Error:
            return  # the stream was reset meanwhile
        self._flush()

    def _flush(self) -> None:
        data = self.h2.data_to_send()
        if data and self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def _close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


class _Sniffer(asyncio.Protocol):
    """Reads a connection's first bytes (or its ALPN) and hands it to HTTP/2 or to aiohttp."""

    def __init__(self, state: _State, http1: web.Server) -> None:
        self.state = state
        self.http1 = http1
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is not None:
            self._hand_over(ssl_object.selected_alpn_protocol() == "h2")

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) < len(PREFACE) and PREFACE.startswith(self.buffer):
            return  # not enough to tell yet
        self._hand_over(self.buffer.startswith(PREFACE))

    def _hand_over(self, http2: bool) -> None:
        assert self.transport is not None
        name = "h2" if http2 else "http/1.1"
        with self.state.lock:
            self.state.connections[name] = self.state.connections.get(name, 0) + 1
        protocol: asyncio.Protocol = _H2Server(self.state) if http2 else self.http1()
        self.transport.set_protocol(protocol)
        protocol.connection_made(self.transport)
        if self.buffer:
            protocol.data_received(self.buffer)


async def _handle_stats(request: web.Request) -> web.Response:
    state: _State = request.app[STATE]
    return web.json_response(
        {
            "count": state.count,
            "decrypted": state.decrypted,
            "decrypt_failures": state.decrypt_failures,
            "errors": len(state.errors),
            "first_errors": state.errors[:5],
            "topics": len(state.topics),
        }
    )


async def _handle_config(request: web.Request) -> web.Response:
    state: _State = request.app[STATE]
    data = await request.json()
    if "delay" in data:
        state.delay = float(data["delay"])
    if "expect_title" in data:
        state.expect_title = data["expect_title"]
    if "sample_every" in data:
        state.sample_every = max(1, int(data["sample_every"]))
    if data.get("reset"):
        state.count = state.decrypted = state.decrypt_failures = 0
        state.errors.clear()
        state.topics.clear()
        state.received.clear()
    if "key_pool" in data:  # [[private value (hex), auth (b64url)], ...]
        state.key_pool = [
            SubscriptionKeys(ec.derive_private_key(int(value, 16), ec.SECP256R1()), b64url_decode(auth))
            for value, auth in data["key_pool"]
        ]
    return web.json_response({"ok": True})


def _make_app(state: _State) -> web.Application:
    app = web.Application(client_max_size=16 * 1024 * 1024)
    app[STATE] = state
    app.router.add_post("/push/{sub}", _handle_push)
    app.router.add_get("/_stats", _handle_stats)
    app.router.add_post("/_config", _handle_config)
    return app


async def _serve(
    state: _State, host: str, port: int, http2: bool = True, tls: ssl.SSLContext | None = None
) -> tuple[web.AppRunner, int, asyncio.AbstractServer | None]:
    """The runner, the port, and the server that sniffs HTTP/2 (None for HTTP/1.1 only)."""
    runner = web.AppRunner(_make_app(state), access_log=None, keepalive_timeout=75)
    await runner.setup()
    if not http2:
        site = web.TCPSite(runner, host, port, backlog=1024, reuse_address=True, ssl_context=tls)
        await site.start()
        sockets = site._server.sockets  # type: ignore[union-attr]
        return runner, sockets[0].getsockname()[1], None
    http1 = runner.server
    assert http1 is not None
    server = await asyncio.get_running_loop().create_server(
        lambda: _Sniffer(state, http1), host, port, backlog=1024, reuse_address=True, ssl=tls
    )
    return runner, server.sockets[0].getsockname()[1], server


class PushService:
    """The push service in a thread of this process (tests)."""

    _ids = itertools.count(1)

    def __init__(
        self,
        host: str = "127.0.0.1",
        delay: float = 0.0,
        sample_every: int = 1,
        record: bool = True,
        http2: bool = True,
        tls: ssl.SSLContext | None = None,
        max_concurrent_streams: int | None = None,
        initial_window: int | None = None,
    ) -> None:
        self.host = host
        self.state = _State(delay, sample_every, record)
        self.state.max_concurrent_streams = max_concurrent_streams
        self.state.initial_window = initial_window
        self.http2 = http2
        self.tls = tls  # a server context: https, with ALPN "h2" offered when http2
        if tls is not None:
            tls.set_alpn_protocols(["h2", "http/1.1"] if http2 else ["http/1.1"])
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    # -- life ---------------------------------------------------------------------------------

    def start(self) -> PushService:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            self._runner, self.port, h2_server = loop.run_until_complete(
                _serve(self.state, self.host, 0, self.http2, self.tls)
            )
            self.state.origin = self.origin
            ready.set()
            loop.run_forever()
            if h2_server is not None:
                h2_server.close()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=run, name="push-service", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the push service did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop = None

    def __enter__(self) -> PushService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what tests use -----------------------------------------------------------------------

    @property
    def origin(self) -> str:
        return f"{'https' if self.tls is not None else 'http'}://{self.host}:{self.port}"

    @property
    def netloc(self) -> str:
        """What to put in ``PUSH_ALLOW_INSECURE_HOSTS``."""
        return f"{self.host}:{self.port}"

    @property
    def delay(self) -> float:
        return self.state.delay

    @delay.setter
    def delay(self, value: float) -> None:
        self.state.delay = value

    @property
    def received(self) -> list[Received]:
        with self.state.lock:
            return list(self.state.received)

    @property
    def errors(self) -> list[str]:
        return list(self.state.errors)

    def make_subscription(self) -> dict[str, Any]:
        """A browser's PushSubscription JSON with real P-256 keys; the service keeps the
        private key and auth secret to decrypt what it receives."""
        keys = new_keys()
        path_id = f"s{next(self._ids)}-{b64url(os.urandom(6))}"
        self.state.keys[path_id] = keys
        return {
            "endpoint": f"{self.origin}/push/{path_id}",
            "keys": {"p256dh": b64url(public_raw(keys.private_key)), "auth": b64url(keys.auth)},
        }

    def script(self, endpoint: str, responses: list[int | tuple[int, dict[str, str]]]) -> None:
        """The next answers to ``endpoint``, in order (then the default status)."""
        queue = self.state.scripts.setdefault(endpoint, deque())
        for response in responses:
            queue.append(response if isinstance(response, tuple) else (response, {}))

    def set_default_status(self, status: int) -> None:
        self.state.default_status = status

    def fail_next(self, count: int, status: int, headers: dict[str, str] | None = None) -> None:
        """Answer the next ``count`` requests (to any endpoint without a script of its own)
        with ``status``: an outage (500), a rate limit (429 with ``Retry-After``)..."""
        with self.state.lock:
            self.state.faults.append([count, status, dict(headers or {})])

    @property
    def faults_pending(self) -> int:
        """How many answers of ``fail_next`` are still to be given."""
        with self.state.lock:
            return sum(fault[0] for fault in self.state.faults)

    def drop_next(self, how: str, count: int = 1, after: int = 0) -> None:
        """After ``after`` HTTP/2 requests answered as usual, the next ``count`` are not:
        ``"goaway"`` (the server shuts the connection down, those requests unprocessed),
        ``"reset"`` (``RST_STREAM`` REFUSED_STREAM) or ``"close"`` (the connection breaks with
        requests in flight)."""
        with self.state.lock:
            self.state.drops.extend([None] * after + [how] * count)

    @property
    def connections(self) -> dict[str, int]:
        """Connections opened so far, by protocol (``"h2"``, ``"http/1.1"``)."""
        with self.state.lock:
            return dict(self.state.connections)

    def unsubscribe(self, endpoints: list[str]) -> None:
        """These subscriptions answer 410 Gone from now on, as after a browser dropped them."""
        with self.state.lock:
            self.state.unsubscribed.update(endpoints)

    @property
    def status_counts(self) -> dict[int, int]:
        """How many requests got each status so far."""
        with self.state.lock:
            return dict(self.state.status_counts)

    def delivered_for(self, endpoint: str) -> list[Received]:
        """What ``endpoint`` received and accepted (2xx): the messages its browser got."""
        return [r for r in self.received_for(endpoint) if 200 <= r.status < 300]

    def received_for(self, endpoint: str) -> list[Received]:
        return [r for r in self.received if r.endpoint == endpoint]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.state.received) >= count:
                break
            time.sleep(0.01)
        return self.received

    def clear(self) -> None:
        with self.state.lock:
            self.state.received.clear()
            self.state.errors.clear()
            self.state.count = 0


# -- the same server in a process of its own (benchmark) -------------------------------------


def _process_main(host: str, delay: float, sample_every: int) -> None:
    state = _State(delay, sample_every, record=False)

    async def main() -> None:
        runner, port, _server = await _serve(state, host, 0)
        state.origin = f"http://{host}:{port}"
        print(port, flush=True)
        await asyncio.Event().wait()  # until terminated

    asyncio.run(main())


class SpawnedPushService:
    """The push service in another process (``python -m tests.support.push_service``), driven
    over HTTP."""

    def __init__(
        self, host: str = "127.0.0.1", delay: float = 0.0, sample_every: int = 100, nice: int = 0
    ) -> None:
        """``nice``: the process's niceness (a benchmark on one machine gives the cores to the
        app first: the push services it stands for run on machines of their own)."""
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        self.host = host
        self.process = subprocess.Popen(
            [*(["nice", "-n", str(nice)] if nice else []),
             sys.executable, "-m", "tests.support.push_service", host, str(delay), str(sample_every)],
            cwd=root,
            stdout=subprocess.PIPE,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.strip():
            self.process.kill()
            raise RuntimeError("the push service did not start")
        self.port = int(line)

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def netloc(self) -> str:
        return f"{self.host}:{self.port}"

    def _post(self, path: str, data: dict[str, Any]) -> Any:
        request = urllib.request.Request(
            self.origin + path, data=json.dumps(data).encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def configure(self, **data: Any) -> None:
        self._post("/_config", data)

    def set_key_pool(self, pool: list[SubscriptionKeys]) -> None:
        self.configure(
            key_pool=[[format(k.private_key.private_numbers().private_value, "x"), b64url(k.auth)] for k in pool]
        )

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.origin + "/_stats", timeout=30) as response:
            return json.loads(response.read())

    def cpu_seconds(self) -> float:
        """CPU time the service's process used so far (user + system)."""
        with open(f"/proc/{self.process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def pool_subscription(origin: str, pool: list[SubscriptionKeys], index: int) -> dict[str, Any]:
    """Subscription ``index`` using key ``index % len(pool)`` of a shared pool (benchmark)."""
    slot = index % len(pool)
    keys = pool[slot]
    return {
        "endpoint": f"{origin}/push/p{slot}-{index}",
        "keys": {"p256dh": b64url(public_raw(keys.private_key)), "auth": b64url(keys.auth)},
    }


__all__ = ["PushService", "Received", "SpawnedPushService", "pool_subscription", "verify_vapid"]


if __name__ == "__main__":
    _process_main(sys.argv[1], float(sys.argv[2]), int(sys.argv[3]))
