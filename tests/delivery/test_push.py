"""Web push against a real local push service: VAPID, RFC 8291 encryption, headers, responses."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from app.campaigns.models import Delivery
from app.delivery import runs as delivery_runs
from app.delivery.channels.push import PushSender, topic_for
from app.delivery.tokens import read_delivery_token
from app.extensions import db
from app.models_common import utcnow
from app.notifications.models import PushSubscription
from app.webpush import VapidSigner, endpoint_allowed, signer, vapid_key, vapid_public_key
from tests.delivery.conftest import make_campaign, make_citizens, subscribe
from tests.support.push_service import verify_vapid


def _deliveries(run_id: int, channel: str = "push") -> list[Delivery]:
    return list(
        db.session.scalars(
            select(Delivery).where(Delivery.run_id == run_id, Delivery.channel == channel).order_by(Delivery.id)
        )
    )


def test_vapid_key_is_generated_once_outside_the_repository(app, instance_dir):
    key = vapid_public_key()
    path = instance_dir / "vapid_private.pem"
    assert path.exists() and (path.stat().st_mode & 0o777) == 0o600
    assert vapid_public_key() == key and len(key) == 87  # 65 bytes, base64url without padding
    assert "=" not in key


def test_vapid_header_is_signed_once_per_origin_until_near_expiry(app):
    signer = VapidSigner(vapid_key(), "mailto:admin@territory.local")
    now = time.time()
    first = signer.authorization("https://fcm.googleapis.com", now)
    assert signer.authorization("https://fcm.googleapis.com", now + 3600) == first
    assert verify_vapid(first, "https://fcm.googleapis.com", now) is None
    other = signer.authorization("https://updates.push.services.mozilla.com", now)
    assert other != first and signer.signatures == 2
    # 12 h tokens are renewed in their last hour.
    assert signer.authorization("https://fcm.googleapis.com", now + 11.5 * 3600) != first
    assert signer.signatures == 3


def test_campaign_push_decrypts_to_the_text_with_valid_vapid_and_headers(app, territory, actor, push_service):
    people = make_citizens(territory, actor, 12, push_service=push_service)
    campaign = make_campaign(actor, channels=("push", "inbox"), title="Fresh bread", body="Warm croissants until 9.")
    run = delivery_runs.start_run(campaign, utcnow())

    received = push_service.received
    assert push_service.errors == []
    assert len(received) == 12 and {r.status for r in received} == {201}
    endpoints = {s.endpoint for s in db.session.scalars(select(PushSubscription))}
    assert {r.endpoint for r in received} == endpoints
    deliveries = {d.id: d for d in _deliveries(run.id)}
    for message in received:
        assert message.headers["Authorization"].startswith("vapid t=")
        assert verify_vapid(message.headers["Authorization"], push_service.origin) is None
        assert message.headers["TTL"] == str(app.config["PUSH_TTL_SECONDS"])
        assert message.headers["Urgency"] == "normal"
        assert message.headers["Content-Encoding"] == "aes128gcm"
        topic = message.topic
        assert topic and len(topic) <= 32 and topic == topic_for(topic)
        payload = message.json
        assert payload["title"] == "Fresh bread" and payload["body"] == "Warm croissants until 9."
        assert payload["tag"] == topic
        delivery_id = read_delivery_token(payload["click_url"].rsplit("/", 1)[1])
        assert delivery_id in deliveries and f"d{delivery_id}" == topic
        assert payload["click_url"].startswith("https://ville.example/")
        assert payload["url"] == f"https://ville.example/actors/{actor.slug}"
        assert payload["icon"] == "https://ville.example/icons/192.png"
        assert payload["open_url"].startswith("https://ville.example/") and payload["mute_url"].startswith("https://ville.example/")
        assert payload["actions_labels"] == {"open": "Open", "mute": "Mute this actor"}
    # One token for the whole campaign (one origin), not one per message.
    assert len({r.headers["Authorization"] for r in received}) == 1
    assert {d.status for d in deliveries.values()} == {"sent"}
    assert all(d.sent_at is not None and d.attempts == 1 for d in deliveries.values())
    assert run.status == "sent" and len(people) == 12


def test_alert_is_sent_with_high_urgency(app, territory, actor, push_service):
    make_citizens(territory, actor, 11, push_service=push_service)
    delivery_runs.start_run(make_campaign(actor, channels=("push",), is_alert=True), utcnow())
    assert {r.headers["Urgency"] for r in push_service.received} == {"high"}


def test_server_error_then_success_is_retried_with_backoff(app, territory, actor, push_service):
    people = make_citizens(territory, actor, 11, push_service=push_service)
    flaky = db.session.scalar(select(PushSubscription).where(PushSubscription.user_id == people[0].id))
    push_service.script(flaky.endpoint, [500, 503])
    run = delivery_runs.start_run(make_campaign(actor, channels=("push",)), utcnow())

    tries = push_service.received_for(flaky.endpoint)
    assert [r.status for r in tries] == [500, 503, 201]
    assert tries[1].at - tries[0].at >= 0.1 and tries[2].at - tries[1].at >= 0.2  # exponential
    assert len({r.topic for r in tries}) == 1  # the same Topic each time
    delivery = db.session.scalar(select(Delivery).where(Delivery.run_id == run.id, Delivery.user_id == people[0].id))
    assert delivery.status == "sent" and delivery.attempts == 3
    assert run.status == "sent"


def test_429_waits_for_retry_after(app, territory, actor, push_service):
    people = make_citizens(territory, actor, 11, push_service=push_service)
    busy = db.session.scalar(select(PushSubscription).where(PushSubscription.user_id == people[3].id))
    push_service.script(busy.endpoint, [(429, {"Retry-After": "2"})])
    run = delivery_runs.start_run(make_campaign(actor, channels=("push",)), utcnow())
    tries = push_service.received_for(busy.endpoint)
    assert [r.status for r in tries] == [429, 201]
    assert tries[1].at - tries[0].at >= 1.9
    delivery = db.session.scalar(select(Delivery).where(Delivery.run_id == run.id, Delivery.user_id == people[3].id))
    assert delivery.status == "sent"


def test_gone_subscription_is_deleted(app, territory, actor, push_service):
    people = make_citizens(territory, actor, 11, push_service=push_service)
    second = subscribe(people[0], push_service.make_subscription())  # a second device
    dead = db.session.scalar(
        select(PushSubscription).where(PushSubscription.user_id == people[1].id)
    )
    push_service.script(dead.endpoint, [410])
    push_service.script(second.endpoint, [404])
    run = delivery_runs.start_run(make_campaign(actor, channels=("push",)), utcnow())
    remaining = set(db.session.scalars(select(PushSubscription.id)))
    assert dead.id not in remaining and second.id not in remaining
    assert len(remaining) == 10
    by_user = {d.user_id: d for d in _deliveries(run.id)}
    assert by_user[people[1].id].status == "failed" and by_user[people[1].id].reason == "gone"
    assert by_user[people[0].id].status == "sent"  # the other device got it


@pytest.mark.parametrize("status", [400, 403, 413])
def test_client_errors_fail_without_retry(app, territory, actor, push_service, status):
    people = make_citizens(territory, actor, 11, push_service=push_service)
    sub = db.session.scalar(select(PushSubscription).where(PushSubscription.user_id == people[0].id))
    push_service.script(sub.endpoint, [status])
    run = delivery_runs.start_run(make_campaign(actor, channels=("push",)), utcnow())
    assert len(push_service.received_for(sub.endpoint)) == 1
    delivery = db.session.scalar(select(Delivery).where(Delivery.run_id == run.id, Delivery.user_id == people[0].id))
    assert (delivery.status, delivery.last_error) == ("failed", str(status))


def test_endpoint_not_on_the_allow_list_is_never_contacted(app, territory, actor, push_service):
    people = make_citizens(territory, actor, 11, push_service=push_service)
    with type(push_service)() as other:  # a second server, not allowed
        rogue = db.session.scalar(select(PushSubscription).where(PushSubscription.user_id == people[0].id))
        rogue.endpoint = other.make_subscription()["endpoint"]
        db.session.commit()
        run = delivery_runs.start_run(make_campaign(actor, channels=("push",)), utcnow())
        assert other.received == []
    assert len(push_service.received) == 10
    delivery = db.session.scalar(select(Delivery).where(Delivery.run_id == run.id, Delivery.user_id == people[0].id))
    assert (delivery.status, delivery.last_error) == ("failed", "host_not_allowed")


def test_endpoint_allow_list_rules():
    allowed = ("fcm.googleapis.com", ".push.services.mozilla.com")
    assert endpoint_allowed("https://fcm.googleapis.com/fcm/send/abc", allowed)
    assert endpoint_allowed("https://updates.push.services.mozilla.com/wpush/v2/x", allowed)
    assert not endpoint_allowed("http://fcm.googleapis.com/fcm/send/abc", allowed)  # https only
    assert not endpoint_allowed("https://fcm.googleapis.com:8443/x", allowed)
    assert not endpoint_allowed("https://evil.example/fcm.googleapis.com", allowed)
    assert not endpoint_allowed("https://fcm.googleapis.com.evil.example/x", allowed)
    assert not endpoint_allowed("https://user@fcm.googleapis.com/x", allowed)
    assert not endpoint_allowed("https://push.services.mozilla.com/x", allowed)  # sub-domains only
    assert not endpoint_allowed("http://127.0.0.1:8080/push/x", allowed)
    assert endpoint_allowed("http://127.0.0.1:8080/push/x", allowed, ("127.0.0.1:8080",))
    assert not endpoint_allowed("http://127.0.0.1:8081/push/x", allowed, ("127.0.0.1:8080",))


def test_payload_over_4kb_is_refused_without_a_request(app, push_service):
    from app.delivery.channels.push import PushRequest
    from app.webpush import signer

    sub = push_service.make_subscription()
    sender = PushSender(signer(), (), (push_service.netloc,))
    with sender:
        big, ok = (
            PushRequest(sub["endpoint"], sub["keys"]["p256dh"], sub["keys"]["auth"], b"x" * size)
            for size in (4000, 3000)
        )
        outcomes = sender.send([big, ok])
    assert [o.kind for o in outcomes] == ["failed", "sent"]
    assert outcomes[0].error == "payload_too_large"
    assert len(push_service.received) == 1 and push_service.received[0].payload == b"x" * 3000


def test_no_delivery_left_behind(app, territory, actor, push_service):
    make_citizens(territory, actor, 15, push_service=push_service)
    app.config["DELIVERY_BATCH_SIZE"] = 4  # several batches, several drains
    run = delivery_runs.start_run(make_campaign(actor, channels=("push", "inbox")), utcnow())
    counts = dict(db.session.execute(select(Delivery.status, func.count()).where(Delivery.run_id == run.id).group_by(Delivery.status)).all())
    assert counts == {"sent": 30}
    assert len(push_service.received) == 15 and len({r.topic for r in push_service.received}) == 15


def test_the_sender_judges_every_endpoint_as_the_allow_list_rules_do(app):
    # the sender decides once per scheme and host part; each endpoint must still get the verdict
    # endpoint_allowed gives it, in whatever order they come
    allowed, insecure = ("fcm.googleapis.com", ".push.services.mozilla.com"), ("127.0.0.1:8080",)
    endpoints = [
        "https://fcm.googleapis.com/fcm/send/abc",
        "https://fcm.googleapis.com/fcm/send/abc#fragment",
        "https://FCM.googleapis.com/fcm/send/def",
        "https://fcm.googleapis.com:443/fcm/send/ghi",
        "https://fcm.googleapis.com:8443/x",
        "https://fcm.googleapis.com:99999/x",
        "https://user@fcm.googleapis.com/x",
        "https://user:pw@fcm.googleapis.com/x",
        "http://fcm.googleapis.com/fcm/send/abc",
        "https://fcm.googleapis.com.evil.example/x",
        "https://evil.example/fcm.googleapis.com",
        "https://updates.push.services.mozilla.com/wpush/v2/x",
        "https://push.services.mozilla.com/x",
        "http://127.0.0.1:8080/push/x",
        "http://127.0.0.1:8080/push/x#y",
        "http://127.0.0.1:8081/push/x",
        "https://[::1/x",
        "ftp://fcm.googleapis.com/x",
    ]
    expected = {e: endpoint_allowed(e, allowed, insecure) for e in endpoints}
    assert sum(expected.values()) == 5
    for order in (endpoints, endpoints[::-1]):
        sender = PushSender(signer(), allowed, insecure)
        for endpoint in order:
            origin = sender._allowed_origin(endpoint)
            assert (origin is not None) == expected[endpoint], endpoint
            if origin is not None:
                assert endpoint.lower().startswith(origin)
