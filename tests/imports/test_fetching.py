"""Fetching feeds: ETag and 304, failures kept and shown, back-off, the poller, and the same
refusals as push (private addresses, at subscription and at fetch time)."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from app.extensions import db
from app.imports import services
from app.imports.tasks import poll_feeds
from app.models_common import utcnow
from app.publications.models import Publication
from tests.factories import make_actor, make_territory
from tests.imports.feeds import calendar

EVENT = "UID:e1@x\nSUMMARY:Bric-a-brac\nDTSTART:20310301T080000Z"


def _in_english(message) -> str:
    """The stored error as an English reader sees it (the test town speaks French)."""
    with force_locale("en"):
        return str(message)


def _subscription(feeds, path="/a.ics", body=None):
    actor = make_actor(make_territory(), "Committee")
    url = feeds.put(path, calendar(EVENT) if body is None else body)
    return services.subscribe(actor, url)


def _count():
    return db.session.scalar(select(func.count()).select_from(Publication))


def test_an_unchanged_feed_answers_304_and_changes_nothing(app, feeds):
    subscription = _subscription(feeds)
    assert services.fetch(subscription).created == 1
    assert subscription.etag and subscription.kind == "ical"
    assert services.fetch(subscription) is None
    assert feeds.requests[-1] == ("/a.ics", subscription.etag)  # sent as If-None-Match
    assert _count() == 1 and subscription.last_error_code == "" and subscription.last_created == 1


def test_a_failing_feed_shows_its_last_error_and_waits_longer_each_time(app, feeds):
    subscription = _subscription(feeds)
    feeds.status["/a.ics"] = 500
    before = utcnow()
    services.fetch(subscription)
    assert (subscription.last_error_code, subscription.last_error_detail) == ("http_status", "500")
    assert _in_english(services.error_message(subscription)) == "The server answered with the error 500."
    assert timedelta(minutes=14) < subscription.next_fetch_at - before < timedelta(minutes=16)
    services.fetch(subscription)
    assert subscription.consecutive_failures == 2
    assert timedelta(minutes=29) < subscription.next_fetch_at - before < timedelta(minutes=31)
    for _ in range(10):
        services.fetch(subscription)
    assert subscription.next_fetch_at - before <= timedelta(hours=24, minutes=1)
    del feeds.status["/a.ics"]
    services.fetch(subscription)
    assert subscription.last_error_code == "" and subscription.consecutive_failures == 0


def test_a_page_that_is_no_feed_is_refused_with_a_reason(app, feeds):
    subscription = _subscription(feeds, "/page.html", "<html><body>Hello</body></html>")
    services.fetch(subscription)
    assert subscription.last_error_code == "not_a_feed"
    assert "iCalendar, OpenAgenda, RSS or Atom" in _in_english(services.error_message(subscription))
    assert _count() == 0


def test_a_feed_of_another_kind_than_chosen_is_refused(app, feeds):
    actor = make_actor(make_territory(), "Committee")
    url = feeds.put("/a.ics", calendar(EVENT))
    subscription = services.subscribe(actor, url, "rss")
    services.fetch(subscription)
    assert subscription.last_error_code == "wrong_kind" and _count() == 0


@pytest.mark.parametrize("url", ["http://10.0.0.8/agenda.ics", "http://127.0.0.1/agenda.ics",
                                 "http://169.254.169.254/latest/meta-data/", "http://[::1]/feed",
                                 "https://calendar.example:8443/agenda.ics", "file:///etc/passwd"])
def test_a_private_address_or_another_port_is_refused_at_subscription(app, url):
    actor = make_actor(make_territory(), "Committee")
    with pytest.raises(services.SubscriptionRefused):
        services.subscribe(actor, url)


def test_a_name_that_turns_private_is_refused_at_fetch_time(app, monkeypatch):
    """Checked at subscription (public then), checked again at each fetch (private now)."""
    answers = {"calendar.example": "93.184.215.14"}
    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    subscription = services.subscribe(make_actor(make_territory(), "Committee"), "https://calendar.example/a.ics")
    answers["calendar.example"] = "10.1.2.3"
    services.fetch(subscription)
    assert subscription.last_error_code == "refused"
    assert "private or internal network" in _in_english(services.error_message(subscription))
    assert _count() == 0


def test_a_redirect_to_a_private_address_is_refused(app, feeds):
    subscription = _subscription(feeds)
    feeds.redirects["/a.ics"] = "http://169.254.169.254/latest/meta-data/"
    services.fetch(subscription)
    assert subscription.last_error_code == "refused" and _count() == 0


def test_the_poller_fetches_due_feeds_only(app, feeds):
    due = _subscription(feeds)
    paused = services.subscribe(due.actor, feeds.put("/b.ics", calendar(EVENT.replace("e1@x", "e2@x"))))
    services.set_active(paused, False)
    later = services.subscribe(due.actor, feeds.put("/c.ics", calendar(EVENT.replace("e1@x", "e3@x"))))
    later.next_fetch_at = utcnow() + timedelta(minutes=30)
    db.session.commit()
    poll_feeds.call_local()
    assert [p.ical_uid for p in db.session.scalars(select(Publication))] == ["e1@x"]
    assert due.next_fetch_at > utcnow() + timedelta(minutes=59)
    assert paused.last_fetched_at is None and later.last_fetched_at is None
