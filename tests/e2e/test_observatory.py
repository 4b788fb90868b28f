"""The town's admin reads the observatory of needs on a 360×740 phone: charts and tables that fit
(the tables scroll in their own box, never the page), no axe-core violation of any impact; the
part they publish appears for everyone, linked from the footer."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlparse

import pytest

from app.extensions import db
from app.models_common import utcnow
from app.places.models import FootfallHour
from app.territories.models import Territory
from app.timezones import local_date
from tests.e2e.conftest import MOBILE_VIEWPORT, fits_with_no_violation, log_in

pytestmark = pytest.mark.e2e

def test_admin_reads_the_observatory_on_a_phone_and_publishes_footfall(browser, live_server, live_db, seed, axe):  # type: ignore[no-untyped-def]
    with live_db():
        coast = db.session.get(Territory, seed.ids["coast"])
        yesterday = local_date(utcnow(), coast) - timedelta(days=1)
        for hour, present in ((9, 40), (10, 80), (11, 120), (12, 60)):
            db.session.add(FootfallHour(territory_id=coast.id, zone="town", local_date=yesterday, hour=hour,
                                        samples=4, presence_sum=4 * present))
    context = browser.new_context(viewport=MOBILE_VIEWPORT, locale="en-GB")
    try:
        page = context.new_page()
        log_in(page, live_server, seed.admin_email, seed.password)
        page.goto(live_server.url("/admin/observatory?days=7"))
        assert page.locator("main h1").inner_text() == "Observatory of needs"
        town_chart = page.locator("figure.chart", has=page.locator("#obs-footfall-town-title"))
        box = town_chart.locator("svg[role=img]").bounding_box()
        assert box and box["width"] <= 360 and box["height"] > 120
        fits_with_no_violation(page, axe)

        page.locator("#publishing input[value=footfall]").check()
        page.locator("#publishing button[type=submit]").click()
        page.locator(".flash-success", has_text="Published for everyone").wait_for()
        page.locator("footer .footer-observatory a").click()
        page.wait_for_url(lambda url: urlparse(url).path == "/observatory")
        assert page.locator("#obs-footfall").is_visible()
        assert page.locator("#obs-mix").count() == 0 and page.locator("#obs-hashtags").count() == 0
        fits_with_no_violation(page, axe)
    finally:
        context.close()
        with live_db():  # the other tests' town publishes nothing
            coast = db.session.get(Territory, seed.ids["coast"])
            coast.observatory_public = ""
