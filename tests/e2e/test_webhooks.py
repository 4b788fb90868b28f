"""The town admin, on a phone, registers a webhook endpoint: a private address is refused with
its reason, the secret shows once, a test event reaches the town's tool and shows in the log."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks import Webhook

from app.webhooks import sender
from tests.e2e.conftest import MOBILE_VIEWPORT, fits_with_no_violation, log_in

pytestmark = pytest.mark.e2e
@pytest.fixture
def context(browser, live_server):  # type: ignore[no-untyped-def]
    """A phone in English: the test reads the admin's pages as an English reader does."""
    context = browser.new_context(viewport=MOBILE_VIEWPORT, locale="en-GB")
    context.set_default_timeout(10_000)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def town_tool(live_server) -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    received: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    previous = live_server.app.config["OUTBOUND_ALLOWED_PRIVATE"]
    live_server.app.config["OUTBOUND_ALLOWED_PRIVATE"] = (f"127.0.0.1:{port}",)
    yield f"http://127.0.0.1:{port}/hooks", received
    live_server.app.config["OUTBOUND_ALLOWED_PRIVATE"] = previous
    server.shutdown()
    server.server_close()


def test_admin_registers_an_endpoint_and_sends_a_test_event(page, live_server, live_db, seed, axe, town_tool):
    url, received = town_tool
    log_in(page, live_server, seed.admin_email, seed.password)
    page.goto(live_server.url("/admin"))
    page.locator(".admin-nav a", has_text="Webhooks").click()
    page.wait_for_url("**/admin/webhooks")
    fits_with_no_violation(page, axe)
    page.get_by_role("link", name="Add an endpoint").click()

    page.locator("#url").fill("http://192.168.1.20/hooks")
    page.get_by_label("A poll closes").check()
    page.locator("main form button[type=submit]").click()
    assert "private or internal network" in page.locator(".field-error").inner_text()
    fits_with_no_violation(page, axe)

    page.locator("#url").fill(url)
    page.locator("#description").fill("Portail de la ville")
    page.locator("main form button[type=submit]").click()
    secret = page.locator("code.webhook-secret").inner_text()
    assert secret.startswith("whsec_")
    fits_with_no_violation(page, axe)

    page.get_by_role("link", name="Back to the endpoint").click()
    page.wait_for_url("**/admin/webhooks/*")
    page.get_by_role("button", name="Send a test event").wait_for()
    assert secret not in page.content()
    page.get_by_role("button", name="Send a test event").click()
    page.locator("#flash", has_text="test event is on its way").wait_for()
    with live_db():
        assert sender.send_due() == 1
    [(headers, body)] = received
    assert Webhook(secret).verify(body, headers)["type"] == "webhook.test"

    page.reload()
    row = page.locator("table.webhook-log tbody tr").first
    assert headers["webhook-id"] in row.inner_text() and "delivered" in row.inner_text()
    row.locator("summary").click()
    assert '"type":"webhook.test"' in row.locator("pre").inner_text()
    fits_with_no_violation(page, axe)
