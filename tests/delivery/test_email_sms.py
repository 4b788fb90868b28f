"""E-mail through a real local SMTP server (aiosmtpd), SMS through a local HTTP provider."""

from __future__ import annotations

import email
import json
import re
import threading
from email import policy as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.campaigns.models import Delivery
from app.delivery import runs as delivery_runs
from app.extensions import db
from app.models_common import utcnow
from app.notifications.models import NotificationSettings
from app.sms import SmsError, send_sms
from tests.delivery.conftest import make_campaign, make_citizens
from tests.support.parallel import free_port


class _Collect:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.sessions: set[int] = set()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(email.message_from_bytes(envelope.content, policy=email_policy.default))  # type: ignore[arg-type]
        self.sessions.add(id(session))
        return "250 OK"


@pytest.fixture
def smtp_server(app):
    handler = _Collect()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    yield handler
    controller.stop()


def test_email_with_one_click_unsubscribe(app, client, territory, actor, smtp_server):
    people = make_citizens(territory, actor, 11, email=True)
    people[0].language = "fr"
    db.session.commit()
    run = delivery_runs.start_run(make_campaign(actor, channels=("email",), title="Pain frais"), utcnow())

    assert len(smtp_server.messages) == 11
    assert len(smtp_server.sessions) == 1  # one SMTP connection for the batch
    by_to = {m["To"]: m for m in smtp_server.messages}
    message = by_to[people[1].email]
    deliveries = {d.user_id: d for d in db.session.scalars(select(Delivery).where(Delivery.run_id == run.id))}
    assert message["Message-ID"] == f"<d{deliveries[people[1].id].id}@ville.example>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = re.fullmatch(r"<(https://ville\.example/unsubscribe/[^>]+)>", message["List-Unsubscribe"]).group(1)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Pain frais" in text and unsubscribe in text and unsubscribe in html
    assert "https://ville.example/r/" in text  # the click goes through the redirect
    assert "Unsubscribe" in text
    # The recipient's language: the French one's footer is in French.
    assert '<html lang="fr">' in by_to[people[0].email].get_body(("html",)).get_content()
    assert '<html lang="en">' in html

    # Each e-mail carries its own unsubscribe link.
    assert len({m["List-Unsubscribe"] for m in smtp_server.messages}) == 11

    # One click (RFC 8058): the mail client POSTs, without any CSRF token.
    response = client.post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "You are unsubscribed" in response.get_data(as_text=True)
    settings = db.session.get(NotificationSettings, people[1].id)
    db.session.refresh(settings)
    assert settings.email_enabled is False
    assert db.session.get(NotificationSettings, people[2].id).email_enabled is True
    # The click link works and records the click.
    click = re.search(r"https://ville\.example/r/\S+", text).group(0)
    response = client.get(click)
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Delivery, deliveries[people[1].id].id).clicked_at is not None


def test_smtp_temporary_error_is_retried_with_the_same_message_id(app, territory, actor, smtp_server):
    calls = {"n": 0}
    original = smtp_server.handle_DATA

    async def flaky(server, session, envelope):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            return "451 try again later"
        return await original(server, session, envelope)

    smtp_server.handle_DATA = flaky
    make_citizens(territory, actor, 11, email=True)
    run = delivery_runs.start_run(make_campaign(actor, channels=("email",)), utcnow())
    assert len(smtp_server.messages) == 11
    assert len({m["Message-ID"] for m in smtp_server.messages}) == 11
    assert {d.status for d in db.session.scalars(select(Delivery).where(Delivery.run_id == run.id))} == {"sent"}


class _SmsProvider(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []
    statuses: list[int] = []

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).received.append({"body": body, "auth": self.headers["Authorization"], "key": self.headers.get("Idempotency-Key")})
        status = type(self).statuses.pop(0) if type(self).statuses else 200
        self.send_response(status)
        if status == 429:
            self.send_header("Retry-After", "1")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def sms_provider(app):
    _SmsProvider.received = []
    _SmsProvider.statuses = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SmsProvider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config.update(
        SMS_BACKEND="http",
        SMS_PROVIDER_URL=f"http://127.0.0.1:{server.server_address[1]}/messages",
        SMS_PROVIDER_TOKEN="provider-token",
    )
    yield _SmsProvider
    server.shutdown()
    server.server_close()


def test_sms_through_the_provider_api(app, territory, actor, sms_provider):
    people = make_citizens(territory, actor, 11, sms=True)
    sms_provider.statuses = [503, 429]
    run = delivery_runs.start_run(make_campaign(actor, channels=("sms",), title="Water cut"), utcnow())
    deliveries = {d.user_id: d for d in db.session.scalars(select(Delivery).where(Delivery.run_id == run.id))}
    assert {d.status for d in deliveries.values()} == {"sent"}
    assert len(sms_provider.received) == 13  # 11 + two retried
    assert {r["auth"] for r in sms_provider.received} == {"Bearer provider-token"}
    # (sent concurrently: the first person's message is not necessarily the first received)
    phone = db.session.get(NotificationSettings, people[0].id).phone
    first = next(r for r in sms_provider.received if r["body"]["to"] == phone)
    assert "Water cut" in first["body"]["text"]
    assert "https://ville.example/r/" in first["body"]["text"]
    # The retries carry the same idempotency key as the first try.
    keys = [r["key"] for r in sms_provider.received]
    # (the two refused first tries are whichever two went out first: the order of a batch is not promised)
    run_keys = {f"d{d.id}" for d in deliveries.values()}
    assert set(keys[:2]) <= run_keys and sorted(keys[-2:]) == sorted(keys[:2])
    assert len(set(keys)) == 11


def test_send_sms_for_confirmation_codes(app, sms_provider):
    send_sms("+33612345678", "Your code: 123456", idempotency_key="code-1")
    assert sms_provider.received[-1] == {
        "body": {"to": "+33612345678", "text": "Your code: 123456"},
        "auth": "Bearer provider-token",
        "key": "code-1",
    }
    sms_provider.statuses = [400]
    with pytest.raises(SmsError) as error:
        send_sms("+33612345678", "x")
    assert error.value.retryable is False and error.value.error == "400"


def test_sms_memory_and_console_backends(app, capsys):
    from app.sms import sms_outbox

    app.config["SMS_BACKEND"] = "memory"
    send_sms("+33600000000", "hello", "k1")
    assert sms_outbox[-1] == {"to": "+33600000000", "text": "hello", "idempotency_key": "k1"}
    app.config["SMS_BACKEND"] = "console"
    send_sms("+33600000001", "bonjour")
    assert "+33600000001" in capsys.readouterr().out


def test_language_helper_works_in_a_worker_context(app):
    from flask_babel import gettext

    from app.delivery.links import language

    with app.app_context():  # a worker's context: nothing in g (flask_babel then ignores force_locale)
        with language("fr"):
            assert gettext("Hello,") == "Bonjour,"
        with language("en"):
            assert gettext("Hello,") == "Hello,"
