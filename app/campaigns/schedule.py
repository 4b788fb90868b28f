"""When a campaign goes out, computed in the territory's time zone.

"Every Friday at 09:00" means 09:00 on the town's clocks, summer and winter: each occurrence is
a local date and time converted to UTC on its own (zoneinfo), so the UTC hour moves with daylight
saving time while the local hour stays.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from app.timezones import local_date, local_to_utc, parse_hhmm


def next_weekly(weekday: int, at: time, after: datetime, zone: Any) -> datetime:
    """The first local ``weekday`` at ``at`` strictly after ``after`` (aware), in UTC."""
    local_day = local_date(after, zone)
    for offset in range(0, 8):
        day = local_day + timedelta(days=offset)
        if day.weekday() != weekday:
            continue
        candidate = local_to_utc(day, at, zone)
        if candidate > after:
            return candidate
    raise AssertionError("a weekday comes back within eight days")


def weekly_occurrences(
    weekday: int, at: time, start: datetime, until: datetime, zone: Any
) -> list[datetime]:
    """Every occurrence from ``start`` (inclusive) to ``until`` (inclusive), in UTC."""
    out: list[datetime] = []
    current = next_weekly(weekday, at, start - timedelta(microseconds=1), zone)
    while current <= until:
        out.append(current)
        current = next_weekly(weekday, at, current, zone)
    return out


def following_run(
    weekday: int | None, repeat_time: str | None, repeat_until: datetime | None,
    after: datetime, zone: Any,
) -> datetime | None:
    """The occurrence of a weekly campaign that follows ``after``; None when it is over."""
    if weekday is None or not repeat_time:
        return None
    at = parse_hhmm(repeat_time)
    if at is None:
        raise ValueError(repeat_time)
    candidate = next_weekly(weekday, at, after, zone)
    if repeat_until is not None and candidate > repeat_until:
        return None
    return candidate
