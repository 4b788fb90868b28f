"""A person puts what they follow in their phone's calendar: from their profile they make their
secret calendar link, copy it, and the calendar app reads their events from it; once they turn
it off, the link no longer works."""

from __future__ import annotations

import pytest

from app.accounts.models import User
from app.actors.models import Actor
from app.extensions import db
from tests.e2e.conftest import describe_violations, log_in

pytestmark = pytest.mark.e2e


def test_citizen_makes_copies_and_turns_off_their_calendar_link(page, context, live_server, live_db, seed, axe):
    from tests.factories import make_follow

    with live_db():
        make_follow(db.session.get(User, seed.ids["citizen"]), db.session.get(Actor, seed.ids["theatre"]))
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url("/").rstrip("/"))
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text)
            if "Content Security Policy" in message.text else None)

    log_in(page, live_server, seed.citizen_email, seed.password)
    page.goto(live_server.url("/me"))
    page.locator("main a[href='/me/calendar']").click()
    page.wait_for_url(live_server.url("/me/calendar"))
    page.locator("form[action='/me/calendar/new'] button").click()
    link_field = page.locator("#calendar-link")
    link_field.wait_for()
    link = link_field.input_value()
    assert "/calendar/" in link and link.endswith(".ics")

    page.locator("button[data-copy-from='calendar-link']").click()
    page.wait_for_function("() => document.getElementById('calendar-link-status').textContent.length > 0")
    assert page.evaluate("navigator.clipboard.readText()") == link
    violations = axe(page)
    assert not violations, describe_violations(violations)

    # What a calendar app does with the link: no session, just the address.
    calendar = page.request.get(link, headers={"Cookie": ""})
    assert calendar.status == 200 and calendar.headers["content-type"].startswith("text/calendar")
    assert seed.theatre_event_title in calendar.text()

    page.reload()
    assert page.locator("#calendar-link").count() == 0  # shown once only
    page.locator("form[action='/me/calendar/off'] button").click()
    page.locator("form[action='/me/calendar/off']").wait_for(state="detached")
    assert page.request.get(link).status == 404
    assert not blocked, blocked
