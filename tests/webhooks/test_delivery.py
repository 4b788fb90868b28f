"""Retries with back-off, 410, refused addresses, a worker killed mid-send, the log's retention.
Time is given to the sender (``now``), never waited for."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models_common import utcnow
from app.webhooks import sender
from app.webhooks.events import send_test
from app.webhooks.models import WebhookEndpoint, WebhookMessage


def _queue_test(endpoint: WebhookEndpoint, now=None) -> WebhookMessage:
    message = send_test(endpoint, now=now)
    db.session.commit()
    return message


def _reload(message: WebhookMessage) -> WebhookMessage:
    db.session.expire_all()
    return db.session.get(WebhookMessage, message.id)


def test_a_server_error_is_retried_later_with_back_off(app, receiver, endpoint):
    receiver.answers = [(500, {}), (503, {})]
    now = utcnow()
    message = _queue_test(endpoint, now)

    sender.send_due(now)
    message = _reload(message)
    assert (message.status, message.attempts, message.last_status_code) == ("pending", 1, 500)
    assert message.next_attempt_at == now + timedelta(seconds=5)

    assert sender.send_due(now + timedelta(seconds=4)) == 0  # not due yet
    assert len(receiver.received) == 1
    sender.send_due(now + timedelta(seconds=5))
    message = _reload(message)
    assert (message.attempts, message.last_status_code) == (2, 503)
    assert message.next_attempt_at == now + timedelta(seconds=5 + 300)

    sender.send_due(now + timedelta(seconds=305))
    message = _reload(message)
    assert (message.status, message.attempts) == ("delivered", 3)
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1


def test_retry_after_is_honoured(app, receiver, endpoint):
    receiver.answers = [(429, {"Retry-After": "120"})]
    now = utcnow()
    message = _queue_test(endpoint, now)
    sender.send_due(now)
    assert _reload(message).next_attempt_at == now + timedelta(seconds=120)


def test_retries_end_after_about_three_days(app, receiver, endpoint):
    receiver.answers = [(500, {})] * sender.MAX_ATTEMPTS
    now = utcnow()
    message = _queue_test(endpoint, now)
    for _ in range(sender.MAX_ATTEMPTS + 2):
        sender.send_due(now)
        message = _reload(message)
        if message.status != "pending":
            break
        now = message.next_attempt_at
    assert (message.status, message.attempts) == ("failed", sender.MAX_ATTEMPTS)
    assert timedelta(days=2.5) < now - message.created_at < timedelta(days=3.5)


def test_gone_disables_the_endpoint_and_stops_what_waits(app, receiver, endpoint):
    receiver.answers = [(410, {})]
    now = utcnow()
    first = _queue_test(endpoint, now)
    sender.claim_due(now)  # first is claimed by this sender; the second arrives meanwhile
    second = _queue_test(endpoint, now)
    sender.send_claimed([first.id], now)

    db.session.expire_all()
    endpoint = db.session.get(WebhookEndpoint, endpoint.id)
    assert not endpoint.active and endpoint.disabled_reason == "gone"
    assert _reload(first).status == "gone" and _reload(second).status == "gone"
    assert sender.send_due(now + timedelta(days=1)) == 0
    assert len(receiver.received) == 1
    # Nothing new is recorded for a disabled endpoint.
    from app.webhooks.events import record

    assert record(endpoint.territory_id, "poll.closed", {"id": 1}) == []


def test_a_private_address_is_refused_at_send_time(app, receiver, territory):
    # Stored directly (as if its name had since resolved to the cloud's metadata service).
    endpoint = WebhookEndpoint(territory_id=territory.id, url="http://169.254.169.254/latest/meta-data",
                               event_types="poll.closed", secret="whsec_" + "A" * 32, active=True)
    db.session.add(endpoint)
    db.session.commit()
    message = _queue_test(endpoint)
    sender.send_due()
    message = _reload(message)
    assert message.status == "failed" and "private" in message.last_error
    endpoint = db.session.get(WebhookEndpoint, endpoint.id)
    assert not endpoint.active and endpoint.disabled_reason.startswith("refused:")
    assert receiver.received == []


def test_a_killed_worker_loses_no_webhook(app, receiver, endpoint):
    now = utcnow()
    message = _queue_test(endpoint, now)
    # A worker claims the message, then dies before sending or recording anything.
    assert sender.claim_due(now, lease_seconds=60) == [message.id]
    assert sender.claim_due(now + timedelta(seconds=30)) == []  # its lease still holds
    assert receiver.received == []

    later = now + timedelta(seconds=61)
    assert sender.send_due(later) == 1
    message = _reload(message)
    assert message.status == "delivered" and message.attempts == 2
    assert [r.headers["webhook-id"] for r in receiver.received] == [message.id]


def test_a_worker_killed_after_sending_sends_again_with_the_same_id(app, receiver, endpoint):
    now = utcnow()
    message = _queue_test(endpoint, now)
    [claimed] = sender.claim_due(now, lease_seconds=60)
    reloaded = db.session.get(WebhookMessage, claimed)
    sender.post(sender.prepare(db.session.get(WebhookEndpoint, endpoint.id), reloaded, now), now)  # never recorded
    sender.send_due(now + timedelta(seconds=61))
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert ids == [message.id, message.id]  # the receiver deduplicates on webhook-id


def test_the_periodic_requeue_sends_what_a_lost_wake_up_left(app, receiver, endpoint):
    from app.webhooks.tasks import requeue_webhooks

    _queue_test(endpoint)
    assert requeue_webhooks.call_local() is True
    assert len(receiver.received) == 1
    assert requeue_webhooks.call_local() is False


def test_the_log_keeps_thirty_days(app, receiver, endpoint):
    now = utcnow()
    old = _queue_test(endpoint, now - timedelta(days=31))
    sender.send_due(now)
    waiting = _queue_test(endpoint, now - timedelta(days=31))
    db.session.get(WebhookMessage, waiting.id).next_attempt_at = now + timedelta(hours=1)
    recent = _queue_test(endpoint, now - timedelta(days=1))
    db.session.commit()
    assert sender.prune(now) == 1
    left = set(db.session.scalars(select(WebhookMessage.id)))
    assert left == {waiting.id, recent.id} and old.id not in left


def test_a_queue_that_cannot_be_reached_does_not_undo_the_change(app, endpoint, actor, caplog):
    from app.publications import services as publication_services
    from app.webhooks import events

    def unreachable() -> None:
        raise ConnectionError("queue down")

    previous = list(events._wakers)
    events.use_waker(unreachable)
    try:
        publication = publication_services.create_publication(actor, "news", title="Pain", status="published")
    finally:
        events._wakers[:] = previous
    assert publication.id is not None
    assert db.session.scalar(select(WebhookMessage.status)) == "pending"  # the periodic requeue sends it
    assert "not woken" in caplog.text
