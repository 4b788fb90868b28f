"""Opening hours read with their exceptions: whether an actor is open at a moment, when that
changes next, and the exceptions (holidays, special days) its members enter.

Hours are wall-clock times of the territory's time zone: "09:00" is nine on the town's clocks in
winter and in summer, and a day on which the clocks change is as long as it really is. A range
whose closing time is not after its opening time runs past midnight (Friday's ["22:00", "02:00"]
ends on Saturday at 02:00; ["00:00", "00:00"] is the whole day). An exception replaces the weekly
hours of the days it covers (closed, or its own ranges); the end of the previous evening's range
past midnight still belongs to that evening."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from sqlalchemy import select

from app.actors.hours_models import HoursException
from app.actors.models import Actor, ActorHashtag
from app.extensions import db
from app.territories.models import Territory
from app.timezones import zone

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# How far ahead the next opening is looked for: beyond, "opens on ..." says little.
HORIZON_DAYS = 14
MAX_EXCEPTION_DAYS = 366


@dataclass(frozen=True)
class Change:
    """The next change of an actor's state: at ``at`` (aware UTC) it ``opens`` (or closes)."""

    at: datetime
    opens: bool


@dataclass(frozen=True)
class OpenState:
    open: bool
    change: Change | None


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")[:2]
    return int(hours) * 60 + int(minutes)


def _timezone_of(actor: Actor, timezone: str | None) -> tzinfo:
    if timezone is None:
        territory = db.session.get(Territory, actor.territory_id)
        timezone = territory.timezone if territory else "Europe/Paris"
    return zone(timezone)


def ranges_of_day(weekly: dict[str, list[list[str]]], exceptions: Iterable[HoursException],
                  day: date) -> list[list[str]]:
    """The ranges that start on ``day``: an exception's when one covers it, else the weekday's."""
    for exception in exceptions:
        if exception.covers(day):
            return exception.hours
    return weekly.get(WEEKDAYS[day.weekday()], [])


def _intervals(weekly: dict[str, list[list[str]]], exceptions: list[HoursException],
               first: date, last: date) -> list[tuple[datetime, datetime]]:
    """The open intervals (naive local wall-clock times) of the ranges starting from ``first``
    to ``last``, merged where one ends as (or after) the next begins."""
    found = []
    day = first
    while day <= last:
        midnight = datetime(day.year, day.month, day.day)
        for opens, closes in ranges_of_day(weekly, exceptions, day):
            start, end = _minutes(opens), _minutes(closes)
            if end <= start:
                end += 24 * 60
            found.append((midnight + timedelta(minutes=start), midnight + timedelta(minutes=end)))
        day += timedelta(days=1)
    found.sort()
    merged: list[tuple[datetime, datetime]] = []
    for start, end in found:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _to_utc(wall: datetime, tz: tzinfo) -> datetime:
    return wall.replace(tzinfo=tz, fold=0).astimezone(UTC)


def exceptions_by_actor(actor_ids: Iterable[int], around: date,
                        days: int = HORIZON_DAYS) -> dict[int, list[HoursException]]:
    """The exceptions of these actors that touch the days from ``around`` - 1 to ``around`` +
    ``days``, in one query (a list of actors reads them once)."""
    ids = list(actor_ids)
    found: dict[int, list[HoursException]] = defaultdict(list)
    if not ids:
        return found
    rows = db.session.scalars(select(HoursException).where(
        HoursException.actor_id.in_(ids),
        HoursException.ends_on >= around - timedelta(days=1),
        HoursException.starts_on <= around + timedelta(days=days + 1),
    ).order_by(HoursException.starts_on, HoursException.id))
    for row in rows:
        found[row.actor_id].append(row)
    return found


def state_at(actor: Actor, when: datetime, timezone: str | None = None,
             exceptions: list[HoursException] | None = None) -> OpenState:
    """Whether ``actor`` is open at the aware moment ``when``, and its next change within
    ``HORIZON_DAYS`` (None: no change ahead, or no hours at all)."""
    tz = _timezone_of(actor, timezone)
    local = when.astimezone(tz).replace(tzinfo=None)
    today = local.date()
    if exceptions is None:
        exceptions = exceptions_by_actor([actor.id], today).get(actor.id, [])
    intervals = _intervals(actor.opening_hours, exceptions, today - timedelta(days=1),
                           today + timedelta(days=HORIZON_DAYS))
    for start, end in intervals:
        if start <= local < end:
            return OpenState(True, Change(_to_utc(end, tz), opens=False))
        if start > local:
            return OpenState(False, Change(_to_utc(start, tz), opens=True))
    return OpenState(False, None)


def is_open_at(actor: Actor, when: datetime, timezone: str | None = None,
               exceptions: list[HoursException] | None = None) -> bool:
    return state_at(actor, when, timezone, exceptions).open


def next_change(actor: Actor, when: datetime, timezone: str | None = None,
                exceptions: list[HoursException] | None = None) -> Change | None:
    return state_at(actor, when, timezone, exceptions).change


# ---------------------------------------------------------------- the actor's exceptions


def upcoming_exceptions(actor: Actor, today: date) -> list[HoursException]:
    """The actor's exceptions not yet over, soonest first."""
    return list(db.session.scalars(select(HoursException).where(
        HoursException.actor_id == actor.id, HoursException.ends_on >= today,
    ).order_by(HoursException.starts_on, HoursException.id)))


def add_exception(actor: Actor, starts_on: date, ends_on: date, label: str,
                  hours: list[list[str]] | None = None) -> HoursException:
    """A new exception: closed all day when ``hours`` is empty, else those special hours."""
    exception = HoursException(
        territory_id=actor.territory_id, actor_id=actor.id, starts_on=starts_on, ends_on=ends_on,
        closed=not hours, hours_json=json.dumps(hours or []), label=label.strip(),
    )
    db.session.add(exception)
    db.session.commit()
    return exception


def exception_of(actor: Actor, exception_id: int) -> HoursException | None:
    """The actor's exception ``exception_id``; None when it is not the actor's."""
    exception = db.session.get(HoursException, exception_id)
    return exception if exception is not None and exception.actor_id == actor.id else None


def remove_exception(actor: Actor, exception_id: int) -> bool:
    """Removes the actor's exception ``exception_id``; False when it is not the actor's."""
    exception = exception_of(actor, exception_id)
    if exception is None:
        return False
    db.session.delete(exception)
    db.session.commit()
    return True


# ---------------------------------------------------------------- the town's "open now"


@dataclass(frozen=True)
class ActorState:
    actor: Actor
    state: OpenState


def open_now(territory: Territory, now: datetime, kind: str = "",
             hashtag_id: int | None = None) -> tuple[list[ActorState], list[ActorState]]:
    """The territory's verified actors open at ``now`` (by name), and those opening later the
    same local day (soonest first), of ``kind`` and with the hashtag ``hashtag_id`` if given."""
    query = select(Actor).where(Actor.territory_id == territory.id, Actor.status == "verified")
    if kind:
        query = query.where(Actor.kind == kind)
    if hashtag_id is not None:
        query = query.where(Actor.id.in_(
            select(ActorHashtag.actor_id).where(ActorHashtag.hashtag_id == hashtag_id)))
    actors = list(db.session.scalars(query.order_by(Actor.name, Actor.id)))
    tz = zone(territory.timezone)
    today = now.astimezone(tz).date()
    exceptions = exceptions_by_actor([a.id for a in actors], today)
    open_list, later = [], []
    for actor in actors:
        state = state_at(actor, now, territory.timezone, exceptions.get(actor.id, []))
        if state.open:
            open_list.append(ActorState(actor, state))
        elif state.change is not None and state.change.at.astimezone(tz).date() == today:
            later.append(ActorState(actor, state))
    later.sort(key=lambda row: (row.state.change.at if row.state.change else now, row.actor.name))
    return open_list, later
