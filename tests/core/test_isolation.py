"""Tenant isolation, route by route: every route that takes an object's id or slug answers 404
when that object belongs to another territory — even to that territory's own admin acting as an
actor — while the same URL on the object's own host reaches it."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from werkzeug.routing import Rule

from app.accounts.models import Consent
from app.campaigns.models import Campaign
from app.extensions import db
from app.media.models import Media
from app.notifications.models import InboxItem
from app.places.models import KioskToken
from tests.factories import (
    login_as,
    make_actor,
    make_hashtag,
    make_member,
    make_neighbourhood,
    make_publication,
    make_territory,
    make_user,
)

HOST_A = "http://localhost"
HOST_B = "http://b.localhost"
# Parameters that are not objects of a territory (sizes of icons, one-time tokens...).
NOT_OBJECT_PARAMS = {"size", "token", "filename", "path", "kind", "step"}


def _world():
    a = make_territory("a", "Town A", hosts=("localhost",))
    b = make_territory("b", "Town B", hosts=("b.localhost",))
    worlds = {}
    for territory in (a, b):
        admin = make_user(territory, f"admin@{territory.slug}.test", is_admin=True)
        actor = make_actor(territory, f"Shop {territory.slug}")
        membership = make_member(admin, actor, "owner")
        consent = Consent(user_id=admin.id, purpose="profile_targeting")
        db.session.add(consent)
        tag = make_hashtag(territory, f"bio{territory.slug}")
        hood = make_neighbourhood(territory, f"Centre {territory.slug}")
        publication = make_publication(actor, f"Offer {territory.slug}", kind="offer", hashtags=[tag])
        media = Media(territory_id=territory.id, content_type="image/webp", data=b"RIFF0000WEBP", width=1, height=1)
        db.session.add(media)
        inbox_item = InboxItem(user_id=admin.id, territory_id=territory.id, title=f"Message {territory.slug}")
        db.session.add(inbox_item)
        campaign = Campaign(territory_id=territory.id, actor_id=actor.id, title=f"Campaign {territory.slug}")
        db.session.add(campaign)
        kiosk = KioskToken(territory_id=territory.id, actor_id=actor.id, token_hash=f"{territory.slug:0>64}")
        db.session.add(kiosk)
        db.session.commit()
        worlds[territory.slug] = {
            "admin": admin,
            "actor": actor,
            "ids": {
                "publication_id": publication.id,
                "actor_id": actor.id,
                "media_id": media.id,
                "hashtag_id": tag.id,
                "neighbourhood_id": hood.id,
                "user_id": admin.id,
                "membership_id": membership.id,
                "consent_id": consent.id,
                "inbox_item_id": inbox_item.id,
                "campaign_id": campaign.id,
                "kiosk_id": kiosk.id,
                "slug": actor.slug,
                "actor_slug": actor.slug,
            },
        }
    return worlds


def _object_rules(app: Flask) -> list[Rule]:
    rules = []
    for rule in app.url_map.iter_rules():
        params = set(rule.arguments)
        if rule.endpoint == "static" or not params or params & NOT_OBJECT_PARAMS:
            continue
        rules.append(rule)
    return rules


def _csrf(client, host: str) -> str:
    html = client.get("/", base_url=host).get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "every page carries the CSRF token"
    return match.group(1)


def test_object_routes_exist_to_be_checked(app):
    assert len(_object_rules(app)) >= 5


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_every_object_route_is_404_through_another_territory(app, method):
    worlds = _world()
    rules = [r for r in _object_rules(app) if method in (r.methods or set())]
    unknown = {p for r in rules for p in r.arguments if p not in worlds["b"]["ids"]}
    assert not unknown, f"teach this test which object fills {unknown}"

    client_a = app.test_client()
    login_as(client_a, worlds["a"]["admin"], acting_actor=worlds["a"]["actor"])
    token_a = _csrf(client_a, HOST_A)
    client_b = app.test_client()
    login_as(client_b, worlds["b"]["admin"], acting_actor=worlds["b"]["actor"])

    checked = 0
    for rule in rules:
        values = {p: worlds["b"]["ids"][p] for p in rule.arguments}
        with app.test_request_context(base_url=HOST_A):
            from flask import url_for

            url = url_for(rule.endpoint, **values)
        if method == "GET":
            response = client_a.get(url, base_url=HOST_A)
            own = client_b.get(url, base_url=HOST_B)
            assert own.status_code != 404, f"{rule.rule} should reach the object on its own host"
        else:
            response = client_a.post(url, base_url=HOST_A, headers={"X-CSRFToken": token_a}, data={})
        assert response.status_code == 404, f"{method} {rule.rule} through territory A gave {response.status_code}"
        assert "Shop b" not in response.get_data(as_text=True)
        checked += 1
    assert checked > 0


def test_session_of_one_territory_logs_nobody_in_at_another(app):
    worlds = _world()
    client = app.test_client()
    login_as(client, worlds["a"]["admin"])
    page_a = client.get("/", base_url=HOST_A).get_data(as_text=True)
    assert "admin@a.test" in page_a or worlds["a"]["admin"].display_name in page_a
    # The same cookie sent to territory B's host: anonymous there.
    cookie = client.get_cookie("session", domain="localhost")
    assert cookie is not None
    other = app.test_client()
    other.set_cookie("session", cookie.value, domain="b.localhost")
    page_b = other.get("/", base_url=HOST_B).get_data(as_text=True)
    assert "admin@a.test" not in page_b
    assert 'action="/logout"' not in page_b
