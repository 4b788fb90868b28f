"""A run's push payloads are written from a template made once per language (PayloadTemplate):
the same bytes as build_payload's for every delivery; the delivery tokens are itsdangerous's own,
made with the signer's key derived once; the links of a payload really sent work on the site."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import select

from app.delivery import runs as delivery_runs
from app.delivery.channels import Item, Message
from app.delivery.channels.push import PayloadTemplate, action_labels, build_payload
from app.delivery.tokens import delivery_token, read_delivery_token
from app.extensions import db
from app.models_common import utcnow
from app.notifications.models import Mute, PushSubscription
from tests.delivery.conftest import make_campaign, make_citizens

DELIVERY_IDS = (1, 42, 98_765, 10**12 + 7)


def _message(is_alert: bool, base_url: str = "https://ville.example") -> Message:
    return Message(
        campaign_id=7, run_id=9, actor_id=3, actor_name="Comité des fêtes",
        title='Marché de Noël "ce samedi" \\ 10 h–20 h \u2028 <b>',
        body="Chalets, vin chaud\net chorale 🎄 — l'école\t«port»",
        link=f"{base_url}/actors/comite", is_alert=is_alert, territory_id=1, territory_name="La Ciotat",
        base_url=base_url, icon_url=f"{base_url}/icons/192.png", badge_url=f"{base_url}/icons/192.png",
    )


@pytest.mark.parametrize("is_alert", [False, True])
@pytest.mark.parametrize("language", ["fr", "nl", "en"])
def test_templated_payload_is_build_payloads_byte_for_byte(app, language, is_alert):
    message = _message(is_alert)
    labels = action_labels(language)
    template = PayloadTemplate(message, labels)
    for delivery_id in DELIVERY_IDS:
        item = Item(delivery_id, 5, "push", 1, message, language)
        expected = build_payload(item, labels)
        assert template.payload(item) == expected
        data = json.loads(expected)
        assert data["tag"] == f"d{delivery_id}" and data.get("alert", False) is is_alert
        assert data["title"] == message.title and data["actions_labels"] == labels


def test_templated_payload_follows_the_territorys_address(app):
    message = _message(False, base_url="http://ville.example:8080")
    labels = action_labels("fr")
    item = Item(12, 5, "push", 1, message, "fr")
    payload = PayloadTemplate(message, labels).payload(item)
    assert payload == build_payload(item, labels)
    assert json.loads(payload)["open_url"].startswith("http://ville.example:8080/")


def test_delivery_token_is_itsdangerous_own_and_reads_back(app):
    serializer = URLSafeSerializer(app.config["SECRET_KEY"], salt="delivery-token")
    for delivery_id in (*DELIVERY_IDS, 2**63 - 1):
        token = delivery_token(delivery_id)
        assert token == serializer.dumps(delivery_id)
        assert read_delivery_token(token) == delivery_id
    assert read_delivery_token(URLSafeSerializer("another key", salt="delivery-token").dumps(42)) is None


def test_delivery_token_follows_a_new_secret_key(app):
    before = delivery_token(42)
    app.config["SECRET_KEY"] = "a rotated secret key for this test"
    after = delivery_token(42)
    assert after != before and read_delivery_token(after) == 42 and read_delivery_token(before) is None
    assert after == URLSafeSerializer(app.config["SECRET_KEY"], salt="delivery-token").dumps(42)


def test_links_of_a_push_really_sent_open_click_and_mute(app, client, territory, actor, push_service):
    person = make_citizens(territory, actor, 11, push_service=push_service)[0]
    delivery_runs.start_run(make_campaign(actor, channels=("push",)), utcnow())
    endpoint = db.session.scalar(select(PushSubscription.endpoint).where(PushSubscription.user_id == person.id))
    payload = next(r.json for r in push_service.received if r.endpoint == endpoint)
    base = "https://ville.example"

    def path(url: str) -> str:
        assert url.startswith(base + "/")
        return urlsplit(url).path

    assert client.post(path(payload["open_url"]), base_url=base).status_code == 204
    click = client.get(path(payload["click_url"]), base_url=base)
    assert click.status_code == 303 and click.headers["Location"] == f"/actors/{actor.slug}"
    mute = client.post(path(payload["mute_url"]), base_url=base, headers={"Sec-Fetch-Dest": "empty"})
    assert mute.status_code == 204
    assert db.session.scalar(select(Mute.id).where(Mute.user_id == person.id, Mute.actor_id == actor.id))

