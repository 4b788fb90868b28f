"""Importing a calendar that changes: SEQUENCE, changed and cancelled occurrences, EXDATE,
cancellation of a whole event, an event removed, re-imports that add nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select

from app.extensions import db
from app.imports import services
from app.imports.models import FeedItem
from app.publications import services as publications
from app.publications.models import Publication
from tests.factories import make_actor, make_hashtag, make_territory
from tests.imports.feeds import calendar

MARKET = """
UID:market-42@agenda.example
SEQUENCE:{sequence}
SUMMARY:{title}
DTSTART;TZID=Europe/Paris:20310104T080000
DTEND;TZID=Europe/Paris:20310104T120000
RRULE:FREQ=WEEKLY;BYDAY=SA;UNTIL=20311227T070000Z
EXDATE;TZID=Europe/Paris:20310111T080000
LOCATION:Place de la Mairie
CATEGORIES:Market,Bio
"""
MARKET_MOVED = """
UID:market-42@agenda.example
RECURRENCE-ID;TZID=Europe/Paris:20310118T080000
SEQUENCE:1
SUMMARY:Market (moved to the harbour)
DTSTART;TZID=Europe/Paris:20310118T100000
DTEND;TZID=Europe/Paris:20310118T140000
LOCATION:The harbour
"""
MARKET_CANCELLED_25 = """
UID:market-42@agenda.example
RECURRENCE-ID;TZID=Europe/Paris:20310125T080000
SEQUENCE:1
STATUS:CANCELLED
SUMMARY:Market
DTSTART;TZID=Europe/Paris:20310125T080000
"""
CONCERT = """
UID:concert-7@agenda.example
SEQUENCE:{sequence}
SUMMARY:{title}
DTSTART:20310301T190000Z
DTEND:20310301T210000Z
{extra}
"""
TALK = """
UID:talk-1@agenda.example
SUMMARY:A talk
DTSTART:20310401T170000Z
"""
OLD_FAIR = """
UID:fair-2020@agenda.example
SUMMARY:The 2020 fair
DTSTART:20200601T080000Z
DTEND:20200601T180000Z
"""


def _setup(feeds):
    territory = make_territory()
    make_hashtag(territory, "market")
    actor = make_actor(territory, "Tourist office", kind="tourism_office")
    url = feeds.put("/agenda.ics", "")
    subscription = services.subscribe(actor, url, "ical", "#culture")
    return territory, actor, subscription


def _publish(feeds, *events):
    feeds.put("/agenda.ics", calendar(*events))


def _fetch(subscription):
    subscription.etag = ""  # the test changes the feed under one address: read it whole each time
    return services.fetch(subscription)


def _publications(actor):
    return list(db.session.scalars(select(Publication).where(Publication.actor_id == actor.id).order_by(Publication.id)))


def _by_title(actor):
    return {p.title: p for p in _publications(actor)}


def _exdates(publication):
    return json.loads(publication.exdates_json)


def test_a_calendar_that_changes_ends_with_exactly_the_right_publications(app, feeds):
    territory, actor, subscription = _setup(feeds)

    # 1. The first import: a weekly market (one date taken out), a concert, a talk, a past fair.
    _publish(feeds, MARKET.format(sequence=0, title="Market"), CONCERT.format(sequence=0, title="Concert", extra=""),
             TALK, OLD_FAIR)
    counts = _fetch(subscription)
    assert (counts.created, counts.updated, counts.withdrawn) == (4, 0, 0)
    market = _by_title(actor)["Market"]
    assert market.kind == "event" and market.status == "published" and market.is_visible
    assert market.ical_uid == "market-42@agenda.example"
    assert market.rrule == "FREQ=WEEKLY;UNTIL=20311227T070000Z;BYDAY=SA"
    assert market.starts_at == datetime(2031, 1, 4, 7, 0, tzinfo=UTC)  # 08:00 in Paris, winter
    assert market.ends_at == datetime(2031, 1, 4, 11, 0, tzinfo=UTC)
    assert _exdates(market) == ["2031-01-11T07:00:00+00:00"]
    assert market.place_name == "Place de la Mairie"
    assert [h.tag for h in market.hashtags] == ["market"]  # "Market" is the town's; "Bio" and "#culture" are not

    # 2. The same feed again, and the same feed in another order: nothing new, nothing changed.
    assert _fetch(subscription).__dict__ == {"created": 0, "updated": 0, "withdrawn": 0}
    _publish(feeds, OLD_FAIR, TALK, CONCERT.format(sequence=0, title="Concert", extra=""),
             MARKET.format(sequence=0, title="Market"))
    assert _fetch(subscription).__dict__ == {"created": 0, "updated": 0, "withdrawn": 0}
    assert len(_publications(actor)) == 4

    # 3. The market's SEQUENCE goes up (new title); one occurrence moves (RECURRENCE-ID), another
    #    is cancelled; the concert moves to 20:00 (SEQUENCE 2); the talk and the past fair leave.
    _publish(feeds, MARKET_MOVED, MARKET.format(sequence=1, title="Saturday market"), MARKET_CANCELLED_25,
             CONCERT.format(sequence=2, title="Concert", extra="").replace("T190000Z", "T200000Z"))
    counts = _fetch(subscription)
    assert (counts.created, counts.updated, counts.withdrawn) == (1, 2, 1)
    titles = _by_title(actor)
    market = titles["Saturday market"]
    assert market.id == titles["Saturday market"].id and "Market" not in titles
    assert market.sequence >= 1
    assert _exdates(market) == ["2031-01-11T07:00:00+00:00", "2031-01-25T07:00:00+00:00"]
    moved = titles["Market (moved to the harbour)"]
    assert moved.recurrence_parent_id == market.id
    assert moved.recurrence_id == datetime(2031, 1, 18, 7, 0, tzinfo=UTC)
    assert moved.starts_at == datetime(2031, 1, 18, 9, 0, tzinfo=UTC)
    assert moved.place_name == "The harbour" and moved.ical_uid == market.ical_uid and moved.status == "published"
    assert titles["Concert"].starts_at == datetime(2031, 3, 1, 20, 0, tzinfo=UTC)
    assert titles["Concert"].sequence == 2
    assert titles["A talk"].status == "archived"  # still to come: withdrawn
    assert titles["The 2020 fair"].status == "published"  # past: kept

    # 4. An older copy of the concert (lower SEQUENCE) changes nothing; then the concert is
    #    cancelled (STATUS:CANCELLED on the event) and the moved occurrence is cancelled too.
    _publish(feeds, MARKET.format(sequence=1, title="Saturday market"), MARKET_CANCELLED_25,
             MARKET_MOVED.replace("SEQUENCE:1", "SEQUENCE:2\nSTATUS:CANCELLED"),
             CONCERT.format(sequence=1, title="Concert (old copy)", extra=""))
    _fetch(subscription)
    assert "Concert (old copy)" not in _by_title(actor)
    _publish(feeds, MARKET.format(sequence=1, title="Saturday market"), MARKET_CANCELLED_25,
             MARKET_MOVED.replace("SEQUENCE:1", "SEQUENCE:2\nSTATUS:CANCELLED"),
             CONCERT.format(sequence=3, title="Concert", extra="STATUS:CANCELLED").replace("T190000Z", "T200000Z"))
    _fetch(subscription)

    final = {p.title: (p.status, p.cancelled_at is not None, p.recurrence_parent_id is not None)
             for p in _publications(actor)}
    assert final == {
        "Saturday market": ("published", False, False),
        "Market (moved to the harbour)": ("archived", False, True),  # its occurrence is now an EXDATE
        "Concert": ("published", True, False),
        "A talk": ("archived", False, False),
        "The 2020 fair": ("published", False, False),
    }
    market = _by_title(actor)["Saturday market"]
    assert _exdates(market) == ["2031-01-11T07:00:00+00:00", "2031-01-18T07:00:00+00:00",
                                "2031-01-25T07:00:00+00:00"]
    # One mapping per entry of the source, whatever happened: no duplicate rows either.
    keys = [(i.source_uid, i.recurrence_id) for i in db.session.scalars(select(FeedItem))]
    assert len(keys) == len(set(keys)) == 5


def test_an_event_that_comes_back_is_published_again(app, feeds):
    _territory, actor, subscription = _setup(feeds)
    _publish(feeds, TALK)
    _fetch(subscription)
    _publish(feeds, OLD_FAIR)
    _fetch(subscription)
    assert _by_title(actor)["A talk"].status == "archived"
    _publish(feeds, OLD_FAIR, TALK)
    counts = _fetch(subscription)
    assert counts.created == 0 and _by_title(actor)["A talk"].status == "published"


def test_an_equal_sequence_with_other_content_updates(app, feeds):
    _territory, actor, subscription = _setup(feeds)
    _publish(feeds, CONCERT.format(sequence=0, title="Concert", extra=""))
    _fetch(subscription)
    _publish(feeds, CONCERT.format(sequence=0, title="Concert", extra="LOCATION:The old theatre"))
    assert _fetch(subscription).updated == 1
    concert = _by_title(actor)["Concert"]
    assert concert.place_name == "The old theatre" and concert.sequence == 1  # raised for calendars downstream


def test_floating_times_and_whole_days_are_on_the_towns_clock(app, feeds):
    _territory, actor, subscription = _setup(feeds)
    _publish(feeds, "UID:floating@x\nSUMMARY:Floating\nDTSTART:20310301T190000",
             "UID:day@x\nSUMMARY:Whole day\nDTSTART;VALUE=DATE:20310302\nDTEND;VALUE=DATE:20310303",
             "UID:ny@x\nSUMMARY:New York\nDTSTART;TZID=America/New_York:20310301T190000")
    _fetch(subscription)
    titles = _by_title(actor)
    assert titles["Floating"].starts_at == datetime(2031, 3, 1, 18, 0, tzinfo=UTC)
    assert titles["Whole day"].starts_at == datetime(2031, 3, 1, 23, 0, tzinfo=UTC)
    assert titles["Whole day"].ends_at == datetime(2031, 3, 2, 23, 0, tzinfo=UTC)
    assert titles["New York"].starts_at == datetime(2031, 3, 2, 0, 0, tzinfo=UTC)


def test_a_point_outside_the_territory_is_left_out(app, feeds):
    territory, actor, subscription = _setup(feeds)
    territory.boundary_geojson = json.dumps({"type": "Polygon", "coordinates": [
        [[5.5, 43.1], [5.7, 43.1], [5.7, 43.3], [5.5, 43.3], [5.5, 43.1]]]})
    db.session.commit()
    _publish(feeds, "UID:in@x\nSUMMARY:Inside\nDTSTART:20310301T190000Z\nGEO:43.17;5.6",
             "UID:out@x\nSUMMARY:Paris\nDTSTART:20310301T190000Z\nGEO:48.85;2.35")
    _fetch(subscription)
    titles = _by_title(actor)
    assert (titles["Inside"].lat, titles["Inside"].lon) == (43.17, 5.6)
    assert (titles["Paris"].lat, titles["Paris"].lon) == (None, None)


def test_imported_text_is_sanitised_like_typed_text(app, client, feeds):
    _territory, actor, subscription = _setup(feeds)
    description = ('<p>Come <b>early</b><script>alert(1)</script></p>'
                   '<p><a href="javascript:alert(2)">click</a> <a href="https://ok.example/more">more</a></p>'
                   '<img src=x onerror=alert(3)>')
    _publish(feeds, "UID:html@x\nSUMMARY:<b>Bold</b> title\nDTSTART:20310301T190000Z\n"
             f"DESCRIPTION:{description}\nURL:https://agenda.example/concert")
    _fetch(subscription)
    publication = _by_title(actor)["Bold title"]
    assert "script" not in publication.body_md and "javascript" not in publication.body_md
    assert "alert" not in publication.body_md and "onerror" not in publication.body_md
    page = client.get(f"/p/{publication.id}").get_data(as_text=True)
    assert '<a href="https://ok.example/more"' in page
    assert '<a href="https://agenda.example/concert"' in page  # the link back to the source
    assert "alert(" not in page and "javascript:" not in page


def test_other_territories_are_untouched(app, feeds):
    _territory, actor, subscription = _setup(feeds)
    other = make_territory("other", "Other", hosts=("other.localhost",))
    neighbour = make_actor(other, "Neighbour")
    _publish(feeds, TALK, CONCERT.format(sequence=0, title="Concert", extra=""))
    _fetch(subscription)
    assert {p.territory_id for p in db.session.scalars(select(Publication))} == {actor.territory_id}
    assert services.subscriptions_of(neighbour) == []
    assert services.territory_subscriptions(other) == []


def test_the_towns_moderation_outlasts_the_sources_updates(app, feeds):
    _territory, actor, subscription = _setup(feeds)
    _publish(feeds, CONCERT.format(sequence=0, title="Concert", extra=""))
    _fetch(subscription)
    concert = _by_title(actor)["Concert"]
    publications.unpublish(concert, "Not in our town")
    _publish(feeds, CONCERT.format(sequence=1, title="Concert!", extra=""))
    assert _fetch(subscription).updated == 1
    concert = _by_title(actor)["Concert!"]
    assert concert.moderated_at is not None and not concert.is_visible


def test_an_unverified_actors_imports_wait_for_the_town(app, feeds):
    _territory, actor, subscription = _setup(feeds)
    actor.status = "pending"
    db.session.commit()
    _publish(feeds, TALK)
    _fetch(subscription)
    talk = _by_title(actor)["A talk"]
    assert talk.status == "published" and not talk.is_visible
