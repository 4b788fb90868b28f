"""When a campaign goes out, computed in the territory's time zone.

"Every Friday at 09:00" means 09:00 on the town's clocks, summer and winter: each occurrence is
a local date and time converted to UTC on its own (zoneinfo), so the UTC hour moves with daylight
saving time while the local hour stays.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.territories.models import Territory


def zone_of(territory: Territory) -> ZoneInfo:
    return ZoneInfo(territory.timezone or "UTC")


def parse_hhmm(value: str) -> time:
    """"09:00" -> time(9, 0); ValueError if malformed."""
    hours, minutes = value.strip().split(":")
    if len(minutes) != 2:
        raise ValueError(value)
    return time(int(hours), int(minutes))


def local_to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """A local wall-clock time as aware UTC. A time skipped by the spring change (02:30 when
    clocks jump from 02:00 to 03:00) comes out one hour later on the wall clock; a time that
    happens twice in autumn is the first of the two."""
    return datetime.combine(day, at).replace(tzinfo=zone, fold=0).astimezone(UTC)


def end_of_local_day(day: date, zone: ZoneInfo) -> datetime:
    """The last moment of a local date, in UTC: "until 31 May" includes the 31st."""
    return local_to_utc(day + timedelta(days=1), time(0, 0), zone) - timedelta(microseconds=1)


def next_weekly(weekday: int, at: time, after: datetime, zone: ZoneInfo) -> datetime:
    """The first local ``weekday`` at ``at`` strictly after ``after`` (aware), in UTC."""
    local_day = after.astimezone(zone).date()
    for offset in range(0, 8):
        day = local_day + timedelta(days=offset)
        if day.weekday() != weekday:
            continue
        candidate = local_to_utc(day, at, zone)
        if candidate > after:
            return candidate
    raise AssertionError("a weekday comes back within eight days")


def weekly_occurrences(
    weekday: int, at: time, start: datetime, until: datetime, zone: ZoneInfo
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
    after: datetime, zone: ZoneInfo,
) -> datetime | None:
    """The occurrence of a weekly campaign that follows ``after``; None when it is over."""
    if weekday is None or not repeat_time:
        return None
    candidate = next_weekly(weekday, parse_hhmm(repeat_time), after, zone)
    if repeat_until is not None and candidate > repeat_until:
        return None
    return candidate
