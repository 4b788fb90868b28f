"""The agenda as an iCalendar file (RFC 5545), built with the ``icalendar`` library.

What calendar imports get wrong elsewhere is done right here: each event keeps one UID for ever
(``ical_uid``), SEQUENCE goes up with each change people must see, a recurring event is one
VEVENT with its RRULE and EXDATEs (not expanded under one UID), a date changed on its own is a
VEVENT with the series' UID and a RECURRENCE-ID, a cancelled event stays with STATUS:CANCELLED,
and every event links back to its page (URL). Times carry the territory's TZID, described by a
VTIMEZONE. DTSTAMP is the event's last revision (the calendar has no METHOD, RFC 5545 §3.8.7.2),
so the same data always gives the same bytes, and the same ETag."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from icalendar import Calendar, Event, Timezone, vRecur

from app.publications import recurrence
from app.timezones import zone

PRODID = "-//Territory//Agenda//EN"
# The VTIMEZONE covers these years (transitions of the territory's zone).
_ZONE_FIRST, _ZONE_LAST = date(2000, 1, 1), date(2045, 1, 1)


@lru_cache(maxsize=32)
def _vtimezone(tzid: str) -> bytes:
    return Timezone.from_tzid(tzid, first_date=_ZONE_FIRST, last_date=_ZONE_LAST).to_ical()


def vtimezone(tzid: str) -> Timezone:
    """The VTIMEZONE of ``tzid`` (built once per process: walking the zone's history is slow)."""
    return Timezone.from_ical(_vtimezone(tzid))  # type: ignore[return-value]


def description(publication: Any) -> str:
    """Plain text: the summary, then the text as typed (Markdown reads as plain text)."""
    parts = [(publication.summary or "").strip(), (publication.body_md or "").strip()]
    return "\n\n".join(part for part in parts if part)


# Each VEVENT's bytes, kept per process: the library takes about 2 ms an event, so a calendar of
# thousands is rebuilt from the events that changed only. The key holds every input of the
# VEVENT (the event's id, last change and hashtags, which fix its record; its UID, its URL, the
# zone), so an entry never goes stale.
_fragments: dict[tuple[Any, ...], bytes] = {}
_FRAGMENTS_KEPT = 100_000
_END = b"END:VCALENDAR\r\n"


def _fragment(publication: Any, uid: str, tzid: str, url: str, recurrence_id: datetime | None = None) -> bytes:
    key = (publication.id, publication.updated_at, publication.tags, uid, tzid, url, recurrence_id)
    found = _fragments.get(key)
    if found is None:
        if len(_fragments) >= _FRAGMENTS_KEPT:
            _fragments.clear()
        found = _fragments[key] = _vevent(publication, uid, zone(tzid), url, recurrence_id).to_ical()
    return found


def build_calendar(
    *,
    name: str,
    tzid: str,
    events: Iterable[Any],
    uid_of: Callable[[Any], str],
    url_of: Callable[[Any], str],
    changed_occurrences: Iterable[Any] = (),
    calendar_url: str | None = None,
) -> bytes:
    """The VCALENDAR of ``events`` (hashable records, ``services.CalendarEvent``);
    ``changed_occurrences`` replace one date of a series among ``events``
    (``recurrence_parent_id``, ``recurrence_id``)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", tzid)
    if calendar_url:
        calendar.add("url", calendar_url)
    if tzid and tzid != "UTC":
        calendar.add_component(vtimezone(tzid))
    head = calendar.to_ical()
    assert head.endswith(_END)
    parts = [head[: -len(_END)]]
    series_uid: dict[int, str] = {}
    for publication in events:
        uid = uid_of(publication)
        series_uid[publication.id] = uid
        parts.append(_fragment(publication, uid, tzid, url_of(publication)))
    for publication in changed_occurrences:
        uid = series_uid.get(publication.recurrence_parent_id)
        if uid is None or publication.recurrence_id is None:
            continue
        parts.append(_fragment(publication, uid, tzid, url_of(publication), publication.recurrence_id))
    parts.append(_END)
    return b"".join(parts)


def _vevent(publication: Any, uid: str, local: Any, url: str, recurrence_id: datetime | None = None) -> Event:
    event = Event()
    event.add("uid", uid)
    revised = publication.updated_at or publication.created_at
    event.add("dtstamp", revised.astimezone(UTC))
    event.add("last-modified", revised.astimezone(UTC))
    if publication.created_at is not None:
        event.add("created", publication.created_at.astimezone(UTC))
    event.add("sequence", publication.sequence or 0)
    event.add("dtstart", publication.starts_at.astimezone(local))
    if publication.ends_at is not None:
        event.add("dtend", publication.ends_at.astimezone(local))
    if recurrence_id is not None:
        event.add("recurrence-id", recurrence_id.astimezone(local))
    event.add("summary", publication.title)
    text = description(publication)
    if text:
        event.add("description", text)
    if publication.place_name:
        event.add("location", publication.place_name)
    if publication.lat is not None and publication.lon is not None:
        event.add("geo", (publication.lat, publication.lon))
    event.add("url", url)
    event.add("status", "CANCELLED" if publication.cancelled_at else "CONFIRMED")
    if publication.rrule and recurrence_id is None:
        event.add("rrule", vRecur.from_ical(publication.rrule))
        cancelled = recurrence.exdates(publication)
        if cancelled:
            event.add("exdate", [moment.astimezone(local) for moment in cancelled])
    if publication.tags:
        event.add("categories", list(publication.tags))
    return event
