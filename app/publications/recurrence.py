"""Recurring events: the simple repeat choices of the editor, written as an RFC 5545 RRULE, and
their occurrences on the town's clock.

The RRULE counts from ``starts_at`` on the territory's wall clock (the Saturday market at 08:00
stays at 08:00 across summer time): each occurrence is computed as a local time, then made aware
in the territory's zone and converted to UTC on its own."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from dateutil.rrule import rrulestr

from app.timezones import zone

FREQUENCIES = ("none", "daily", "weekly", "monthly")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# Never more occurrences than this from one series (an agenda page, a calendar feed's window).
MAX_OCCURRENCES = 1000


@dataclass(frozen=True)
class Repeat:
    """The editor's choice: how often, every how many, on which weekdays, until when."""

    frequency: str = "none"
    interval: int = 1
    weekdays: tuple[str, ...] = ()
    until: date | None = None  # the last local day, included
    count: int | None = None

    def rrule(self, starts_at: datetime | None, tz: Any) -> str:
        """The RRULE value ("" when it does not repeat). UNTIL is the end of the last local day,
        in UTC, as RFC 5545 asks when DTSTART has a time zone."""
        if self.frequency not in FREQUENCIES or self.frequency == "none":
            return ""
        parts = [f"FREQ={self.frequency.upper()}"]
        if self.interval and self.interval > 1:
            parts.append(f"INTERVAL={int(self.interval)}")
        if self.frequency == "weekly":
            days = [day for day in WEEKDAYS if day in self.weekdays]
            if not days and starts_at is not None:
                days = [WEEKDAYS[starts_at.astimezone(zone(tz)).weekday()]]
            if days:
                parts.append("BYDAY=" + ",".join(days))
        if self.until is not None:
            last = datetime.combine(self.until, datetime.max.time().replace(microsecond=0))
            until_utc = last.replace(tzinfo=zone(tz)).astimezone(UTC)
            parts.append("UNTIL=" + until_utc.strftime("%Y%m%dT%H%M%SZ"))
        elif self.count:
            parts.append(f"COUNT={int(self.count)}")
        return ";".join(parts)


def parse_repeat(rrule: str, tz: Any) -> Repeat:
    """The editor's choice back from an RRULE value (the parts it knows)."""
    if not rrule:
        return Repeat()
    parts = dict(part.split("=", 1) for part in rrule.split(";") if "=" in part)
    frequency = parts.get("FREQ", "").lower()
    if frequency not in FREQUENCIES:
        return Repeat()
    until = None
    if "UNTIL" in parts:
        value = parts["UNTIL"]
        try:
            moment = datetime.strptime(value.rstrip("Z"), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
            until = moment.astimezone(zone(tz)).date()
        except ValueError:
            until = None
    return Repeat(
        frequency=frequency,
        interval=int(parts.get("INTERVAL", "1") or 1),
        weekdays=tuple(day for day in parts.get("BYDAY", "").split(",") if day in WEEKDAYS),
        until=until,
        count=int(parts["COUNT"]) if parts.get("COUNT", "").isdigit() else None,
    )


def exdates(publication: Any) -> list[datetime]:
    """The occurrences taken out of a series (aware UTC)."""
    try:
        values = json.loads(publication.exdates_json or "[]")
    except ValueError:
        return []
    found = []
    for value in values:
        try:
            moment = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            continue
        found.append(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    return sorted(moment.astimezone(UTC) for moment in found)


def with_exdate(publication: Any, moment: datetime) -> str:
    """``exdates_json`` with ``moment`` taken out too."""
    moments = {m.isoformat() for m in exdates(publication)}
    moments.add(moment.astimezone(UTC).isoformat())
    return json.dumps(sorted(moments))


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of an event: its publication, its start and end (aware UTC)."""

    publication: Any
    starts_at: datetime
    ends_at: datetime | None

    @property
    def is_recurring(self) -> bool:
        return bool(self.publication.rrule)

    def __getattr__(self, name: str) -> Any:  # the publication's other fields, for templates
        return getattr(self.publication, name)


def occurrence_starts(publication: Any, tz: Any, window_start: datetime, window_end: datetime,
                      *, skip: frozenset[datetime] = frozenset()) -> list[datetime]:
    """The starts (aware UTC) of ``publication``'s occurrences in [window_start, window_end),
    without its EXDATEs nor ``skip`` (occurrences changed on their own). A publication without
    RRULE has its one start."""
    start = publication.starts_at
    if start is None:
        return []
    if not publication.rrule:
        return [start] if window_start <= start < window_end else []
    local_zone = zone(tz)
    try:
        # An aware local DTSTART: dateutil keeps the wall-clock time and attaches the zone to each
        # occurrence, so the UTC hour moves with summer time; UNTIL (UTC) compares with it.
        rule = rrulestr(publication.rrule, dtstart=start.astimezone(local_zone), cache=False)
    except (ValueError, TypeError):
        return [start] if window_start <= start < window_end else []
    out_of_series = set(exdates(publication)) | set(skip)
    found: list[datetime] = []
    for local in rule.xafter(window_start.astimezone(local_zone), count=MAX_OCCURRENCES, inc=True):
        moment = local.replace(fold=0).astimezone(UTC)
        if moment >= window_end:
            break
        if moment >= window_start and moment not in out_of_series:
            found.append(moment)
    return found


def occurrences(publication: Any, tz: Any, window_start: datetime, window_end: datetime,
                *, skip: frozenset[datetime] = frozenset()) -> list[Occurrence]:
    """The occurrences of ``publication`` starting in the window, each with its end (the same
    duration as the first)."""
    duration = (publication.ends_at - publication.starts_at) \
        if publication.ends_at is not None and publication.starts_at is not None else None
    return [
        Occurrence(publication, start, start + duration if duration is not None else None)
        for start in occurrence_starts(publication, tz, window_start, window_end, skip=skip)
    ]
