"""HTTP/2 to push services: one connection per origin, many requests on it as streams.

The protocol is python-hyper's ``h2`` (sans-IO: frames, HPACK, stream states, flow control);
this module only moves its bytes, from an ``asyncio.Protocol`` (no streams layer), and turns
its events into one answer per request:

- one connection per push-service origin, opened on first use; another one only when every
  open one has as many streams as the server's ``SETTINGS_MAX_CONCURRENT_STREAMS`` allows
  (at most ``max_connections`` per origin; past that a request waits for a stream to end);
- the server's flow-control windows are respected: a body waits for ``WINDOW_UPDATE`` when
  the window is shut;
- https: TLS verified by ``ssl.create_default_context()``, ALPN ``h2``; a server that picks
  anything else raises ``NotHTTP2`` and the caller keeps to HTTP/1.1 for that origin;
- plain http (only the local push services of tests and benchmarks): h2c with prior
  knowledge; a server answering in HTTP/1.x raises ``NotHTTP2`` in the same way;
- a ``GOAWAY``, a ``RST_STREAM``, a lost connection, a request past its timeout: the streams
  concerned raise ``StreamFailed`` (the caller retries; the ``Topic`` header makes a push
  service replace rather than repeat a message it had already taken);
- frames of many requests go out in one write per turn of the event loop.

Nothing here checks addresses: the caller has checked the endpoint against the allow-list.
Redirects are never followed (a 3xx is an answer like any other).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections import deque
from collections.abc import Sequence
from urllib.parse import urlsplit

from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.errors import ErrorCodes
from h2.events import (
    ConnectionTerminated,
    DataReceived,
    RemoteSettingsChanged,
    ResponseReceived,
    StreamEnded,
    StreamReset,
    WindowUpdated,
)
from h2.exceptions import FlowControlError, FrameTooLargeError, H2Error, NoAvailableStreamIDError
from hpack import Encoder, NeverIndexedHeaderTuple
from hpack.hpack import encode_integer
from hpack.table import HeaderTable

Header = tuple[bytes, bytes]
Answer = tuple[int, bytes | None]  # (status, Retry-After)

# hpack logs every header block it encodes or decodes at DEBUG: push endpoints (personal data)
# and VAPID tokens. Logs are for operators and carry neither, whatever the root level.
logging.getLogger("hpack").setLevel(logging.WARNING)

# Outbound headers are ours and already lower-case; of the server's, two values are read
# (``:status``, checked to be a number, and ``retry-after``, parsed defensively) and the rest
# ignored, so h2's validation of inbound headers is skipped as well.
# ``normalize_outbound_headers`` off also lets HPACK index the VAPID Authorization header (the
# same for an hour): it is sent once per connection, then as an index.
_CLIENT_CONFIG = H2Configuration(
    client_side=True,
    header_encoding=None,
    validate_outbound_headers=False,
    normalize_outbound_headers=False,
    validate_inbound_headers=False,
    normalize_inbound_headers=False,
)
_SWEEP_EVERY = 0.5  # seconds between two looks for requests past their deadline


class _CountedTable(HeaderTable):
    """hpack's header table, counting its changes: an entry added (indices move up by one) or
    the size changed (entries evicted)."""

    changes = 0

    def add(self, name: bytes, value: bytes) -> None:
        self.changes += 1
        super().add(name, value)

    @HeaderTable.maxsize.setter  # type: ignore[attr-defined, untyped-decorator]
    def maxsize(self, newmax: int) -> None:
        self.changes += 1
        HeaderTable.maxsize.fset(self, newmax)  # type: ignore[attr-defined]


# Request headers whose values are new on every request: never indexed (see _HeaderEncoder).
_NEW_EACH_TIME = frozenset((b":path", b"content-length", b"topic"))
_SHORT_LENGTHS = [bytes((n,)) for n in range(127)]  # a string length under 127: one byte, H=0


def _literal_length(value: bytes) -> bytes:
    size = len(value)
    return _SHORT_LENGTHS[size] if size < 127 else bytes(encode_integer(size, 7))


class _HeaderEncoder(Encoder):
    """hpack's encoder, with shortcuts for a push request's header block (the same few headers
    on every stream, plus three new values):

    - no Huffman coding of literals: what repeats is sent as an index into the connection's
      table anyway; what is left (path, topic) is short and new each time: Huffman would save
      about ten bytes a request for about as much CPU as the rest of the block's encoding;
    - a header that repeats (pseudo-headers, VAPID ``Authorization``, encoding, TTL, urgency)
      is, from its second request on, an index into the table: its one or two bytes are kept
      and reused while the table is unchanged, instead of searched for again per request;
    - a header of ``_NEW_EACH_TIME`` (path, length, topic), or any ``NeverIndexedHeaderTuple``,
      is a literal never indexed (RFC 7541, 6.2.3) with the name's static-table index (or the
      name as a literal): its prefix is built once per name; it leaves the table as it is
      (such values would only push out the ones that repeat, and the path is personal data).
    Anything else (a first request, a table change) goes through hpack's own ``add``."""

    def __init__(self) -> None:
        super().__init__()
        self.header_table = _CountedTable()
        self._indexed: dict[tuple[bytes, bytes], bytes] = {}
        self._indexed_at = 0  # the table's changes when ``_indexed`` was valid
        self._never_prefixes: dict[bytes, bytes] = {}

    def _never_indexed_prefix(self, name: bytes) -> bytes:
        prefix = self._never_prefixes.get(name)
        if prefix is None:
            static = HeaderTable.STATIC_TABLE_MAPPING.get(name)
            if static is not None:
                field = encode_integer(static[0], 4)
                field[0] |= 0x10
                prefix = bytes(field)
            else:
                prefix = b"\x10" + _literal_length(name) + name
            self._never_prefixes[name] = prefix
        return prefix

    def encode(self, headers, huffman: bool = True):  # type: ignore[no-untyped-def]  # noqa: ARG002
        table = self.header_table
        block: list[bytes] = []
        if table.resized:
            block.append(self._encode_table_size_change())
            table.resized = False
        indexed = self._indexed
        if table.changes != self._indexed_at:
            indexed.clear()
            self._indexed_at = table.changes
        for header in headers:
            encoded = indexed.get(header)
            if encoded is not None and header.__class__ is not NeverIndexedHeaderTuple:
                block.append(encoded)
                continue
            if header[0] in _NEW_EACH_TIME or header.__class__ is NeverIndexedHeaderTuple:
                name, value = header
                block.append(self._never_indexed_prefix(name))
                block.append(_literal_length(value))
                block.append(value)
                continue
            encoded = self.add((header[0], header[1]), False, False)
            if table.changes != self._indexed_at:  # added: every index above 61 moved
                indexed.clear()
                self._indexed_at = table.changes
            elif encoded[0] & 0x80:  # an index (RFC 7541, 6.1)
                indexed[header] = encoded
            block.append(encoded)
        return b"".join(block)


_CLEAN_EVERY = 256  # closed streams h2 may hold before it is asked to drop them


class _ClientH2(H2Connection):
    """h2's client connection, told how many of its streams are open by the ``_Connection``.

    Before each new stream h2 counts the open ones by walking every stream it holds (dropping
    the closed ones as it goes): ~100 steps per request on a busy connection. The
    ``_Connection`` has the same number at hand: a stream is in its table from
    ``send_headers`` to its end (answer, reset, expiry: all close it on h2's side as well).
    h2's walk still runs once per ``_CLEAN_EVERY`` closed streams, to let go of them."""

    def __init__(self, open_streams: dict[int, _Stream]) -> None:
        super().__init__(config=_CLIENT_CONFIG)
        self._open = open_streams

    @property
    def open_outbound_streams(self) -> int:
        if len(self.streams) - len(self._open) >= _CLEAN_EVERY:
            self._open_streams(int(self.config.client_side))
        return len(self._open)


class NotHTTP2(Exception):
    """The origin does not speak HTTP/2 (ALPN chose another protocol, or it answered HTTP/1)."""


class StreamFailed(Exception):
    """The request may not have been processed (reset, GOAWAY, connection lost, timeout)."""


class _Stream:
    __slots__ = ("body", "deadline", "done", "retry_after", "sent", "status")

    def __init__(self, body: bytes, deadline: float, done: asyncio.Future[Answer]) -> None:
        self.body = body
        self.sent = 0  # bytes of the body already handed to h2
        self.deadline = deadline
        self.done = done
        self.status = 0
        self.retry_after: bytes | None = None


class _Connection(asyncio.Protocol):
    """One HTTP/2 connection to one origin."""

    def __init__(self, origin: _Origin) -> None:
        self.origin = origin
        self.streams: dict[int, _Stream] = {}
        self.h2 = _ClientH2(self.streams)
        self.h2.encoder = _HeaderEncoder()
        self.blocked: dict[int, _Stream] = {}  # streams whose body waits for the window
        self.transport: asyncio.Transport | None = None
        self.ready: asyncio.Future[None] = origin.loop.create_future()
        self.lost: asyncio.Future[None] = origin.loop.create_future()  # the transport is gone
        self.max_streams = 100  # until the server's SETTINGS say otherwise
        self.usable = False  # takes new streams
        self.closed = False
        self._flush_pending = False
        self._head = b""  # the server's first bytes, until there are enough to check

    # -- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is not None and ssl_object.selected_alpn_protocol() != "h2":
            self._fail_ready(NotHTTP2(ssl_object.selected_alpn_protocol() or "no ALPN"))
            transport.close()
            return
        self.h2.initiate_connection()
        self._flush()

    def data_received(self, data: bytes) -> None:
        if not self.ready.done():
            # A server's first frame is its SETTINGS (RFC 9113, 3.4): type 0x4 in the 4th byte.
            # Anything else is not HTTP/2 (an HTTP/1 server answers "HTTP/1.1 400 ...").
            self._head += data
            if len(self._head) < 4:
                return
            data, self._head = self._head, b""
            if data[3] != 0x04:
                self._fail_ready(NotHTTP2("the server's first bytes are not an HTTP/2 SETTINGS frame"))
                self._abort()
                return
        try:
            events = self.h2.receive_data(data)
        except H2Error as exc:
            if not self.ready.done():  # the first bytes were not HTTP/2 (an HTTP/1 answer)
                self._fail_ready(NotHTTP2(type(exc).__name__))
                self._abort()
            else:
                self._lose(f"protocol:{type(exc).__name__}")
            return
        streams = self.streams
        for event in events:
            kind = type(event)
            if kind is ResponseReceived:
                stream = streams.get(event.stream_id)
                if stream is not None:
                    for name, value in event.headers:
                        if name == b":status":
                            stream.status = int(value) if value.isdigit() and len(value) == 3 else 0
                        elif name == b"retry-after":
                            stream.retry_after = value
            elif kind is DataReceived:
                if event.flow_controlled_length:
                    self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif kind is StreamEnded:
                self._end(event.stream_id, None)
            elif kind is StreamReset:
                self._end(event.stream_id, f"reset:{event.error_code}")
            elif kind is WindowUpdated:
                self._unblock()
            elif kind is RemoteSettingsChanged:
                limit = self.origin.pool.max_streams
                setting = self.h2.remote_settings.max_concurrent_streams
                self.max_streams = max(1, min(setting, limit)) if setting is not None else limit
                if not self.ready.done():
                    self.usable = True
                    self.ready.set_result(None)
                self._unblock()  # SETTINGS_INITIAL_WINDOW_SIZE may have grown
                self.origin.wake_all()
            elif kind is ConnectionTerminated:
                # h2 takes no frame after a GOAWAY: the streams still open are retried
                self._lose(f"goaway:{event.error_code}")
                return
        self._flush()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.lost.done():
            self.lost.set_result(None)
        self._fail_ready(StreamFailed("connection closed before HTTP/2 settings"))
        self._lose("connection_lost", close=False)

    # -- requests -----------------------------------------------------------------------------

    def start(self, headers: Sequence[Header], body: bytes, deadline: float) -> asyncio.Future[Answer]:
        """Open a stream for one request; the future ends with its answer."""
        h2 = self.h2
        try:
            stream_id = h2.get_next_available_stream_id()
        except NoAvailableStreamIDError:
            self.usable = False
            raise StreamFailed("stream ids exhausted") from None
        done: asyncio.Future[Answer] = self.origin.loop.create_future()
        stream = _Stream(body, deadline, done)
        try:
            h2.send_headers(stream_id, headers)
            self.streams[stream_id] = stream
            self._send_body(stream_id, stream)
        except H2Error as exc:
            self._lose(f"protocol:{type(exc).__name__}")
            raise StreamFailed(type(exc).__name__) from None
        if not self._flush_pending:
            self._flush_pending = True
            self.origin.loop.call_soon(self._flush)
        return done

    def _send_body(self, stream_id: int, stream: _Stream) -> None:
        h2 = self.h2
        body, size = stream.body, len(stream.body)
        if not stream.sent:
            # nearly always the whole body fits the windows and one frame: h2 checks both (and
            # changes nothing when it refuses), so they are not asked for first
            try:
                h2.send_data(stream_id, body, end_stream=True)
            except (FlowControlError, FrameTooLargeError):
                pass
            else:
                stream.sent = size
                self.blocked.pop(stream_id, None)
                return
        while stream.sent < size:
            window = min(h2.local_flow_control_window(stream_id), h2.max_outbound_frame_size)
            if window <= 0:
                self.blocked[stream_id] = stream
                return
            end = min(size, stream.sent + window)
            h2.send_data(stream_id, body[stream.sent : end] if stream.sent or end < size else body, end_stream=end == size)
            stream.sent = end
        self.blocked.pop(stream_id, None)

    def _unblock(self) -> None:
        for stream_id, stream in list(self.blocked.items()):
            if stream_id not in self.streams:
                del self.blocked[stream_id]
                continue
            try:
                self._send_body(stream_id, stream)
            except H2Error as exc:  # h2 closed the stream meanwhile
                self.blocked.pop(stream_id, None)
                self._end(stream_id, f"protocol:{type(exc).__name__}")

    def _end(self, stream_id: int, error: str | None) -> None:
        stream = self.streams.pop(stream_id, None)
        if stream is None:
            return
        if stream.sent < len(stream.body):  # answered before the whole body went out (413...)
            self.blocked.pop(stream_id, None)
            if error is None:
                self._reset(stream_id)
        if not stream.done.done():
            if error is None and stream.status:
                # the answer, not the stream: a stream holding a future holding the stream
                # would be a cycle, left to the garbage collector for every request
                stream.done.set_result((stream.status, stream.retry_after))
            else:
                stream.done.set_exception(StreamFailed(error or "no status"))
        self.origin.wake_one()

    def _reset(self, stream_id: int) -> None:
        try:
            self.h2.reset_stream(stream_id, ErrorCodes.CANCEL)
        except H2Error:
            pass  # already closed on h2's side

    def expire(self, now: float) -> None:
        """Requests past their deadline end with TimeoutError; their streams are reset."""
        for stream_id, stream in list(self.streams.items()):
            if stream.deadline <= now:
                del self.streams[stream_id]
                self.blocked.pop(stream_id, None)
                self._reset(stream_id)
                if not stream.done.done():
                    stream.done.set_exception(TimeoutError())
                self.origin.wake_one()
        self._flush()

    # -- the connection's end -----------------------------------------------------------------

    def _flush(self) -> None:
        self._flush_pending = False
        data = self.h2.data_to_send()
        if data and self.transport is not None and not self.closed:
            self.transport.write(data)

    def _fail_ready(self, exc: Exception) -> None:
        if not self.ready.done():
            self.ready.set_exception(exc)
            self.ready.exception()  # marked as seen: the opener may have stopped waiting

    def _abort(self) -> None:
        self.usable = False
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    def _lose(self, reason: str, close: bool = True) -> None:
        """The connection is over: every stream still open ends as ``StreamFailed``."""
        self.usable = False
        streams = list(self.streams.values())
        self.streams.clear()  # the same table: h2 counts open streams with it
        self.blocked = {}
        for stream in streams:
            if not stream.done.done():
                stream.done.set_exception(StreamFailed(reason))
        if close and not self.closed:
            self._flush()  # our GOAWAY, if h2 wrote one
            self._abort()
        self.closed = True
        self.origin.forget(self)

    def close(self) -> None:
        if not self.closed and self.transport is not None:
            try:
                self.h2.close_connection()
                self._flush()
            except H2Error:
                pass
            self.closed = True
            self.transport.close()


class _Origin:
    """The connections to one origin and the requests waiting for a stream."""

    def __init__(self, pool: H2Pool, origin: str) -> None:
        parts = urlsplit(origin)
        self.pool = pool
        self.loop = pool.loop
        self.scheme = parts.scheme
        self.host = parts.hostname or ""
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.authority = parts.netloc.encode()
        self.connections: list[_Connection] = []
        self.opening = 0
        self.waiters: deque[asyncio.Future[None]] = deque()
        self.not_http2: NotHTTP2 | None = None
        self.open_failures = 0  # a request waiting while an attempt failed fails as well

    def pseudo_headers(self) -> list[Header]:
        return [(b":method", b"POST"), (b":scheme", self.scheme.encode()), (b":authority", self.authority)]

    def free_connection(self) -> _Connection | None:
        """An open connection with a free stream, if there is one."""
        for connection in self.connections:
            if connection.usable and len(connection.streams) < connection.max_streams:
                return connection
        return None

    async def connection(self) -> _Connection:
        """A connection with a free stream: an open one, a new one, or the first to free up.

        Checked again after every wait, in the same step as the stream is opened: other
        requests run between a wake-up and the waiter's turn."""
        while True:
            if self.not_http2 is not None:
                raise self.not_http2
            connection = self.free_connection()
            if connection is not None:
                return connection
            if self.opening == 0 and len(self.connections) < self.pool.max_connections:
                await self._open()
                continue
            failures = self.open_failures
            waiter = self.loop.create_future()
            self.waiters.append(waiter)
            try:
                await waiter
            finally:
                if not waiter.done():
                    waiter.cancel()
            if self.open_failures != failures and self.free_connection() is None:
                raise StreamFailed("could not connect")

    async def _open(self) -> None:
        connection = _Connection(self)
        self.opening += 1
        try:
            context = self.pool.ssl_context if self.scheme == "https" else None
            await asyncio.wait_for(
                self.loop.create_connection(
                    lambda: connection,
                    self.host,
                    self.port,
                    ssl=context,
                    server_hostname=self.host if context is not None else None,
                ),
                self.pool.connect_timeout,
            )
            await asyncio.wait_for(asyncio.shield(connection.ready), self.pool.connect_timeout)
            self.connections.append(connection)
        except NotHTTP2 as exc:
            self.not_http2 = exc
            raise
        except BaseException:
            self.open_failures += 1
            connection._abort()
            raise
        finally:
            self.opening -= 1
            self.wake_all()

    def forget(self, connection: _Connection) -> None:
        if connection in self.connections:
            self.connections.remove(connection)
        self.wake_all()

    def wake_one(self) -> None:
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def wake_all(self) -> None:
        waiters, self.waiters = self.waiters, deque()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)


class H2Pool:
    """HTTP/2 connections to push services, for one event loop."""

    def __init__(
        self,
        timeout: float,
        connect_timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
        max_connections: int = 16,
        max_streams: int = 1000,
        ca_file: str | None = None,
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.timeout = timeout
        self.connect_timeout = min(connect_timeout, timeout)
        self.max_connections = max(1, max_connections)
        self.max_streams = max(1, max_streams)  # per connection, if the server allows as many
        self.ca_file = ca_file
        if ssl_context is not None:
            ssl_context.set_alpn_protocols(["h2"])
        self._ssl_context = ssl_context
        self._origins: dict[str, _Origin] = {}
        self._sweeper: asyncio.TimerHandle | None = None

    @property
    def ssl_context(self) -> ssl.SSLContext:
        """TLS settings (``ca_file``, or the system's trusted roots), made on first use: loading
        the roots costs ~20 ms of CPU, for nothing when no origin is https (local services)."""
        if self._ssl_context is None:
            self._ssl_context = ssl.create_default_context(cafile=self.ca_file)
            self._ssl_context.set_alpn_protocols(["h2"])
        return self._ssl_context

    def origin(self, origin: str) -> _Origin:
        found = self._origins.get(origin)
        if found is None:
            found = self._origins[origin] = _Origin(self, origin)
        return found

    async def post(self, origin: _Origin, headers: Sequence[Header], body: bytes) -> Answer:
        """(status, Retry-After) of one request; raises ``NotHTTP2``, ``StreamFailed``,
        ``TimeoutError`` or ``OSError`` (could not connect)."""
        deadline = self.loop.time() + self.timeout
        if self._sweeper is None:
            self._sweeper = self.loop.call_later(_SWEEP_EVERY, self._sweep)
        connection = origin.free_connection()
        if connection is None:
            async with asyncio.timeout_at(deadline):
                connection = await origin.connection()
        return await connection.start(headers, body, deadline)

    def _sweep(self) -> None:
        now = self.loop.time()
        busy = False
        for origin in self._origins.values():
            for connection in list(origin.connections):
                if connection.streams:
                    connection.expire(now)
                    busy = busy or bool(connection.streams)
            busy = busy or bool(origin.waiters) or origin.opening > 0
        self._sweeper = self.loop.call_later(_SWEEP_EVERY, self._sweep) if busy else None

    def is_http1(self, origin: str) -> bool:
        found = self._origins.get(origin)
        return found is not None and found.not_http2 is not None

    async def aclose(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        origins, self._origins = list(self._origins.values()), {}
        closing = []
        for origin in origins:
            for connection in list(origin.connections):
                connection.close()
                closing.append(connection.lost)
            origin.connections.clear()
        if closing:  # TLS says goodbye in a few turns of the loop
            await asyncio.wait(closing, timeout=2.0)
