"""The town's admin publishes open data from a 360×740 phone, then a visitor finds it from the
footer, reads a dataset's columns and licence, and sees the file's address: nothing scrolls
sideways, no axe-core violation of any impact."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from app.extensions import db
from app.opendata.models import OpenDataCatalogue
from tests.e2e.conftest import MOBILE_VIEWPORT, fits_with_no_violation, log_in

pytestmark = pytest.mark.e2e

def test_admin_publishes_opening_hours_and_a_visitor_downloads_them(browser, live_server, live_db, seed, axe):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=MOBILE_VIEWPORT, locale="en-GB")
    try:
        page = context.new_page()
        log_in(page, live_server, seed.admin_email, seed.password)
        page.goto(live_server.url("/admin/data"))
        assert page.locator("main h1").inner_text() == "Open data"
        fits_with_no_violation(page, axe)
        page.get_by_label("Opening hours: which shops and services are open now").check()
        page.get_by_label("CC-BY 4.0").check()
        page.get_by_label("Contact address for the catalogue").fill("donnees@mairie.example.org")
        page.locator("main form button[type=submit]").click()
        page.locator(".flash-success", has_text="Published for everyone").wait_for()

        visitor = browser.new_context(viewport=MOBILE_VIEWPORT, locale="en-GB").new_page()
        visitor.goto(live_server.url("/"))
        visitor.locator("footer .footer-opendata a").click()
        visitor.wait_for_url(lambda url: urlparse(url).path == "/data")
        assert visitor.locator("article.card").count() == 1
        fits_with_no_violation(visitor, axe)
        visitor.get_by_role("link", name="Opening hours: which shops and services are open now").click()
        visitor.wait_for_url(lambda url: urlparse(url).path == "/data/opening-hours")
        assert visitor.locator("code", has_text="open_now").is_visible()
        assert "CC-BY 4.0" in visitor.locator("#downloads").locator("xpath=..").inner_text()
        assert visitor.get_by_role("link", name="CSV", exact=True).get_attribute("href") == "/data/opening-hours.csv"
        fits_with_no_violation(visitor, axe)
        visitor.context.close()
    finally:
        context.close()
        with live_db():  # the other tests' town publishes nothing
            for found in db.session.query(OpenDataCatalogue).all():
                db.session.delete(found)
