"""The safe outbound client: private and internal addresses, other ports, credentials in the
address and redirects towards them are refused; answers too large or too slow are cut; a local
test server is reached only when listed."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app import outbound


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        if self.path == "/big":
            body = b"x" * 300_000
        elif self.path == "/to-metadata":
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.end_headers()
            return
        elif self.path == "/to-self":
            self.send_response(301)
            self.send_header("Location", "/small")
            self.end_headers()
            return
        else:
            body = b"hello " + self.headers.get("Host", "").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", '"v1"')
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length", "0"))
        received = self.rfile.read(length)
        self.send_response(410 if received == b"gone" else 204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "192.168.0.10", "172.16.5.4", "169.254.169.254",
                                     "::1", "fd00::1", "fe80::1", "0.0.0.0", "::ffff:127.0.0.1", "100.64.0.1"])
def test_private_and_internal_addresses_are_refused(address):
    with pytest.raises(outbound.OutboundRefused, match="private or internal"):
        outbound.check("https://feeds.example.org/agenda.ics", resolver=lambda host, port: [address])


def test_a_name_with_one_private_address_among_public_ones_is_refused():
    with pytest.raises(outbound.OutboundRefused):
        outbound.check("https://mixed.example.org/", resolver=lambda host, port: ["93.184.215.14", "10.0.0.1"])


def test_a_public_address_is_pinned_for_the_connection():
    target = outbound.check("https://Feeds.Example.org./a.ics?x=1", resolver=lambda host, port: ["93.184.215.14"])
    assert (target.host, target.port, target.path, target.address) == ("feeds.example.org", 443, "/a.ics?x=1",
                                                                        "93.184.215.14")


@pytest.mark.parametrize("url, reason", [
    ("ftp://example.org/x", "http and https"),
    ("file:///etc/passwd", "http and https"),
    ("https://example.org:8443/x", "ports 80 and 443"),
    ("http://example.org:22/", "ports 80 and 443"),
    ("https://user:secret@example.org/", "user name or password"),
    ("https:///nohost", "no host"),
])
def test_other_schemes_ports_and_credentials_are_refused(url, reason):
    with pytest.raises(outbound.OutboundRefused, match=reason):
        outbound.check(url, resolver=lambda host, port: ["93.184.215.14"])


def test_a_local_server_is_refused_unless_listed(server):
    with pytest.raises(outbound.OutboundRefused):
        outbound.request("GET", f"http://{server}/small")
    answer = outbound.request("GET", f"http://{server}/small", allowed_private=[server])
    assert answer.status == 200 and answer.body == f"hello {server}".encode()
    assert answer.header("ETag") == '"v1"'


def test_a_redirect_is_checked_again(server):
    with pytest.raises(outbound.OutboundRefused):
        outbound.request("GET", f"http://{server}/to-metadata", allowed_private=[server])
    answer = outbound.request("GET", f"http://{server}/to-self", allowed_private=[server])
    assert answer.status == 200 and answer.redirects == [f"http://{server}/small"]


def test_an_answer_too_large_is_cut(server):
    with pytest.raises(outbound.OutboundFailed, match="larger than"):
        outbound.request("GET", f"http://{server}/big", allowed_private=[server], max_bytes=100_000)


def test_a_post_returns_its_status(server):
    assert outbound.request("POST", f"http://{server}/hook", body=b"{}", allowed_private=[server]).status == 204
    assert outbound.request("POST", f"http://{server}/hook", body=b"gone", allowed_private=[server]).status == 410


def test_an_unreachable_server_fails_plainly(server):
    host, port = server.split(":")
    closed = f"{host}:1"
    with pytest.raises(outbound.OutboundFailed, match="could not be reached"):
        outbound.request("GET", f"http://{closed}/", allowed_private=[closed], timeout=2)
