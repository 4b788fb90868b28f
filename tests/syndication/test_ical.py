"""The open agenda as iCalendar, parsed with the ``icalendar`` library and checked field by field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from app.extensions import db
from app.models_common import utcnow
from app.publications import services as publications
from app.publications.models import Publication
from app.syndication import services as syndication_services
from tests.factories import make_actor, make_publication


def _calendar(client, path: str = "/agenda.ics", **kwargs) -> Calendar:  # type: ignore[no-untyped-def]
    response = client.get(path, **kwargs)
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/calendar"
    return Calendar.from_ical(response.data)


def _events(calendar: Calendar) -> dict[str, list]:
    found: dict[str, list] = {}
    for event in calendar.walk("VEVENT"):
        found.setdefault(str(event["SUMMARY"]), []).append(event)
    return found


def _soon(days: int, hour: int = 18) -> datetime:
    base = (utcnow() + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)
    return base


def test_agenda_ics_is_a_valid_calendar_with_each_field(client, town):
    concert = make_publication(town.market, "Concert", kind="event", starts_at=_soon(3), ends_at=_soon(3, 20),
                               summary="Jazz on the quay", body_md="Free **entry**.", place_name="Quai Ganteaume",
                               lat=43.17, lon=5.6, hashtags=[town.bio])
    calendar = _calendar(client)
    assert str(calendar["VERSION"]) == "2.0" and "Territory" in str(calendar["PRODID"])
    (timezone,) = calendar.walk("VTIMEZONE")
    assert str(timezone["TZID"]) == "Europe/Paris"
    assert {c.name for c in timezone.subcomponents} == {"STANDARD", "DAYLIGHT"}
    (event,) = _events(calendar)["Concert"]
    assert str(event["UID"]) == f"pub-{concert.id}@localhost"
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    assert event["DTSTART"].dt == concert.starts_at and event["DTEND"].dt == concert.ends_at
    assert event["DTSTAMP"].dt.tzinfo is not None
    assert str(event["DESCRIPTION"]) == "Jazz on the quay\n\nFree **entry**."
    assert str(event["LOCATION"]) == "Quai Ganteaume"
    assert (event["GEO"].latitude, event["GEO"].longitude) == (43.17, 5.6)
    assert str(event["URL"]) == f"http://localhost/p/{concert.id}"
    assert int(event["SEQUENCE"]) == 0 and str(event["STATUS"]) == "CONFIRMED"
    assert event["LAST-MODIFIED"].dt.tzinfo is not None
    assert event["CATEGORIES"].cats == ["bio"]


def test_uid_stays_and_sequence_rises_when_the_event_changes(client, town):
    concert = make_publication(town.market, "Concert", kind="event", starts_at=_soon(3), ends_at=_soon(3, 20))
    first = _events(_calendar(client))["Concert"][0]
    publications.update_publication(concert, starts_at=_soon(4), ends_at=_soon(4, 20), title="Concert")
    second = _events(_calendar(client))["Concert"][0]
    assert str(second["UID"]) == str(first["UID"])
    assert int(second["SEQUENCE"]) == int(first["SEQUENCE"]) + 1
    assert second["DTSTART"].dt == _soon(4)


def test_recurring_event_is_one_vevent_with_rrule_exdate_and_a_changed_date(client, town):
    start = datetime(2030, 3, 2, 7, tzinfo=UTC)
    market = make_publication(town.market, "Marché", kind="event", starts_at=start,
                              ends_at=start + timedelta(hours=5), rrule="FREQ=WEEKLY;BYDAY=SA;COUNT=10",
                              exdates_json='["2030-03-16T07:00:00+00:00"]')
    make_publication(town.market, "Marché (place Evenos)", kind="event", starts_at=datetime(2030, 3, 23, 8, tzinfo=UTC),
                     ends_at=datetime(2030, 3, 23, 12, tzinfo=UTC), recurrence_parent_id=market.id,
                     recurrence_id=datetime(2030, 3, 23, 7, tzinfo=UTC), place_name="Place Evenos")
    events = _events(_calendar(client))
    (series,) = events["Marché"]
    assert series["RRULE"]["FREQ"] == ["WEEKLY"] and series["RRULE"]["COUNT"] == [10]
    (exdate,) = series["EXDATE"].dts
    assert exdate.dt == datetime(2030, 3, 16, 7, tzinfo=UTC) and series["EXDATE"].params["TZID"] == "Europe/Paris"
    (changed,) = events["Marché (place Evenos)"]
    assert str(changed["UID"]) == str(series["UID"])
    assert changed["RECURRENCE-ID"].dt == datetime(2030, 3, 23, 7, tzinfo=UTC)
    assert changed["RECURRENCE-ID"].params["TZID"] == "Europe/Paris"
    assert "RRULE" not in changed


def test_cancelled_event_stays_with_status_cancelled(client, town):
    event = make_publication(town.market, "Brocante", kind="event", starts_at=_soon(5), ends_at=_soon(5, 20))
    publications.cancel(event)
    (found,) = _events(_calendar(client))["Brocante"]
    assert str(found["STATUS"]) == "CANCELLED" and int(found["SEQUENCE"]) == 1


def test_only_what_the_public_may_see_and_only_this_town(client, town):
    make_publication(town.market, "Public", kind="event")
    make_publication(town.market, "Draft", kind="event", status="draft")
    make_publication(town.market, "Hidden", kind="event", moderated_at=utcnow())
    make_publication(make_actor(town.territory, "Pending", status="pending"), "Unverified", kind="event")
    make_publication(town.other_actor, "Elsewhere", kind="event")
    make_publication(town.market, "Just news", kind="news")
    assert set(_events(_calendar(client))) == {"Public"}
    assert set(_events(_calendar(client, base_url="http://aubagne.localhost"))) == {"Elsewhere"}


def test_actor_and_hashtag_calendars(client, town):
    make_publication(town.market, "Market day", kind="event", hashtags=[town.bio])
    make_publication(town.club, "Regatta", kind="event", hashtags=[town.sport])
    assert set(_events(_calendar(client, f"/actors/{town.club.slug}/agenda.ics"))) == {"Regatta"}
    assert set(_events(_calendar(client, "/hashtags/bio/agenda.ics"))) == {"Market day"}
    assert client.get("/hashtags/unknown/agenda.ics").status_code == 404
    assert client.get(f"/actors/{town.other_actor.slug}/agenda.ics").status_code == 404


def test_unchanged_agenda_answers_304_and_a_change_a_new_etag(client, town):
    event = make_publication(town.market, "Concert", kind="event")
    first = client.get("/agenda.ics")
    assert first.headers["ETag"] and first.headers["Last-Modified"] and "max-age" in first.headers["Cache-Control"]
    again = client.get("/agenda.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    since = client.get("/agenda.ics", headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304
    event.title = "Concert (moved)"
    db.session.commit()
    changed = client.get("/agenda.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]
    assert db.session.get(Publication, event.id) is not None


def test_an_event_leaving_the_agenda_makes_it_newer_for_if_modified_since(client, town, monkeypatch):
    make_publication(town.market, "Stays", kind="event")
    leaving = make_publication(town.market, "Leaves", kind="event")
    first = client.get("/agenda.ics")
    assert client.get("/agenda.ics", headers={"If-Modified-Since": first.headers["Last-Modified"]}).status_code == 304
    db.session.delete(leaving)
    db.session.commit()
    # A few seconds later (Last-Modified has a one-second grain): no event of the calendar
    # changed, yet the calendar did.
    later = utcnow() + timedelta(seconds=5)
    monkeypatch.setattr(syndication_services, "utcnow", lambda: later)
    response = client.get("/agenda.ics", headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert response.status_code == 200 and b"Leaves" not in response.data and b"Stays" in response.data
    assert client.get("/agenda.ics", headers={"If-None-Match": first.headers["ETag"]}).status_code == 200
