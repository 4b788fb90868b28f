"""The town's "open now" page: the shops and services open at this moment (with their closing
time) and those opening later today, filtered by kind and hashtag, on a list that needs no
JavaScript and a map that near.js draws from the list's data attributes."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from app.actors import hours, routes_open_now
from app.actors.models import Actor
from app.extensions import db
from tests.factories import make_actor, make_hashtag, make_territory

# Monday 3 June 2024, 10:00 in Paris (UTC+2).
NOW = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)


@pytest.fixture
def town(app, monkeypatch):
    monkeypatch.setattr(routes_open_now, "utcnow", lambda: NOW)
    territory = make_territory(timezone="Europe/Paris")
    bread = make_hashtag(territory, "pain")
    bakery = make_actor(territory, "Boulangerie du Port", lat=43.175, lon=5.604, address="1 quai du Port")
    bakery.opening_hours = {"mon": [["07:00", "19:00"]]}
    bakery.hashtags = [bread]
    library = make_actor(territory, "Médiathèque", kind="town_service", lat=43.176, lon=5.605)
    library.opening_hours = {"mon": [["14:00", "18:00"]]}
    florist = make_actor(territory, "Fleuriste", lat=43.177, lon=5.606)
    florist.opening_hours = {"mon": [["08:00", "12:00"]]}
    hours.add_exception(florist, date(2024, 6, 3), date(2024, 6, 3), "Inventaire")
    pending = make_actor(territory, "Pas encore vérifié", status="pending")
    pending.opening_hours = {"mon": [["00:00", "00:00"]]}
    other = make_actor(make_territory("b", "Town B", hosts=("b.localhost",)), "Ailleurs")
    other.opening_hours = {"mon": [["00:00", "00:00"]]}
    db.session.commit()
    return territory


def test_open_now_lists_who_is_open_with_closing_and_opening_times(client, town):
    response = client.get("/open-now", headers={"Accept-Language": "en"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    open_part, later_part = body.split("Opening later today")
    assert "Boulangerie du Port" in open_part and "closes at 7:00" in open_part
    assert "Médiathèque" in later_part and "opens at 2:00" in later_part
    assert "Fleuriste" not in body  # closed for its inventory today
    assert "Pas encore vérifié" not in body and "Ailleurs" not in body
    # The map's markers come from the list: the open bakery carries its point.
    assert re.search(r'data-lat="43\.17500"[^>]*data-lon="5\.60400"', body)
    assert "data-near-map" in body and "<script>" not in body


def test_open_now_filters_by_kind_and_hashtag(client, town):
    by_kind = client.get("/open-now?kind=town_service").get_data(as_text=True)
    assert "Boulangerie du Port" not in by_kind and "Médiathèque" in by_kind
    by_tag = client.get("/open-now?tag=pain").get_data(as_text=True)
    assert "Boulangerie du Port" in by_tag and "Médiathèque" not in by_tag
    unknown = client.get("/open-now?kind=nope&tag=nope")
    assert unknown.status_code == 200 and "Boulangerie du Port" in unknown.get_data(as_text=True)


def test_open_now_is_linked_from_near_me_and_the_navigation(client, town):
    assert 'href="/open-now"' in client.get("/near").get_data(as_text=True)
    assert 'href="/open-now"' in client.get("/").get_data(as_text=True)


def test_open_now_shows_what_a_shop_declares(client, town):
    bakery = db.session.scalar(select(Actor).where(Actor.territory_id == town.id, Actor.name == "Boulangerie du Port"))
    bakery.click_and_collect = True
    bakery.click_and_collect_note = "Commandes jusqu'à 17 h"
    db.session.commit()
    body = client.get("/open-now", headers={"Accept-Language": "en"}).get_data(as_text=True)
    open_part, later_part = body.split("Opening later today")
    assert 'data-commerce="click-and-collect"' in open_part and 'data-commerce="delivery"' not in body
    assert "Commandes jusqu" not in body  # the note is on the shop's own page, not the list
