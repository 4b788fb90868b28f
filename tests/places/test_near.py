"""Near me: what is open, on offer and on today, nearest first, without JavaScript."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from app import geo
from app.extensions import db
from app.models_common import utcnow
from app.places import live
from tests.factories import (
    login_as,
    make_actor,
    make_hashtag,
    make_neighbourhood,
    make_publication,
    make_territory,
)
from tests.places.conftest import FAR_BEACH, HARBOUR, MARKET_SQUARE, square

ALWAYS_OPEN = {day: [["00:00", "00:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def titles(html: str) -> list[str]:
    return re.findall(r'<h2 class="card-title near-title"><a href="[^"]+">([^<]+)</a>', html)


def build_town(town):  # type: ignore[no-untyped-def]
    now = utcnow()
    glace = make_hashtag(town.territory, "gastronomie")
    port = make_actor(town.territory, "Glacier du Port", lat=HARBOUR[0], lon=HARBOUR[1])
    port.opening_hours = ALWAYS_OPEN
    beach = make_actor(town.territory, "Club de Plage", lat=FAR_BEACH[0], lon=FAR_BEACH[1])
    closed = make_actor(town.territory, "Closed Shop", lat=MARKET_SQUARE[0], lon=MARKET_SQUARE[1])
    closed.opening_hours = {}
    db.session.commit()
    make_publication(port, "Two scoops for one", kind="offer", hashtags=[glace])
    make_publication(beach, "Beach volley tonight", kind="event", starts_at=now - timedelta(minutes=30),
                     ends_at=now + timedelta(hours=2))
    make_publication(beach, "Next month's regatta", kind="event")  # not today
    make_publication(beach, "Expired offer", kind="offer", valid_until=now - timedelta(hours=1))
    make_publication(port, "Market on the square", kind="event", lat=MARKET_SQUARE[0], lon=MARKET_SQUARE[1],
                     starts_at=now, ends_at=now + timedelta(hours=3))
    return glace


def test_near_a_picked_point_lists_what_is_on_nearest_first_without_javascript(client, town):
    build_town(town)
    html = client.get(f"/near?lat={HARBOUR[0]}&lon={HARBOUR[1]}").get_data(as_text=True)
    assert titles(html) == ["Two scoops for one", "Glacier du Port", "Market on the square", "Beach volley tonight"]
    assert "Around the point you picked." in html
    html = client.get(f"/near?lat={FAR_BEACH[0]}&lon={FAR_BEACH[1]}").get_data(as_text=True)
    assert titles(html)[0] == "Beach volley tonight"
    assert "Closed Shop" not in html and "regatta" not in html and "Expired offer" not in html
    assert '<form class="near-form" method="get" action="/near">' in html


def test_near_filters_by_hashtag(client, town):
    build_town(town)
    html = client.get(f"/near?lat={HARBOUR[0]}&lon={HARBOUR[1]}&tag=gastronomie").get_data(as_text=True)
    assert titles(html) == ["Two scoops for one"]


def test_near_from_a_neighbourhood_and_from_the_live_cell(client, town):
    build_town(town)
    hood = make_neighbourhood(town.territory, "Plage")
    hood.geojson = json.dumps(square(FAR_BEACH[1], FAR_BEACH[0], 0.002))
    db.session.commit()
    html = client.get(f"/near?neighbourhood={hood.id}").get_data(as_text=True)
    assert "Around the centre of Plage." in html
    assert titles(html)[0] == "Beach volley tonight"
    live.turn_on_live_location(town.citizen)
    live.check_in(town.citizen, town.territory, *HARBOUR)
    login_as(client, town.citizen)
    html = client.get("/near?from=live").get_data(as_text=True)
    assert "Around your current position (approximate)." in html
    assert titles(html)[:2] == ["Two scoops for one", "Glacier du Port"]
    # The page shows the cell's centre, never a precise point of the person.
    lat, lon = geo.cell_centre(geo.cell_of(*HARBOUR))
    assert f'data-lat="{lat:.5f}"' in html


def test_a_point_outside_the_town_is_explained(client, town):
    html = client.get("/near?lat=43.3&lon=5.4").get_data(as_text=True)
    assert "This point is outside La Ciotat." in html
    assert "Around the centre of La Ciotat." in html


def test_map_tiles_are_allowed_by_the_csp_only_for_the_territory_that_set_them(client, town):
    town.territory.tile_url = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    db.session.commit()
    make_territory("station", "Montgenèvre", hosts=("station.localhost",))
    own = client.get("/near")
    assert "img-src 'self' data: blob: https://tile.openstreetmap.org;" in own.headers["Content-Security-Policy"]
    assert 'data-tile-url="https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in own.get_data(as_text=True)
    other = client.get("/near", base_url="http://station.localhost")
    assert "openstreetmap" not in other.headers["Content-Security-Policy"]
    assert 'data-tile-url=""' in other.get_data(as_text=True)


def test_admin_sets_the_tile_url_and_a_bad_one_is_explained(client, town):
    from tests.factories import make_user
    from tests.support.csrf import csrf_token

    admin = make_user(town.territory, is_admin=True, language="en")
    login_as(client, admin)
    token = csrf_token(client, "/admin/settings")
    data = {"csrf_token": token, "name": "La Ciotat", "primary_color": "#0b5fa5", "accent_color": "#e4572e",
            "timezone": "Europe/Paris", "default_language": "fr", "enabled_languages": ["fr", "en"],
            "hosts": "localhost", "tile_url": "http://tiles.example/{z}/{x}/{y}.png"}
    bad = client.post("/admin/settings", data=data)
    assert bad.status_code == 422
    assert "Use an https address with {z}, {x} and {y}" in bad.get_data(as_text=True)
    data["tile_url"] = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert client.post("/admin/settings", data=data).status_code == 303
    db.session.refresh(town.territory)
    assert town.territory.tile_url == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


@pytest.mark.parametrize(("language", "near", "far"), [("fr", "350 m", "1,2 km"), ("nl", "350 m", "1,2 km"),
                                                       ("en", "350 m", "1.2 km")])
def test_distances_are_written_the_way_of_the_persons_language(app, language, near, far):
    from flask_babel import force_locale

    from app.places.routes import distance_label

    with app.test_request_context(), force_locale(language):
        assert distance_label(347) == near and distance_label(1234) == far
        assert distance_label(12_345) == ("12.3 km" if language == "en" else "12,3 km")


def test_near_from_ones_own_neighbourhood_follows_a_redrawn_area_at_once(client, town):
    """The neighbourhood is kept per process (app.places.near) while the feed data holds: a
    redrawn area moves the origin at the next request."""
    from sqlalchemy import event

    build_town(town)
    hood = make_neighbourhood(town.territory, "Plage")
    hood.geojson = json.dumps(square(FAR_BEACH[1], FAR_BEACH[0], 0.002))
    town.citizen.neighbourhood_id = hood.id
    db.session.commit()
    login_as(client, town.citizen)
    assert titles(client.get("/near").get_data(as_text=True))[0] == "Beach volley tonight"
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    for _attempt in range(2):  # kept for a minute at most: again if one ended meanwhile
        client.get("/near")
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            html = client.get("/near").get_data(as_text=True)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        if not any("FROM neighbourhood" in s for s in statements):
            break
    assert "Around the centre of Plage." in html
    assert not any("FROM neighbourhood" in s for s in statements)  # kept

    hood.geojson = json.dumps(square(HARBOUR[1], HARBOUR[0], 0.002))
    db.session.commit()
    html = client.get("/near").get_data(as_text=True)
    assert titles(html)[:2] == ["Two scoops for one", "Glacier du Port"]


def test_which_places_are_open_is_worked_out_once_a_minute_and_only_the_shown_are_loaded(app, town):
    """Near me ranks the open places from narrow rows kept for the minute (the same for
    everyone); it loads only the places it shows, and an actor's new hours count at once."""
    from sqlalchemy import event

    from app.places.near import Origin, near_items

    build_town(town)
    shops = []
    for index in range(6):
        shop = make_actor(town.territory, f"Shop {index}", lat=HARBOUR[0] + 0.001 * (index + 1), lon=HARBOUR[1])
        shop.opening_hours = ALWAYS_OPEN
        shops.append(shop)
    db.session.commit()
    origin = Origin(HARBOUR[0], HARBOUR[1], "point")
    now = utcnow()
    first = [item.title for item in near_items(town.territory, origin, now, limit=3)]
    assert first == ["Two scoops for one", "Glacier du Port", "Shop 0"]

    statements: list[tuple[str, object]] = []
    listener = lambda *args: statements.append((args[2], args[3]))  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        again = [item.title for item in near_items(town.territory, origin, now, limit=3)]
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert again == first
    assert not any("actor_hours_exception" in s for s, _p in statements)  # kept: not worked out again
    loads = [parameters for s, parameters in statements if s.lstrip().startswith("SELECT actor.id")]
    assert len(loads) == 1 and len(loads[0]) == 2  # the two places shown, in one query

    shops[0].opening_hours = {}  # closed from now on
    db.session.commit()
    assert [item.title for item in near_items(town.territory, origin, now, limit=3)][2] == "Shop 1"
