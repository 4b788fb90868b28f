"""The town admin's pages: add, edit events, rotate, test, re-enable, read the log."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models_common import utcnow
from app.webhooks import sender, services
from app.webhooks.events import send_test
from app.webhooks.models import WebhookEndpoint, WebhookMessage
from tests.factories import login_as, make_territory, make_user
from tests.support.csrf import csrf_token


def _post(client, path, **data):
    return client.post(path, data={"csrf_token": client.csrf, **data})


def test_admin_adds_an_endpoint_and_sees_its_secret_once(admin_client, receiver):
    response = _post(admin_client, "/admin/webhooks/new", url=receiver.url, description="Portail",
                     events=["publication.published", "poll.closed"])
    assert response.status_code == 200
    endpoint = db.session.scalar(select(WebhookEndpoint))
    page = response.get_data(as_text=True)
    assert endpoint.secret in page
    assert endpoint.event_types == "publication.published poll.closed"
    for path in ("/admin/webhooks", f"/admin/webhooks/{endpoint.id}"):
        shown = admin_client.get(path).get_data(as_text=True)
        assert receiver.url in shown and endpoint.secret not in shown


def test_a_private_address_is_refused_with_a_clear_message(admin_client):
    response = _post(admin_client, "/admin/webhooks/new", url="http://192.168.1.10/hooks",
                     events=["poll.closed"])
    assert response.status_code == 422
    assert "private or internal network" in response.get_data(as_text=True)
    assert db.session.scalar(select(WebhookEndpoint)) is None


def test_another_scheme_is_refused_with_its_reason(admin_client):
    response = _post(admin_client, "/admin/webhooks/new", url="ftp://example.org/x", events=["poll.closed"])
    assert response.status_code == 422
    assert "Only http and https addresses can be used." in response.get_data(as_text=True)
    assert db.session.scalar(select(WebhookEndpoint)) is None


def test_a_private_name_is_refused_through_the_resolver(app, territory):
    import pytest

    with pytest.raises(services.EndpointRefused, match="private"):
        services.create_endpoint(territory, "https://hooks.example.org/in", "", ["poll.closed"],
                                 resolver=lambda host, port: ["10.1.2.3"])


def test_admin_changes_the_events(admin_client, endpoint):
    response = _post(admin_client, f"/admin/webhooks/{endpoint.id}", description="Only polls",
                     events=["poll.closed"])
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(WebhookEndpoint, endpoint.id).events == ["poll.closed"]


def test_admin_rotates_the_secret(admin_client, endpoint):
    old = endpoint.secret
    response = _post(admin_client, f"/admin/webhooks/{endpoint.id}/rotate")
    db.session.expire_all()
    fresh = db.session.get(WebhookEndpoint, endpoint.id)
    assert fresh.secret != old and fresh.previous_secret == old
    assert fresh.secret in response.get_data(as_text=True)


def test_admin_sends_a_test_event_and_reads_it_in_the_log(admin_client, endpoint, receiver):
    assert _post(admin_client, f"/admin/webhooks/{endpoint.id}/test").status_code == 303
    sender.send_due()
    assert len(receiver.received) == 1
    page = admin_client.get(f"/admin/webhooks/{endpoint.id}").get_data(as_text=True)
    message = db.session.scalar(select(WebhookMessage))
    assert message.id in page and "webhook.test" in page and "delivered" in page and "204" in page


def test_admin_re_enables_a_disabled_endpoint(admin_client, endpoint):
    sender.disable(endpoint, "gone", utcnow())
    db.session.commit()
    page = admin_client.get(f"/admin/webhooks/{endpoint.id}").get_data(as_text=True)
    assert "410 Gone" in page
    assert _post(admin_client, f"/admin/webhooks/{endpoint.id}/enable").status_code == 303
    db.session.expire_all()
    assert db.session.get(WebhookEndpoint, endpoint.id).active


def test_the_log_is_paginated(admin_client, endpoint):
    now = utcnow()
    for i in range(services.LOG_PAGE_SIZE + 5):
        send_test(endpoint, now=now - timedelta(minutes=i))
    db.session.commit()
    ids = [m.id for m in db.session.scalars(select(WebhookMessage).order_by(WebhookMessage.created_at.desc()))]
    first = admin_client.get(f"/admin/webhooks/{endpoint.id}").get_data(as_text=True)
    second = admin_client.get(f"/admin/webhooks/{endpoint.id}?page=2").get_data(as_text=True)
    shown_first = set(re.findall(r"msg_[\w-]+", first))
    shown_second = set(re.findall(r"msg_[\w-]+", second))
    assert shown_first == set(ids[: services.LOG_PAGE_SIZE])
    assert shown_second == set(ids[services.LOG_PAGE_SIZE:])
    assert 'rel="next"' in first and 'rel="prev"' in second


def test_admin_deletes_an_endpoint(admin_client, endpoint):
    assert _post(admin_client, f"/admin/webhooks/{endpoint.id}/delete").status_code == 303
    assert db.session.scalar(select(WebhookEndpoint)) is None


def test_another_towns_admin_neither_sees_nor_edits(app, client, endpoint):
    other = make_territory("b", "Town B", hosts=("b.localhost",))
    other_admin = make_user(other, email="admin@b.example", is_admin=True)
    login_as(client, other_admin, base_url="http://b.localhost")
    token = csrf_token(client, "/admin", base_url="http://b.localhost")
    assert endpoint.url not in client.get("/admin/webhooks", base_url="http://b.localhost").get_data(as_text=True)
    assert client.get(f"/admin/webhooks/{endpoint.id}", base_url="http://b.localhost").status_code == 404
    for action in ("rotate", "test", "enable", "delete"):
        response = client.post(f"/admin/webhooks/{endpoint.id}/{action}", base_url="http://b.localhost",
                               data={"csrf_token": token})
        assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(WebhookEndpoint, endpoint.id).secret == endpoint.secret


def test_a_citizen_cannot_enter(app, client, territory, endpoint):
    citizen = make_user(territory, email="citizen@laciotat.example")
    login_as(client, citizen)
    assert client.get("/admin/webhooks").status_code == 403
    assert client.get(f"/admin/webhooks/{endpoint.id}").status_code == 403


def test_a_post_without_csrf_is_refused(admin_client, endpoint):
    assert admin_client.post(f"/admin/webhooks/{endpoint.id}/rotate").status_code == 400


def test_the_log_says_why_an_attempt_failed(app, admin_client, endpoint, receiver):
    receiver.answers = [(500, {})]
    send_test(endpoint)
    db.session.commit()
    sender.send_due()
    page = admin_client.get(f"/admin/webhooks/{endpoint.id}").get_data(as_text=True)
    assert "500" in page and "waiting" in page
    endpoint.url = "http://127.0.0.1:1/closed"  # nothing listens there
    db.session.commit()
    app.config["OUTBOUND_ALLOWED_PRIVATE"] = ("127.0.0.1:1",)
    message = db.session.scalar(select(WebhookMessage))
    sender.send_due(message.next_attempt_at)
    page = admin_client.get(f"/admin/webhooks/{endpoint.id}").get_data(as_text=True)
    assert "The server could not be reached." in page
