"""Times on the town's clock. The database holds aware UTC; people read and type times on their
territory's wall clock. Every conversion goes through here, so that summer time is handled the
same way everywhere: a local date and time is converted on its own (zoneinfo), so the UTC hour
moves with daylight saving time while the local hour stays."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# What a datetime-local input sends (with or without seconds; some browsers send a space).
DATETIME_LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
_HHMM = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


def zone(tz: Any) -> tzinfo:
    """A time zone from a zone name, a tzinfo, or anything with a ``timezone`` name (a
    territory); UTC for an empty or unknown name."""
    if isinstance(tz, tzinfo):
        return tz
    name = tz if isinstance(tz, str) else getattr(tz, "timezone", None)
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def is_known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def parse_hhmm(value: str | None) -> time | None:
    """"21:00" -> time(21, 0); None or anything malformed -> None."""
    if not value:
        return None
    match = _HHMM.fullmatch(value.strip())
    return time(int(match.group(1)), int(match.group(2))) if match else None


def local_to_utc(day: date, at: time, tz: Any) -> datetime:
    """A local wall-clock time as aware UTC. A time skipped by the spring change (02:30 when
    clocks jump from 02:00 to 03:00) comes out one hour later on the wall clock; a time that
    happens twice in autumn is the first of the two."""
    return datetime.combine(day, at).replace(tzinfo=zone(tz), fold=0).astimezone(UTC)


def local_midnight(day: date, tz: Any) -> datetime:
    """The start of a local date, as aware UTC."""
    return local_to_utc(day, time(0, 0), tz)


def end_of_local_day(day: date, tz: Any) -> datetime:
    """The last moment of a local date, in UTC: "until 31 May" includes the 31st."""
    return local_midnight(day + timedelta(days=1), tz) - timedelta(microseconds=1)


def local_date(moment: datetime, tz: Any) -> date:
    """The date on the town's calendar at ``moment``."""
    return moment.astimezone(zone(tz)).date()


def start_of_local_day(moment: datetime, tz: Any) -> datetime:
    """The start of ``moment``'s day on the town's wall clock, as aware UTC."""
    local = moment.astimezone(zone(tz))
    return datetime.combine(local.date(), time(0, 0), tzinfo=local.tzinfo).astimezone(UTC)


def local_day_bounds(moment: datetime, tz: Any) -> tuple[datetime, datetime]:
    """The start of ``moment``'s local day and of the next one, as aware datetimes."""
    day = local_date(moment, tz)
    return local_midnight(day, tz), local_midnight(day + timedelta(days=1), tz)


def wall_to_utc(value: datetime | None, tz: Any) -> datetime | None:
    """A naive wall-clock time typed in the territory (datetime-local input) as aware UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone(tz))
    return value.astimezone(UTC)


def utc_to_wall(value: datetime | None, tz: Any) -> datetime | None:
    """Aware UTC as the naive wall-clock time a datetime-local input shows."""
    if value is None:
        return None
    return value.astimezone(zone(tz)).replace(tzinfo=None, second=0, microsecond=0)
