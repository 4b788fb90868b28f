"""Quiet hours: a person's nightly period (default 21:00-08:00, on the territory's clock) in which
interrupting channels wait. Functions of their inputs (``now`` is passed in), shared by the
settings page and the delivery engine's policy. ``settings``: anything with ``quiet_start`` and
``quiet_end`` ("HH:MM" strings)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from app.models_common import utcnow
from app.timezones import parse_hhmm, zone


def _quiet_bounds(settings: Any) -> tuple[time, time] | None:
    start, end = parse_hhmm(settings.quiet_start), parse_hhmm(settings.quiet_end)
    if start is None or end is None or start == end:
        return None  # no quiet hours
    return start, end


def _in_period(moment: time, start: time, end: time) -> bool:
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end  # across midnight, e.g. 21:00-08:00


def is_quiet_time(settings: Any, tz: Any, now: datetime | None = None) -> bool:
    """Whether ``now`` falls in the person's quiet hours, read on the territory's wall clock.
    ``tz``: a zone name, a tzinfo or a territory."""
    bounds = _quiet_bounds(settings)
    if bounds is None:
        return False
    local = (now or utcnow()).astimezone(zone(tz))
    return _in_period(local.time().replace(tzinfo=None), *bounds)


def _moments_showing(day: date, end: time, local_zone: tzinfo) -> list[datetime]:
    """The UTC moments at which the wall clock first shows ``end`` on ``day``: one, two when
    clocks go back (it is shown twice), or, when clocks go forward over it, the end of the gap."""
    wall = datetime.combine(day, end)
    moments = set()
    for fold in (0, 1):
        moment = wall.replace(tzinfo=local_zone, fold=fold).astimezone(UTC)
        if moment.astimezone(local_zone).replace(tzinfo=None) == wall:
            moments.add(moment)
    if not moments:  # skipped by a spring-forward gap: the first minute after it
        probe = wall.replace(tzinfo=local_zone, fold=1).astimezone(UTC)  # a moment before the gap
        while probe.astimezone(local_zone).replace(tzinfo=None) < wall:
            probe += timedelta(minutes=1)
        moments.add(probe)
    return sorted(moments)


def quiet_end(settings: Any, tz: Any, now: datetime | None = None) -> datetime | None:
    """When the quiet period ``now`` falls in ends, as an aware UTC datetime; None when ``now``
    is not in quiet hours (or there are none). ``tz``: a zone name, a tzinfo or a territory.
    The end is the first moment still to come at which the wall clock shows the end time (on a
    night when clocks go forward over it: when they land after it)."""
    now = now or utcnow()
    if not is_quiet_time(settings, tz, now):
        return None
    bounds = _quiet_bounds(settings)
    assert bounds is not None
    local_zone = zone(tz)
    day = now.astimezone(local_zone).date()
    for offset in range(3):
        for moment in _moments_showing(day + timedelta(days=offset), bounds[1], local_zone):
            if moment > now:
                return moment
    return None  # not reached: the end time comes within two days
