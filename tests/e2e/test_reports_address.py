"""Reporting a problem by its address on a phone, with the town's geocoder (a local BAN-speaking
server): the form suggests the town's addresses as the person types, and the one chosen places the
report. Without a point (no suggestion taken, nothing found) the report keeps its address."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.reports.models import Report, ReportCategory
from app.territories.models import Territory
from tests.e2e.conftest import log_in, wait_until
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
