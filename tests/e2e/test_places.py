"""Places in a browser: opting in to live location with the browser's geolocation, the map of
"Near me" from the vendored Leaflet under the strict CSP, and turning it off."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from app import geo
from app.extensions import db
from app.models_common import utcnow
from app.places.models import LiveCell
from app.territories.models import Territory
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.e2e

MARKET_SQUARE = {"latitude": 43.17512345, "longitude": 5.60498765}



def live_cell_of(live_db, user_id):  # type: ignore[no-untyped-def]
    with live_db():
        row = db.session.scalar(select(LiveCell).where(LiveCell.user_id == user_id))
        return (row.cell, row.territory_id) if row else None


def wait_for(predicate, seconds: float = 10.0):  # type: ignore[no-untyped-def]
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    return predicate()


def test_citizen_opts_in_sees_the_map_and_opts_out(context, page, live_server, live_db, seed):
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    context.grant_permissions(["geolocation"], origin=live_server.url("/").rstrip("/"))
    context.set_geolocation(MARKET_SQUARE)
    log_in(page, live_server, seed.citizen_email, seed.password)
    page.goto(live_server.url("/near/location"))
    assert live_cell_of(live_db, seed.ids["citizen"]) is None
    page.locator("button[name=action][value=on]").click()
    page.locator("[data-live-location-state=on]").wait_for()
    # location.js reports the position; only its coarse cell is kept.
    stored = wait_for(lambda: live_cell_of(live_db, seed.ids["citizen"]))
    assert stored == (geo.cell_of(MARKET_SQUARE["latitude"], MARKET_SQUARE["longitude"]), seed.ids["coast"])

    page.goto(live_server.url("/near?from=live"))
    page.locator("#near-map.has-map path.near-item-marker").first.wait_for()
    assert page.locator("#near-map path.near-item-marker").count() >= 1
    assert page.locator(".near-list .near-item").count() >= 1
    assert not violations, violations

    page.goto(live_server.url("/near/location"))
    page.locator("button[name=action][value=off]").click()
    page.locator("[data-live-location-state=off]").wait_for()
    assert live_cell_of(live_db, seed.ids["citizen"]) is None


def test_live_location_turned_on_after_logging_in_by_the_form_reports_the_position(
    context, page, live_server, live_db, seed
):
    """Logging in swaps the page's body, not its <head>: no page is loaded again from here on,
    and live location still sends the position and "Near me" uses it."""
    with live_db():
        walker = make_user(db.session.get(Territory, seed.ids["coast"]), "promeneuse@example.org",
                           display_name="Inès", onboarded_at=utcnow())
        walker_id = walker.id
    context.grant_permissions(["geolocation"], origin=live_server.url("/").rstrip("/"))
    context.set_geolocation(MARKET_SQUARE)
    page.goto(live_server.url("/login"))
    page.evaluate("window.sameDocument = true")  # gone if any page is loaded again

    page.locator("#email").fill("promeneuse@example.org")
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.locator("footer form[action$='/logout']").wait_for()
    page.locator(".main-nav a[href='/near']").click()
    page.locator("main a[href='/near/location']").click()
    page.locator("button[name=action][value=on]").click()
    page.locator("[data-live-location-state=on]").wait_for()

    cell = geo.cell_of(MARKET_SQUARE["latitude"], MARKET_SQUARE["longitude"])
    assert wait_for(lambda: live_cell_of(live_db, walker_id)) == (cell, seed.ids["coast"])
    page.locator("main a[href='/near?from=live']").click()
    page.wait_for_url("**/near?from=live")
    centre = geo.cell_centre(cell)
    near_map = page.locator("#near-map")
    assert (near_map.get_attribute("data-lat"), near_map.get_attribute("data-lon")) == (
        f"{centre[0]:.5f}", f"{centre[1]:.5f}")
    assert page.evaluate("window.sameDocument === true")


def test_admin_draws_a_neighbourhood_on_the_map(page, live_server, seed):
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    page.on("pageerror", lambda error: messages.append(str(error)))
    log_in(page, live_server, seed.admin_email, seed.password)
    page.goto(live_server.url("/admin/neighbourhoods"))
    page.locator(".zone-editor-map.has-map").wait_for()
    page.locator(".zone-editor-map").scroll_into_view_if_needed()
    box = page.locator(".zone-editor-map").bounding_box()
    for dx, dy in ((0.3, 0.3), (0.7, 0.3), (0.7, 0.7), (0.3, 0.7)):
        page.mouse.click(box["x"] + box["width"] * dx, box["y"] + box["height"] * dy)
    value = page.locator("#geojson").input_value()
    assert value.startswith('{"type":"Polygon","coordinates":[['), messages
    assert value.startswith('{"type":"Polygon","coordinates":[[')
    page.locator(".zone-editor-tools button").first.click()  # undo the last corner
    import json

    ring = json.loads(page.locator("#geojson").input_value())["coordinates"][0]
    assert len(ring) == 4 and ring[0] == ring[-1]
