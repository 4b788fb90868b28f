"""Live location: opt-in, only a coarse cell, overwritten, gone after 60 minutes or at once on
withdrawal; refused without consent or outside the town, with nothing stored."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import func, select, text

from app import geo
from app.accounts import consents
from app.accounts.models import Consent
from app.extensions import db
from app.models import Base
from app.models_common import utcnow
from app.places import live
from app.places.models import LiveCell
from app.places.tasks import purge_live_cells
from tests.places.conftest import (
    FAR_BEACH,
    HARBOUR,
    MARKET_SQUARE,
    OUTSIDE,
    post_position,
    square,
)
from tests.support.csrf import csrf_from, csrf_token


def live_rows() -> list[dict]:
    return [dict(row._mapping) for row in db.session.execute(text("SELECT * FROM live_cell"))]


def turn_on(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/near/location")
    assert b"What is kept" in page.data  # the purpose is explained before anything is asked
    response = client.post("/near/location", data={"csrf_token": csrf_from(page.get_data(as_text=True)), "action": "on"})
    assert response.status_code == 303


def test_the_purpose_is_explained_before_the_consent_is_given(citizen_client, town):
    page = citizen_client.get("/near/location").get_data(as_text=True)
    assert "Live location is off." in page
    assert "never the exact position" in page
    assert "Turn live location on" in page
    assert db.session.scalar(select(func.count()).select_from(Consent)) == 0


def test_stored_position_is_the_coarse_cell_never_the_coordinates(citizen_client, town, caplog):
    turn_on(citizen_client)
    caplog.set_level(logging.DEBUG)
    response = post_position(citizen_client, *MARKET_SQUARE)
    assert response.status_code == 200
    rows = live_rows()
    assert len(rows) == 1
    row = rows[0]
    assert set(row) == {"user_id", "territory_id", "cell", "seen_at"}
    assert row["user_id"] == town.citizen.id and row["territory_id"] == town.territory.id
    assert row["cell"] == geo.cell_of(*MARKET_SQUARE) == geo.cell_of(43.1753, 5.6052)
    # The cell's centre is not the point sent.
    centre = geo.cell_centre(row["cell"])
    assert centre != MARKET_SQUARE
    # No column of any table holds the coordinates sent, nor does the log.
    needles = ("43.175", "5.604", "5.605")
    for table in Base.metadata.sorted_tables:
        for values in db.session.execute(select(table)):
            assert not any(n in str(v) for v in values for n in needles), table.name
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert not any(n in logged for n in needles)


def test_a_new_check_in_replaces_the_previous_cell(citizen_client, town):
    turn_on(citizen_client)
    token = csrf_token(citizen_client, "/near")
    post_position(citizen_client, *MARKET_SQUARE, token=token)
    assert post_position(citizen_client, *FAR_BEACH, token=token).status_code == 200
    rows = live_rows()
    assert [r["cell"] for r in rows] == [geo.cell_of(*FAR_BEACH)]


def test_check_in_without_consent_is_refused_and_nothing_is_stored(citizen_client, town):
    response = post_position(citizen_client, *MARKET_SQUARE)
    assert response.status_code == 403
    assert "Turn live location on first" in response.get_json()["error"]
    assert live_rows() == []


def test_check_in_outside_the_town_or_with_bad_numbers_is_422_and_nothing_is_stored(citizen_client, town):
    turn_on(citizen_client)
    token = csrf_token(citizen_client, "/near")
    response = post_position(citizen_client, *OUTSIDE, token=token)
    assert response.status_code == 422
    assert "outside La Ciotat" in response.get_json()["error"]
    for lat, lon in (("abc", 5.6), (None, 5.6), (95, 5.6), (43.17, 200), ("nan", "5.6"), (True, 5.6)):
        bad = post_position(citizen_client, lat, lon, token=token)
        assert bad.status_code == 422, (lat, lon)
        assert bad.get_json()["error"]
    not_json = citizen_client.post("/near/checkin", data="lat=1", headers={"X-CSRFToken": token})
    assert not_json.status_code == 422
    assert live_rows() == []


def test_check_in_needs_a_login_and_the_csrf_header(client, town):
    assert post_position(client, *MARKET_SQUARE).status_code == 401
    assert client.post("/near/checkin", json={"lat": 43.17, "lon": 5.6}).status_code == 400
    assert live_rows() == []


def body_tag(client, path: str = "/") -> str:  # type: ignore[no-untyped-def]
    html = client.get(path).get_data(as_text=True)
    return html[html.index("<body"):].split(">", 1)[0]


def test_every_page_loads_location_js_and_says_on_its_body_whether_live_location_is_on(
    client, citizen_client, town
):
    """Logging in by the form keeps the anonymous page's <head>: the script must be in it, and
    what it acts on is on the <body> of every page (app.js copies it after a boosted swap)."""
    anonymous = client.get("/").get_data(as_text=True)
    assert "/static/js/location.js?v=" in anonymous.split("</head>", 1)[0]
    assert 'data-live-location="off"' in body_tag(client)
    assert 'data-checkin-url="/near/checkin"' in body_tag(client)
    assert 'data-live-location="off"' in body_tag(citizen_client)
    turn_on(citizen_client)
    assert 'data-live-location="on"' in body_tag(citizen_client)
    assert 'data-live-location="on"' in body_tag(citizen_client, "/near")


def test_turning_live_location_off_deletes_the_cell_at_once(citizen_client, town):
    turn_on(citizen_client)
    post_position(citizen_client, *MARKET_SQUARE)
    assert len(live_rows()) == 1
    page = citizen_client.get("/near/location").get_data(as_text=True)
    assert "Live location is on." in page
    response = citizen_client.post("/near/location", data={"csrf_token": csrf_from(page), "action": "off"})
    assert response.status_code == 303
    assert live_rows() == []
    consent = db.session.scalar(select(Consent).where(Consent.purpose == consents.LIVE_LOCATION))
    assert consent is not None and consent.withdrawn_at is not None  # the record stays, dated
    assert post_position(citizen_client, *MARKET_SQUARE).status_code == 403


def test_withdrawing_in_the_privacy_centre_deletes_the_cell_too(citizen_client, town):
    turn_on(citizen_client)
    post_position(citizen_client, *MARKET_SQUARE)
    consent = db.session.scalar(select(Consent).where(Consent.purpose == consents.LIVE_LOCATION))
    profile = citizen_client.get("/me").get_data(as_text=True)
    assert "Live location (an approximate area, kept one hour)" in profile
    response = citizen_client.post(f"/me/consents/{consent.id}/withdraw", data={"csrf_token": csrf_from(profile)})
    assert response.status_code in (302, 303)
    assert live_rows() == []


def test_a_cell_older_than_60_minutes_no_longer_counts_and_is_purged(app, town):
    now = utcnow()
    live.turn_on_live_location(town.citizen)
    live.check_in(town.citizen, town.territory, *HARBOUR, now=now - timedelta(minutes=59))
    zone = square(HARBOUR[1], HARBOUR[0], 0.01)
    assert live.count_present(town.territory, zone, now) == 1
    assert live.live_cell_of(town.citizen, now) is not None
    later = now + timedelta(minutes=2)  # the cell is now 61 minutes old
    assert live.count_present(town.territory, zone, later) == 0
    assert live.live_cell_of(town.citizen, later) is None
    assert live.purge_expired_live_cells(now) == 0  # 59 minutes: kept
    assert live.purge_expired_live_cells(later) == 1
    assert live_rows() == []


def test_the_periodic_task_purges_expired_cells_only(app, town):
    from tests.factories import make_user

    other = make_user(town.territory)
    live.check_in(town.citizen, town.territory, *HARBOUR, now=utcnow() - timedelta(minutes=61))
    live.check_in(other, town.territory, *HARBOUR, now=utcnow() - timedelta(minutes=5))
    assert purge_live_cells.call_local() == 1
    assert [r["user_id"] for r in live_rows()] == [other.id]
    assert db.session.scalar(select(func.count()).select_from(LiveCell)) == 1
