"""What a receiver gets is a Standard Webhooks message: verified by the reference library."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from app.extensions import db
from app.models_common import utcnow
from app.publications import services as publication_services
from app.webhooks import sender, services
from app.webhooks.models import WebhookMessage


def test_published_publication_reaches_the_endpoint_signed(app, receiver, endpoint, actor):
    publication = publication_services.create_publication(actor, "news", title="Pain chaud", status="published")

    assert sender.send_due() == 1
    [got] = receiver.received
    assert got.headers["content-type"] == "application/json"
    payload = Webhook(endpoint.secret).verify(got.body, got.headers)
    assert payload["type"] == "publication.published"
    assert payload["data"]["id"] == publication.id
    message = db.session.get(WebhookMessage, got.headers["webhook-id"])
    assert message.id.startswith("msg_") and message.status == "delivered" and message.attempts == 1
    assert message.last_status_code == 204


def test_another_secret_does_not_verify(app, receiver, endpoint, actor):
    publication_services.create_publication(actor, "news", title="Pain chaud", status="published")
    sender.send_due()
    [got] = receiver.received
    other = services.create_endpoint(endpoint_territory(endpoint), receiver.url, "", ["poll.closed"])
    with pytest.raises(WebhookVerificationError):
        Webhook(other.secret).verify(got.body, got.headers)


def endpoint_territory(endpoint):
    from app.territories.models import Territory

    return db.session.get(Territory, endpoint.territory_id)


def test_the_secret_looks_like_a_standard_webhooks_secret(endpoint):
    import base64

    assert endpoint.secret.startswith("whsec_")
    assert len(base64.b64decode(endpoint.secret.removeprefix("whsec_"))) >= 24


def test_a_rotated_secret_signs_with_both_for_a_day(app, receiver, endpoint, actor):
    old = endpoint.secret
    new = services.rotate_secret(endpoint)
    assert new != old and new.startswith("whsec_")
    publication_services.create_publication(actor, "news", title="Marché", status="published")
    sender.send_due()
    [got] = receiver.received
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(got.body, got.headers)  # a receiver not yet switched
    Webhook(new).verify(got.body, got.headers)  # a receiver already switched

    later = utcnow() + timedelta(hours=25)
    assert sender.signing_secrets(endpoint, later) == [new]


def test_each_attempt_signs_the_same_body_under_the_same_id(app, receiver, endpoint, actor):
    receiver.answers = [(503, {})]
    publication_services.create_publication(actor, "news", title="Marché", status="published")
    now = utcnow()
    sender.send_due(now)
    sender.send_due(now + timedelta(seconds=6))
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    assert json.loads(second.body)["type"] == "publication.published"
