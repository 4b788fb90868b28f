"""The tourism office's screen: links created and revoked by the office, large content with QR
codes, scoped to its territory, never any personal data."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.extensions import db
from app.kiosks.models import KioskToken
from app.models_common import utcnow
from tests.factories import (
    login_as,
    make_actor,
    make_member,
    make_publication,
    make_territory,
    make_user,
)
from tests.places.conftest import FAR_BEACH, HARBOUR
from tests.support.csrf import csrf_from, csrf_token

LINK = re.compile(r'<a class="kiosk-link" href="http://localhost(/kiosk/[^"]+)">')


@pytest.fixture
def office(town):  # type: ignore[no-untyped-def]
    actor = make_actor(town.territory, "Office de Tourisme", kind="tourism_office", lat=HARBOUR[0], lon=HARBOUR[1])
    member = make_user(town.territory, email="agent.secret@office.example", display_name="Dominique Agent", language="en")
    make_member(member, actor)
    return actor, member


def log_in_on_host(client, user, actor, base_url: str) -> None:  # type: ignore[no-untyped-def]
    """``login_as`` for another host name: the session cookie is set for that host."""
    import hashlib
    import secrets

    from app.accounts.models import AuthSession

    token = secrets.token_urlsafe(32)
    db.session.add(AuthSession(token_hash=hashlib.sha256(token.encode()).hexdigest(), user_id=user.id,
                               territory_id=user.territory_id, acting_actor_id=actor.id))
    db.session.commit()
    with client.session_transaction(base_url=base_url) as session:
        session["_user_id"] = token
        session["_fresh"] = True


def create_link(client, label: str = "Window") -> str:  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/manage/screens")
    response = client.post("/manage/screens", data={"csrf_token": token, "label": label})
    assert response.status_code == 201
    match = LINK.search(response.get_data(as_text=True))
    assert match, "the new link is shown once"
    return match.group(1)


def test_office_member_creates_a_screen_that_shows_offers_and_events_with_qr_codes(client, town, office):
    actor, member = office
    now = utcnow()
    shop = make_actor(town.territory, "Glacier du Port", lat=HARBOUR[0], lon=HARBOUR[1] + 0.001)
    offer = make_publication(shop, "Two scoops for one", kind="offer", summary="Until 7 pm")
    make_publication(actor, "Guided walk", kind="event", starts_at=now + timedelta(hours=1), ends_at=now + timedelta(hours=3))
    make_publication(shop, "A news item", kind="news")
    login_as(client, member, acting_actor=actor)
    assert b"/manage/screens" in client.get("/manage/publications").data  # in the office's navigation
    path = create_link(client)
    stored = db.session.query(KioskToken).one()
    assert stored.label == "Window" and path.rsplit("/", 1)[1] not in stored.token_hash
    screen = client.application.test_client().get(path)  # the screen's browser: no log-in
    assert screen.status_code == 200
    html = screen.get_data(as_text=True)
    assert "Two scoops for one" in html and "Guided walk" in html and "A news item" not in html
    assert html.count('<svg width=') == 2 and html.count('class="segno"') == 2
    assert html.count('aria-label="QR code to open it on a phone"') == 2
    assert offer.summary in html
    assert 'hx-trigger="every 60s"' in html
    assert '"responseHandling": [{"code": "200", "swap": true}, {"code": "...", "swap": false}]' in html
    assert "<script>" not in html and "style=" not in html
    items = client.get(path + "/items").get_data(as_text=True)
    assert "Two scoops for one" in items and "<html" not in items


def test_the_screen_never_shows_personal_data(client, town, office):
    actor, member = office
    make_publication(actor, "Guided walk", kind="event", starts_at=utcnow(), ends_at=utcnow() + timedelta(hours=2))
    login_as(client, member, acting_actor=actor)
    path = create_link(client)
    html = client.get(path).get_data(as_text=True)  # even opened from a logged-in browser
    for personal in ("agent.secret@office.example", "Dominique Agent", town.citizen.email, "Camille Tourist", "Log out"):
        assert personal not in html


def test_a_revoked_or_unknown_link_is_404(client, town, office):
    actor, member = office
    login_as(client, member, acting_actor=actor)
    path = create_link(client)
    assert client.get(path).status_code == 200
    token = db.session.query(KioskToken).one()
    page = client.get("/manage/screens").get_data(as_text=True)
    assert client.post(f"/manage/screens/{token.id}/revoke", data={"csrf_token": csrf_from(page)}).status_code == 303
    assert client.get(path).status_code == 404
    assert client.get(path + "/items").status_code == 404
    assert client.get("/kiosk/not-a-token").status_code == 404


def test_a_screen_link_is_404_on_another_territory(client, town, office):
    actor, member = office
    login_as(client, member, acting_actor=actor)
    path = create_link(client)
    make_territory("station", "Montgenèvre", hosts=("station.localhost",))
    assert client.get(path, base_url="http://station.localhost").status_code == 404


def test_only_a_tourism_office_has_screens_and_only_its_own(client, town, office):
    actor, member = office
    shop = make_actor(town.territory, "Glacier du Port", lat=FAR_BEACH[0], lon=FAR_BEACH[1])
    shopkeeper = make_user(town.territory, language="en")
    make_member(shopkeeper, shop)
    login_as(client, member, acting_actor=actor)
    create_link(client)
    token = db.session.query(KioskToken).one()
    other = client.application.test_client()
    login_as(other, shopkeeper, acting_actor=shop)
    assert other.get("/manage/screens").status_code == 404
    page = other.get("/manage/publications").get_data(as_text=True)
    assert other.post(f"/manage/screens/{token.id}/revoke", data={"csrf_token": csrf_from(page)}).status_code == 404
    db.session.refresh(token)
    assert token.revoked_at is None
    anonymous = client.application.test_client()
    assert anonymous.get("/manage/screens").status_code in (401, 302)


def test_another_territorys_screen_cannot_be_revoked(client, town, office):
    actor, member = office
    login_as(client, member, acting_actor=actor)
    create_link(client)
    token = db.session.query(KioskToken).one()
    station = make_territory("station", "Montgenèvre", hosts=("station.localhost",))
    station_office = make_actor(station, "Office de Montgenèvre", kind="tourism_office")
    station_member = make_user(station, language="en")
    make_member(station_member, station_office)
    other = client.application.test_client()
    log_in_on_host(other, station_member, station_office, "http://station.localhost")
    screens = other.get("/manage/screens", base_url="http://station.localhost")
    assert screens.status_code == 200  # logged in on their own town, as its tourism office
    page = screens.get_data(as_text=True)
    response = other.post(f"/manage/screens/{token.id}/revoke", data={"csrf_token": csrf_from(page)},
                          base_url="http://station.localhost")
    assert response.status_code == 404
    db.session.refresh(token)
    assert token.revoked_at is None
