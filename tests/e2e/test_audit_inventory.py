"""The town's admin fills in the commerce audit's data inventory from a 360×740 phone: adds a
source, finds it under its step of the journey, sees the platform's own sources beside it and the
step's coverage; nothing scrolls sideways and axe-core finds no violation of any impact."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from app.audit.models_inventory import AuditDataSource
from app.extensions import db
from tests.e2e.conftest import MOBILE_VIEWPORT, fits_with_no_violation, log_in

pytestmark = pytest.mark.e2e

def test_town_admin_adds_a_data_source_and_sees_it_under_its_step(browser, live_server, live_db, seed, axe):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=MOBILE_VIEWPORT, locale="en-GB")
    try:
        page = context.new_page()
        log_in(page, live_server, seed.admin_email, seed.password)
        page.goto(live_server.url("/admin/audit/data"))
        assert page.locator("main h1").inner_text() == "Data inventory"
        platform = page.locator("#platform-click_and_collect")
        assert "Filled in by the platform" in platform.inner_text()
        assert platform.locator("a.button").count() == 0  # read-only
        fits_with_no_violation(page, axe)

        page.get_by_role("link", name="Add a source").first.click()
        page.wait_for_url(lambda url: urlparse(url).path == "/admin/audit/data/new")
        page.get_by_label("Name of the source").fill("Parking occupancy sensors")
        page.get_by_label("Owner (a service of the town or a partner)").fill("Parking service")
        page.get_by_label("What it measures").fill("Free and taken spaces, minute by minute")
        page.get_by_label("Format", exact=True).select_option("sensor")
        page.get_by_label("Freshness", exact=True).select_option("real_time")
        page.locator("main form button[type=submit]").click()  # no step chosen: refused, nothing lost
        page.locator(".field-error", has_text="Choose at least one step of the journey.").wait_for()
        assert page.get_by_label("Name of the source").input_value() == "Parking occupancy sensors"
        fits_with_no_violation(page, axe)
        page.get_by_label("Park", exact=True).check()
        page.locator("main form button[type=submit]").click()
        page.locator(".flash-success", has_text="Source added").wait_for()

        page.get_by_label("Journey step").select_option("park")
        page.get_by_role("button", name="Show").click()
        page.wait_for_url(lambda url: "step=park" in url)
        assert page.locator("#town-sources").inner_text().endswith("Park")
        assert page.locator("main .card", has_text="Parking occupancy sensors").is_visible()
        fits_with_no_violation(page, axe)

        page.get_by_role("link", name="Coverage of the journey").click()
        page.wait_for_url(lambda url: urlparse(url).path == "/admin/audit/data/coverage")
        assert "Parking occupancy sensors" in page.locator("#step-park").inner_text()
        assert "No source" in page.locator("#step-buy").inner_text()
        fits_with_no_violation(page, axe)
    finally:
        context.close()
        with live_db():
            for found in db.session.query(AuditDataSource).all():
                db.session.delete(found)
            db.session.commit()
