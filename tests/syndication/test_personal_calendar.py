"""The personal calendar: the events of the actors I follow and of my hashtags, behind a secret
link I can renew or turn off; nobody else's link works, and a revoked one is a 404."""

from __future__ import annotations

import logging
import re

from icalendar import Calendar

from app.accounts.models import UserHashtag
from app.extensions import db
from app.syndication.models import CalendarFeedToken
from tests.factories import login_as, make_follow, make_publication, make_user
from tests.support.csrf import csrf_token

_LINK = re.compile(r'value="(http://localhost/calendar/[^"]+\.ics)"')


def _make_link(client) -> str:  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/me/calendar")
    response = client.post("/me/calendar/new", data={"csrf_token": token})
    assert response.status_code == 303
    page = client.get("/me/calendar").get_data(as_text=True)
    match = _LINK.search(page)
    assert match, "the new link is shown"
    assert "Copy the link" in page
    return match.group(1).removeprefix("http://localhost")


def _titles(client, path: str) -> set[str]:  # type: ignore[no-untyped-def]
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert "private" in response.headers["Cache-Control"]
    return {str(event["SUMMARY"]) for event in Calendar.from_ical(response.data).walk("VEVENT")}


def test_my_calendar_holds_what_i_follow_and_my_hashtags(client, town):
    make_follow(town.citizen, town.club)
    db.session.add(UserHashtag(user_id=town.citizen.id, hashtag_id=town.bio.id))
    db.session.commit()
    make_publication(town.club, "Regatta", kind="event")
    make_publication(town.market, "Organic market", kind="event", hashtags=[town.bio])
    make_publication(town.market, "Flea market", kind="event")
    make_publication(town.club, "Club draft", kind="event", status="draft")
    login_as(client, town.citizen)
    path = _make_link(client)
    calendar_app = client.application.test_client()  # a calendar app: no session, just the link
    assert _titles(calendar_app, path) == {"Regatta", "Organic market"}
    body = calendar_app.get(path).get_data(as_text=True)
    assert town.citizen.email not in body and (town.citizen.display_name or "@@") not in body


def test_the_token_is_stored_hashed(client, town):
    login_as(client, town.citizen)
    path = _make_link(client)
    token = path.removeprefix("/calendar/").removesuffix(".ics")
    (row,) = db.session.query(CalendarFeedToken).all()
    assert row.token_hash != token and token not in row.token_hash and len(row.token_hash) == 64


def test_a_new_link_revokes_the_old_and_turning_off_revokes_all(client, town):
    make_follow(town.citizen, town.club)
    login_as(client, town.citizen)
    old = _make_link(client)
    new = _make_link(client)
    assert old != new
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    token = csrf_token(client, "/me/calendar")
    assert client.post("/me/calendar/off", data={"csrf_token": token}).status_code == 303
    assert client.get(new).status_code == 404
    assert db.session.query(CalendarFeedToken).count() == 0


def test_a_link_works_only_on_its_own_town_and_shows_only_its_owner(client, town):
    neighbour = make_user(town.territory, language="en")
    make_follow(neighbour, town.market)
    make_follow(town.citizen, town.club)
    make_publication(town.market, "Market day", kind="event")
    make_publication(town.club, "Regatta", kind="event")
    login_as(client, town.citizen)
    mine = _make_link(client)
    assert _titles(client, mine) == {"Regatta"}
    assert client.get(mine, base_url="http://aubagne.localhost").status_code == 404
    assert client.get("/calendar/not-a-token.ics").status_code == 404


def test_the_link_never_reaches_the_access_log(client, town, caplog):
    login_as(client, town.citizen)
    path = _make_link(client)
    with caplog.at_level(logging.INFO, logger="app.access"):
        client.get(path)
    token = path.removeprefix("/calendar/").removesuffix(".ics")
    assert "/calendar/<token>.ics" in caplog.text
    assert token not in caplog.text


def test_calendar_settings_need_login(client, town):
    response = client.get("/me/calendar")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
