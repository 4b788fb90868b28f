"""Reporting a problem by its address on a phone, with the town's geocoder (a local BAN-speaking
server): the form suggests the town's addresses as the person types, and the one chosen places the
report. Without a point (no suggestion taken, nothing found) the report keeps its address, and
an agent places it with a click on the map of its page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.reports import services
from app.reports.models import Report, ReportCategory
from app.territories.models import Territory
from tests.e2e.conftest import act_as, log_in, wait_until
from tests.factories import make_actor, make_member, make_user
from tests.reports.ban_server import feature, serving

pytestmark = pytest.mark.e2e

QUAI = (43.1712, 5.6047)
LABEL = "3 Quai François Mitterrand 13600 La Ciotat"


@pytest.fixture
def context(incognito_context):
    return incognito_context


def test_a_suggested_address_places_the_report(page, live_server, live_db, seed):
    with live_db():
        coast = db.session.scalar(select(Territory).where(Territory.name == seed.coast_name))
        category = ReportCategory(territory_id=coast.id, service_code="e2e-address", name="Trottoir e2e",
                                  expected_days=5)
        db.session.add(category)
        db.session.commit()
        category_id = category.id
    with serving(live_server.app.config) as ban:
        ban.answer(feature(LABEL, *QUAI), feature("3 Quai François Mitterrand 75013 Paris", 48.8566, 2.3522))
        log_in(page, live_server, seed.citizen_email, seed.password)
        page.goto(live_server.url("/reports/new"))
        page.locator(f"#category-{category_id}").check()
        address = page.locator("#address")
        address.press_sequentially("3 quai Mitt", delay=30)
        # The town's address is offered, the other town's is not.
        wait_until(page, "() => document.querySelectorAll('#address-suggestions option').length === 1")
        assert page.locator("#address-suggestions option").get_attribute("value") == LABEL
        address.fill(LABEL)  # what choosing the suggestion puts in the field
        wait_until(page, "() => document.querySelector('#lat').value !== ''")
        assert (float(page.locator("#lat").input_value()), float(page.locator("#lon").input_value())) == QUAI
        page.locator("#description").fill("Une dalle soulevée")
        page.locator("main form.report-form button[type=submit]").click()
        page.locator(".report-page h1").wait_for()
        assert LABEL in page.locator(".report-page").inner_text()
    with live_db():
        report = db.session.scalar(select(Report).where(Report.category_id == category_id))
        assert (report.lat, report.lon) == QUAI and report.address == LABEL


def test_an_agent_places_an_address_only_report_on_the_map(page, live_server, live_db, seed):
    with live_db():
        coast = db.session.scalar(select(Territory).where(Territory.name == seed.coast_name))
        roads = make_actor(coast, "Voirie e2e", kind="town_service")
        agent = make_user(coast, "agent.voirie.e2e@example.org", display_name="Agnès")
        make_member(agent, roads)
        category = ReportCategory(territory_id=coast.id, service_code="e2e-unplaced", name="Banc cassé e2e",
                                  service_actor_id=roads.id, expected_days=5)
        db.session.add(category)
        db.session.commit()
        report, _created = services.file_report(coast, None, services.NewReport(
            category=category, lat=None, lon=None, description="Un banc cassé", address="Derrière la gare"))
        report_id = report.id
    log_in(page, live_server, "agent.voirie.e2e@example.org", seed.password)
    act_as(page, "Voirie e2e")
    page.goto(live_server.url("/manage/reports"))
    row = page.locator(".agents-queue-row", has_text="Banc cassé e2e")
    assert row.locator(".tag-unplaced").count() == 1  # "Address only: place it on the map"
    row.locator("a").click()
    page.locator("#place").wait_for()
    picker = page.locator("#agents-place-map")
    wait_until(page, "() => !!document.querySelector('#agents-place-map.leaflet-container')")
    picker.scroll_into_view_if_needed()
    box = picker.bounding_box()
    picker.click(position={"x": box["width"] / 2 + 20, "y": box["height"] / 2})  # where the bench is
    wait_until(page, "() => document.querySelector('#lat').value !== ''")
    page.locator("form[action$='/place'] button[type=submit]").click()
    page.locator(".flash-success").wait_for()  # "The report is on the map."
    assert page.locator(".agents-facts .tag-unplaced").count() == 0
    with live_db():
        placed = db.session.get(Report, report_id)
        assert placed.lat is not None and placed.lon is not None
        assert placed.lat == pytest.approx(coast.center_lat, abs=0.01) and placed.lon > coast.center_lon
