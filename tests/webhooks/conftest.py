"""A real HTTP server on 127.0.0.1 receiving webhooks (what it got, and what it answers), a
town with its admin, an endpoint registered at the receiver."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.webhooks import services
from tests.factories import login_as, make_actor, make_territory, make_user
from tests.support.csrf import csrf_token


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    port: int
    received: list[Received] = field(default_factory=list)
    # Status codes to answer, in order (then 204); with extra headers per answer.
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"


@pytest.fixture
def receiver(app) -> Iterator[Receiver]:
    state: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            status, extra = state.answers.pop(0) if state.answers else (204, {})
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state = Receiver(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["OUTBOUND_ALLOWED_PRIVATE"] = (f"127.0.0.1:{state.port}",)
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def territory(app):
    return make_territory("laciotat", "La Ciotat", hosts=("localhost",))


@pytest.fixture
def actor(territory):
    return make_actor(territory, "Boulangerie du Port")


@pytest.fixture
def admin(territory):
    return make_user(territory, email="admin@laciotat.example", is_admin=True)


@pytest.fixture
def admin_client(client, admin):
    login_as(client, admin)
    client.csrf = csrf_token(client, "/admin")  # type: ignore[attr-defined]
    return client


@pytest.fixture
def endpoint(territory, receiver):
    return services.create_endpoint(territory, receiver.url, "Town portal",
                                    ["publication.published", "report.status_changed", "poll.closed"])
