"""Footfall for the observatory of needs: how many people are present, by neighbourhood and by
hour of the day, taken from the live cells before they expire.

Every ``SNAPSHOT_EVERY`` the worker counts, per territory, the fresh live cells (people who
turned live location on and reported in the last hour) in each neighbourhood and in the whole
town, and adds the counts to that local hour's row (``FootfallHour``): ``samples`` + 1,
``presence_sum`` + the count. It also counts who is present in the town by population type
(zone ``"p-<type>"``): only people who let their profile be used (the profile-targeting consent)
and whose account is established, so that "who passes through" by month is a sum like the others. Only these sums are kept; the cells themselves are forgotten after
an hour as before, so no one's path can be read back from footfall. A zone with nobody present
still gets its sample, so that an average over the hour is honest."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import func, select

from app import geo
from app.accounts.consents import PROFILE_TARGETING
from app.accounts.models import Consent, User
from app.extensions import db
from app.models_common import utcnow
from app.places.live import fresh_after
from app.places.models import FootfallHour, LiveCell
from app.releases.engine import established
from app.territories.models import POPULATION_TYPES, Neighbourhood, Territory
from app.timezones import zone as time_zone

SNAPSHOT_EVERY = timedelta(minutes=15)
TOWN = "town"
POPULATION_PREFIX = "p-"  # "p-seasonal_elsewhere" fits the zone's 20 characters


def population_zone(population_type: str) -> str:
    return f"{POPULATION_PREFIX}{population_type}"


@lru_cache(maxsize=256)
def _cells_of(geojson: str) -> frozenset[int]:
    """A neighbourhood's live cells (those whose centre lies in it): cached by its outline."""
    return frozenset(geo.cells_with_centre_inside(geojson, geo.LIVE_RESOLUTION))


def present_by_zone(territory: Territory, now: datetime | None = None) -> dict[str, int]:
    """How many people are present now in the town and in each neighbourhood ("hood-<id>")."""
    rows = db.session.execute(
        select(LiveCell.cell, func.count())
        .where(LiveCell.territory_id == territory.id, LiveCell.seen_at > fresh_after(now))
        .group_by(LiveCell.cell)
    ).all()
    by_cell = Counter({int(cell): int(count) for cell, count in rows})
    counts = {TOWN: sum(by_cell.values())}
    hoods = db.session.execute(
        select(Neighbourhood.id, Neighbourhood.geojson).where(Neighbourhood.territory_id == territory.id)
    ).all()
    for hood_id, geojson in hoods:
        cells = _cells_of(geojson) if geojson else frozenset()
        counts[f"hood-{hood_id}"] = sum(by_cell[cell] for cell in cells if cell in by_cell)
    counts.update(present_by_population_type(territory, now))
    return counts


def present_by_population_type(territory: Territory, now: datetime | None = None) -> dict[str, int]:
    """How many people are present now in the town by population type ("p-<type>"): only
    established accounts that gave the profile-targeting consent; every type gets its sample,
    0 included."""
    consented = select(Consent.id).where(
        Consent.user_id == User.id, Consent.purpose == PROFILE_TARGETING, Consent.withdrawn_at.is_(None),
    ).exists()
    rows = db.session.execute(
        select(User.population_type, func.count())
        .join(LiveCell, LiveCell.user_id == User.id)
        .where(LiveCell.territory_id == territory.id, LiveCell.seen_at > fresh_after(now),
               User.territory_id == territory.id, User.population_type.in_(POPULATION_TYPES),
               established(territory, now), consented)
        .group_by(User.population_type)
    ).all()
    found = {str(kind): int(count) for kind, count in rows}
    return {population_zone(kind): found.get(kind, 0) for kind in POPULATION_TYPES}


def record_snapshot(territory: Territory, now: datetime | None = None) -> dict[str, int]:
    """Add this moment's presence to the local hour's rows of ``territory``; returns the counts."""
    now = now or utcnow()
    local = now.astimezone(time_zone(territory))
    counts = present_by_zone(territory, now)
    existing = {
        row.zone: row for row in db.session.scalars(
            select(FootfallHour).where(
                FootfallHour.territory_id == territory.id, FootfallHour.local_date == local.date(),
                FootfallHour.hour == local.hour,
            )
        )
    }
    for zone_key, count in counts.items():
        row = existing.get(zone_key)
        if row is None:
            row = FootfallHour(
                territory_id=territory.id, zone=zone_key, local_date=local.date(), hour=local.hour,
                neighbourhood_id=int(zone_key.split("-", 1)[1]) if zone_key.startswith("hood-") else None,
                samples=0, presence_sum=0,
            )
            db.session.add(row)
        row.samples += 1
        row.presence_sum += count
    db.session.commit()
    return counts


def record_all(now: datetime | None = None) -> int:
    """A snapshot of every territory; returns how many territories."""
    territories = db.session.scalars(select(Territory)).all()
    for territory in territories:
        record_snapshot(territory, now)
    return len(territories)
