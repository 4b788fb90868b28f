"""Registering a browser's push subscription: only https endpoints of allowed push services,
with a real P-256 key and a 16-byte secret; anything else is refused with a clear message and
nothing is stored."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from app.accounts.models import Consent
from app.extensions import db
from app.notifications import services
from app.notifications.models import NotificationSettings, PushSubscription
from app.webpush import push_host_allowed
from tests.factories import login_as, make_territory, make_user
from tests.notifications.conftest import PUSH_HOST, b64url, p256dh_key, subscription
from tests.support.csrf import csrf_token

URL = "/me/notifications/push/subscription"


def _post(client, payload, token=None, path=URL):  # type: ignore[no-untyped-def]
    headers = {"X-CSRFToken": token or csrf_token(client, "/me/notifications")}
    return client.post(path, json=payload, headers=headers)


def _subscriptions() -> list[PushSubscription]:
    return list(db.session.scalars(select(PushSubscription)))


def test_an_allowed_push_service_subscription_is_stored_and_switches_push_on(logged_in, citizen):
    sub = subscription()
    response = _post(logged_in, sub)

    assert response.status_code == 200
    assert response.get_json()["push_enabled"] is True
    [row] = _subscriptions()
    assert row.user_id == citizen.id and row.territory_id == citizen.territory_id
    assert row.endpoint == sub["endpoint"]
    assert row.endpoint_hash == hashlib.sha256(sub["endpoint"].encode()).hexdigest()
    assert row.p256dh == sub["keys"]["p256dh"] and row.auth == sub["keys"]["auth"]
    assert db.session.get(NotificationSettings, citizen.id).push_enabled
    consent = db.session.scalar(select(Consent).where(Consent.channel == "push"))
    assert consent.purpose == "notifications" and consent.withdrawn_at is None


def test_registering_the_same_endpoint_again_updates_it(logged_in):
    sub = subscription()
    _post(logged_in, sub)
    new_keys = subscription(sub["endpoint"])
    assert _post(logged_in, new_keys).status_code == 200

    [row] = _subscriptions()
    db.session.refresh(row)
    assert row.p256dh == new_keys["keys"]["p256dh"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"endpoint": f"http://{PUSH_HOST}/push/abc"}, "must start with https://"),
        ({"endpoint": "https://evil.example.org/push/abc"}, "is not one we can send to"),
        ({"endpoint": f"https://{PUSH_HOST}.evil.example.org/x"}, "is not one we can send to"),
        ({"endpoint": "https://127.0.0.1/push"}, "is not one we can send to"),
        # Allowed push hosts are reached on 443 only (the audit's :6379 and :22).
        ({"endpoint": f"https://{PUSH_HOST}:6379/push/abc"}, "is not one we can send to"),
        ({"endpoint": f"https://{PUSH_HOST}:22/push/abc"}, "is not one we can send to"),
        ({"endpoint": f"https://{PUSH_HOST}:8443/push/abc"}, "is not one we can send to"),
        ({"endpoint": f"https://user:pw@{PUSH_HOST}/push"}, "no valid address"),
        ({"endpoint": 42}, "no valid address"),
        ({"keys": None}, "no encryption keys"),
        ({"keys": {"p256dh": b64url(b"\x04" + b"\x01" * 64), "auth": b64url(b"a" * 16)}}, "public key is not valid"),
        ({"keys": {"p256dh": b64url(b"\x04" * 33), "auth": b64url(b"a" * 16)}}, "public key is not valid"),
        ({"keys": {"p256dh": "not base64!", "auth": b64url(b"a" * 16)}}, "public key is not valid"),
        ({"keys": {"p256dh": p256dh_key(), "auth": b64url(b"a" * 15)}}, "secret is not valid"),
    ],
)
def test_a_malformed_subscription_is_refused_with_a_message_and_not_stored(logged_in, citizen, change, message):
    payload = {**subscription(), **change}
    response = _post(logged_in, payload)

    assert response.status_code == 422
    assert message in response.get_json()["message"]
    assert _subscriptions() == []
    assert not services.settings_of(citizen).push_enabled


def test_the_push_services_own_port_443_written_out_is_accepted(logged_in):
    response = _post(logged_in, {**subscription(), "endpoint": f"https://{PUSH_HOST}:443/push/abc"})
    assert response.status_code in (200, 201, 204) and len(_subscriptions()) == 1


def test_a_body_that_is_not_json_is_refused(logged_in):
    response = logged_in.post(URL, data="endpoint=x", headers={"X-CSRFToken": csrf_token(logged_in, "/me/notifications")})
    assert response.status_code == 400 and _subscriptions() == []


def test_subscribing_needs_the_csrf_header(logged_in):
    response = logged_in.post(URL, json=subscription())
    assert response.status_code == 400 and _subscriptions() == []


def test_suffix_entries_allow_sub_domains_only(app, territory):
    app.config["PUSH_ALLOWED_HOSTS"] = ("fcm.googleapis.com", ".push.services.mozilla.com")
    assert push_host_allowed("fcm.googleapis.com")
    assert not push_host_allowed("x.fcm.googleapis.com")
    assert push_host_allowed("updates.push.services.mozilla.com")
    assert not push_host_allowed("push.services.mozilla.com.evil.org")
    assert not push_host_allowed("evilpush.services.mozilla.com")


def test_the_service_worker_replaces_the_old_subscription(logged_in, citizen):
    old = subscription()
    _post(logged_in, old)
    new = subscription()

    response = logged_in.post(
        "/me/notifications/push/resubscribe",
        json={"subscription": new, "old_endpoint": old["endpoint"]},
    )

    assert response.status_code == 200
    assert [row.endpoint for row in _subscriptions()] == [new["endpoint"]]


def test_the_service_worker_cannot_replace_somebody_elses_subscription(logged_in, client, territory, app):
    other = make_user(territory, "other@example.org")
    other_client = app.test_client()
    login_as(other_client, other)
    theirs = subscription()
    _post(other_client, theirs)

    response = logged_in.post(
        "/me/notifications/push/resubscribe",
        json={"subscription": subscription(), "old_endpoint": theirs["endpoint"]},
    )

    assert response.status_code == 404
    assert [row.endpoint for row in _subscriptions()] == [theirs["endpoint"]]


def test_resubscribing_refuses_a_cross_site_origin_and_non_json(logged_in):
    old = subscription()
    _post(logged_in, old)
    body = {"subscription": subscription(), "old_endpoint": old["endpoint"]}
    cross = logged_in.post("/me/notifications/push/resubscribe", json=body, headers={"Origin": "https://evil.example.org"})
    form = logged_in.post("/me/notifications/push/resubscribe", data={"x": "1"})
    assert cross.status_code == 403 and form.status_code == 415
    assert [row.endpoint for row in _subscriptions()] == [old["endpoint"]]


def test_unsubscribing_the_last_browser_switches_push_off_and_withdraws_the_consent(logged_in, citizen):
    sub = subscription()
    _post(logged_in, sub)
    response = logged_in.post(
        "/me/notifications/push/unsubscribe", json={"endpoint": sub["endpoint"]}, headers={"X-CSRFToken": csrf_token(logged_in, "/me/notifications")}
    )

    assert response.status_code == 200 and response.get_json()["push_enabled"] is False
    assert _subscriptions() == []
    consent = db.session.scalar(select(Consent).where(Consent.channel == "push"))
    db.session.refresh(consent)
    assert consent.withdrawn_at is not None


def test_switching_push_off_without_javascript_forgets_every_device(logged_in, citizen):
    _post(logged_in, subscription())
    _post(logged_in, subscription())
    token = csrf_token(logged_in, "/me/notifications")
    response = logged_in.post("/me/notifications/push/unsubscribe", data={"csrf_token": token})
    assert response.status_code == 303
    assert _subscriptions() == []
    assert not db.session.get(NotificationSettings, citizen.id).push_enabled


def test_a_browser_used_in_another_territory_moves_with_its_user(logged_in, citizen):
    sub = subscription()
    _post(logged_in, sub)
    resort = make_territory("station", "Montgenèvre", hosts=("station.localhost",))
    skier = make_user(resort, "skier@example.org")

    services.register_subscription(skier, sub)

    [row] = _subscriptions()
    db.session.refresh(row)
    assert (row.user_id, row.territory_id) == (skier.id, resort.id)
