"""A local feed server for the import tests (listed in OUTBOUND_ALLOWED_PRIVATE, as the
outbound client requires), and calendars written as people's tools write them."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class FeedServer:
    """``documents[path] = (content type, body)``; answers 304 to a matching If-None-Match;
    ``status[path]`` forces an answer; ``requests`` keeps (path, If-None-Match) of each GET."""

    base: str = ""
    documents: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    status: dict[str, int] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    use_etags: bool = True

    def url(self, path: str) -> str:
        return self.base + path

    def put(self, path: str, body: str | bytes, content_type: str = "text/calendar; charset=utf-8") -> str:
        self.documents[path] = (content_type, body.encode() if isinstance(body, str) else body)
        return self.url(path)


def _handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            server.requests.append((self.path, self.headers.get("If-None-Match", "")))
            if self.path in server.redirects:
                self.send_response(302)
                self.send_header("Location", server.redirects[self.path])
                self.end_headers()
                return
            if self.path in server.status or self.path not in server.documents:
                self.send_response(server.status.get(self.path, 404))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            content_type, body = server.documents[self.path]
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if server.use_etags and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if server.use_etags:
                self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

    return Handler


@contextmanager
def serving() -> Iterator[tuple[FeedServer, str]]:
    """A feed server on 127.0.0.1 (a free port) and its ``host:port``."""
    state = FeedServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    host, port = httpd.server_address[:2]
    state.base = f"http://{host}:{port}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"{host}:{port}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def calendar(*events: str) -> str:
    """A VCALENDAR around the VEVENTs given (lines joined with CRLF, as RFC 5545 wants)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Tests//Territory//EN"]
    for event in events:
        lines += ["BEGIN:VEVENT", *[line.strip() for line in event.strip().splitlines()], "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"
