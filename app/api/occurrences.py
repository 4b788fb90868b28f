"""The occurrences of events in a window: a plain event once, a recurring one (RRULE from its
start, in the territory's time zone) at each of its dates minus its EXDATEs, an occurrence changed
on its own (``recurrence_parent_id`` + ``recurrence_id``) in place of the one it replaces.

A series is expanded by the agenda's own code (app.publications.recurrence); this adds the
changed occurrences in place of the ones they replace, and cancellations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.publications import recurrence
from app.publications.models import EVENT_DEFAULT_DURATION, Publication


@dataclass(frozen=True)
class Occurrence:
    publication: Publication
    starts_at: datetime
    ends_at: datetime
    recurrence_id: datetime | None  # the series' original start of this occurrence
    cancelled: bool


def _duration(event: Publication) -> timedelta:
    if event.starts_at is not None and event.ends_at is not None and event.ends_at > event.starts_at:
        return event.ends_at - event.starts_at
    return EVENT_DEFAULT_DURATION


def series_starts(event: Publication, timezone: str, start: datetime, end: datetime) -> list[datetime]:
    """The starts (aware UTC) of ``event``'s occurrences that overlap [start, end), EXDATEs out:
    the agenda's own expansion (app.publications.recurrence), widened by one duration so that an
    occurrence begun before ``start`` and not over is kept."""
    duration = _duration(event)
    return [moment for moment in recurrence.occurrence_starts(event, timezone, start - duration, end)
            if moment + duration > start]


def occurrences(events: list[Publication], changed: list[Publication], timezone: str,
                start: datetime, end: datetime) -> list[Occurrence]:
    """The occurrences of ``events`` in [start, end), sorted by start; ``changed`` are the
    occurrences changed on their own (their series among ``events``)."""
    replaced = {(c.recurrence_parent_id, c.recurrence_id): c for c in changed if c.recurrence_id is not None}
    found = []
    for event in events:
        duration = _duration(event)
        for moment in series_starts(event, timezone, start, end):
            own = replaced.pop((event.id, moment), None)
            if own is not None:
                if own.starts_at is not None and own.starts_at < end and own.starts_at + _duration(own) > start:
                    found.append(Occurrence(own, own.starts_at, own.starts_at + _duration(own), moment,
                                            own.cancelled_at is not None))
                continue
            recurrence_id = moment if event.rrule else None
            found.append(Occurrence(event, moment, moment + duration, recurrence_id, event.cancelled_at is not None))
    # A changed occurrence moved into the window from outside it.
    for own in replaced.values():
        if own.starts_at is not None and own.starts_at < end and own.starts_at + _duration(own) > start:
            found.append(Occurrence(own, own.starts_at, own.starts_at + _duration(own), own.recurrence_id,
                                    own.cancelled_at is not None))
    found.sort(key=lambda o: (o.starts_at, o.publication.id))
    return found
