"""Importing an agenda in a browser (issue 15): on a phone, an association gives its calendar's
address, sees what was imported, finds the event on its public page, pauses the feed; a feed
that is not one says so. The page passes axe and never scrolls sideways at 360 px."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.territories.models import Territory
from tests.e2e.conftest import act_as, describe_violations, log_in
from tests.factories import make_actor, make_member, make_user
from tests.imports.feeds import FeedServer, calendar, serving

pytestmark = pytest.mark.e2e

ASSOCIATION = "Comité des fêtes"
CONCERT = """
UID:concert-port-2031@comite.example
SUMMARY:Concert on the harbour
DTSTART;TZID=Europe/Paris:20310705T210000
DTEND;TZID=Europe/Paris:20310705T230000
LOCATION:Quai du Port
DESCRIPTION:<p>Free. <a href="javascript:alert(1)">Tickets</a><script>alert(2)</script></p>
"""


@pytest.fixture
def feeds(live_server) -> Iterator[FeedServer]:
    with serving() as (server, host_port):
        live_server.app.config["OUTBOUND_ALLOWED_PRIVATE"] = (host_port,)
        yield server
        live_server.app.config["OUTBOUND_ALLOWED_PRIVATE"] = ()


@pytest.fixture
def association(live_db, seed) -> tuple[str, str]:
    """A new association of La Ciotat and its president (e-mail, name), for each test."""
    suffix = uuid.uuid4().hex[:6]
    email, name = f"comite-{suffix}@example.org", f"{ASSOCIATION} {suffix}"
    with live_db():
        coast = db.session.scalar(select(Territory).where(Territory.slug == "laciotat"))
        president = make_user(coast, email, language="en")
        make_member(president, make_actor(coast, name, kind="association"), "owner")
    return email, name


def _no_sideways_scroll(page, where: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{where} scrolls sideways ({width} px)"


def test_an_association_imports_its_calendar_on_a_phone(page, live_server, seed, association, feeds, axe):
    url = feeds.put("/comite/agenda.ics", calendar(CONCERT))
    log_in(page, live_server, association[0], seed.password)
    act_as(page, association[1])
    page.get_by_role("link", name="Imported feeds").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Imported feeds")

    page.get_by_label("Address of the feed").fill(url)
    page.get_by_role("button", name="Add the feed").click()
    expect(page.locator(".flash")).to_contain_text("The feed is added: 1 publication imported.")
    row = page.locator("li[id^='feed-']", has_text=url)
    expect(row).to_contain_text(url)
    expect(row).to_contain_text("1 new, 0 updated, 0 withdrawn")
    _no_sideways_scroll(page, "feeds page")
    violations = axe(page)
    assert not violations, describe_violations(violations)

    row.get_by_role("button", name="Pause").click()
    expect(row.locator(".status")).to_have_text("paused")
    expect(row.get_by_role("button", name="Resume")).to_be_visible()

    # The event is among the association's publications, and public, its text cleaned.
    page.goto(live_server.url("/manage/publications"))
    page.get_by_role("link", name="View Concert on the harbour").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Concert on the harbour")
    expect(page.locator("main")).to_contain_text("Quai du Port")
    expect(page.locator("main")).not_to_contain_text("alert")


def test_an_address_that_is_not_a_feed_says_so(page, live_server, seed, association, feeds):
    url = feeds.put("/comite/index.html", "<html><body>Welcome</body></html>")
    log_in(page, live_server, association[0], seed.password)
    act_as(page, association[1])
    page.goto(live_server.url("/manage/feeds"))
    page.get_by_label("Address of the feed").fill(url)
    page.get_by_role("button", name="Add the feed").click()
    expect(page.locator(".flash").first).to_contain_text("does not give an iCalendar, OpenAgenda, RSS or Atom feed")

    page.get_by_label("Address of the feed").fill("http://192.168.1.20/agenda.ics")
    page.get_by_role("button", name="Add the feed").click()
    expect(page.locator(".field-error")).to_contain_text("private or internal network")
    _no_sideways_scroll(page, "refused address")
