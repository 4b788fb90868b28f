"""The occurrences of events in a window: a plain event once, a recurring one (RRULE from its
start, in the territory's time zone) at each of its dates minus its EXDATEs, an occurrence changed
on its own (``recurrence_parent_id`` + ``recurrence_id``) in place of the one it replaces.

The smallest local piece the API needs; the agenda's own expansion (agenda out) may replace it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from dateutil.rrule import rrulestr

from app.publications.models import EVENT_DEFAULT_DURATION, Publication
from app.timezones import zone

# A series is expanded this far at most (a rule without an end would run for ever).
MAX_OCCURRENCES = 1000


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


def _exdates(event: Publication) -> set[datetime]:
    found = set()
    for raw in json.loads(event.exdates_json or "[]"):
        try:
            moment = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
        except ValueError:
            continue
        found.add((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC))
    return found


def series_starts(event: Publication, timezone: str, start: datetime, end: datetime) -> list[datetime]:
    """The starts (aware UTC) of ``event``'s occurrences that overlap [start, end), EXDATEs out."""
    if event.starts_at is None:
        return []
    duration = _duration(event)
    if not event.rrule:
        return [event.starts_at] if event.starts_at < end and event.starts_at + duration > start else []
    tz = zone(timezone)
    first_local = event.starts_at.astimezone(tz).replace(tzinfo=None)
    try:
        rule: Any = rrulestr(event.rrule, dtstart=first_local, ignoretz=True)
    except (ValueError, TypeError):
        return [event.starts_at] if event.starts_at < end and event.starts_at + duration > start else []
    window_start = (start - duration).astimezone(tz).replace(tzinfo=None)
    window_end = end.astimezone(tz).replace(tzinfo=None)
    excluded = _exdates(event)
    starts = []
    for local in rule.between(window_start, window_end, inc=True)[:MAX_OCCURRENCES]:
        moment = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
        if moment in excluded or not (moment < end and moment + duration > start):
            continue
        starts.append(moment)
    return starts


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
