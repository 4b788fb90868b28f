"""A shop publishes its Saturday market as a weekly event: the agenda shows each Saturday; the
shop then cancels one Saturday from the event's page, and the agenda no longer shows it."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import act_as, describe_violations, log_in

pytestmark = pytest.mark.e2e

TITLE = "Marché bio du samedi"


def test_shop_publishes_a_weekly_market_then_cancels_one_saturday(page, live_server, seed, axe):
    log_in(page, live_server, seed.merchant_email, seed.password)
    act_as(page, seed.shop_name)
    page.goto(live_server.url("/manage/publications/new?kind=event"))
    page.locator("#title").fill(TITLE)
    page.locator("#starts_at").fill("2031-03-01T08:00")
    page.locator("#ends_at").fill("2031-03-01T13:00")
    page.locator("#place_name").fill("Quai Ganteaume")
    page.locator("input[name=repeat][value=weekly]").check()
    page.locator("input[name=repeat_weekdays][value=SA]").check()
    page.locator("#repeat_count").fill("4")
    page.locator("main form button[value=publish]").click()
    page.wait_for_url(live_server.url("/manage/publications"))

    page.goto(live_server.url("/agenda?from=2031-03-01"))
    days = page.locator(".agenda-day", has_text=TITLE)
    assert days.count() == 4
    assert [days.nth(i).locator("h2 time").get_attribute("datetime") for i in range(4)] == [
        "2031-03-01", "2031-03-08", "2031-03-15", "2031-03-22"]

    page.goto(live_server.url("/manage/publications"))
    page.locator(".pub-row", has_text=TITLE).locator(".pub-row-title a").click()
    page.wait_for_url("**/edit")
    dates = page.locator(".pub-occurrences li")
    dates.first.wait_for()
    assert dates.count() == 4
    violations = axe(page)
    assert not violations, describe_violations(violations)
    dates.nth(1).locator("button").click()
    page.locator(".flash-success").first.wait_for()
    assert page.locator(".pub-occurrences li").count() == 3

    page.goto(live_server.url("/agenda?from=2031-03-01"))
    days = page.locator(".agenda-day", has_text=TITLE)
    assert [days.nth(i).locator("h2 time").get_attribute("datetime") for i in range(days.count())] == [
        "2031-03-01", "2031-03-15", "2031-03-22"]
