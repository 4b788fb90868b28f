"""Footfall: presence by neighbourhood and local hour, summed from snapshots of the live cells
before they expire; only the sums are kept, nobody is in them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import inspect, select

from app.extensions import db
from app.places import footfall, live
from app.places.models import FootfallHour
from app.places.tasks import snapshot_footfall
from app.territories.models import Neighbourhood
from tests.factories import make_territory, make_user
from tests.places.conftest import FAR_BEACH, HARBOUR, square

# 10:07 in Paris (UTC+1 in December): the local hour is 10.
MORNING = datetime(2026, 12, 5, 9, 7, tzinfo=UTC)


def _hood(territory, name: str, centre: tuple[float, float]) -> Neighbourhood:
    hood = Neighbourhood(territory_id=territory.id, name=name, slug=name.lower(),
                         geojson=json.dumps(square(centre[1], centre[0], 0.004)))
    db.session.add(hood)
    db.session.commit()
    return hood


def _rows(territory) -> dict[str, tuple[int, int, int]]:
    """The rows of the town and its neighbourhoods (tests/observatory reads those by population type)."""
    return {
        row.zone: (row.hour, row.samples, row.presence_sum)
        for row in db.session.scalars(select(FootfallHour).where(FootfallHour.territory_id == territory.id))
        if not row.zone.startswith(footfall.POPULATION_PREFIX)
    }


def test_snapshots_add_up_by_neighbourhood_and_local_hour(app, town):
    harbour = _hood(town.territory, "Harbour", HARBOUR)
    beach = _hood(town.territory, "Beach", FAR_BEACH)
    people = [town.citizen, *(make_user(town.territory) for _ in range(3))]
    for person in people[:3]:
        live.check_in(person, town.territory, *HARBOUR, now=MORNING - timedelta(minutes=5))
    live.check_in(people[3], town.territory, *FAR_BEACH, now=MORNING - timedelta(minutes=70))  # expired

    counts = footfall.record_snapshot(town.territory, MORNING)
    counts = {zone: n for zone, n in counts.items() if not zone.startswith(footfall.POPULATION_PREFIX)}
    assert counts == {"town": 3, f"hood-{harbour.id}": 3, f"hood-{beach.id}": 0}
    # A quarter of an hour later one has moved to the beach.
    live.check_in(people[0], town.territory, *FAR_BEACH, now=MORNING + timedelta(minutes=14))
    footfall.record_snapshot(town.territory, MORNING + timedelta(minutes=15))

    assert _rows(town.territory) == {
        "town": (10, 2, 6), f"hood-{harbour.id}": (10, 2, 5), f"hood-{beach.id}": (10, 2, 1),
    }
    # The next local hour starts new rows.
    footfall.record_snapshot(town.territory, MORNING + timedelta(minutes=60))
    hours = db.session.scalars(select(FootfallHour.hour).where(FootfallHour.zone == "town")).all()
    assert sorted(hours) == [10, 11]


def test_each_territory_keeps_its_own_and_the_task_snapshots_them_all(app, town):
    other = make_territory("montgenevre", "Montgenèvre", hosts=("station.localhost",), timezone="Europe/Paris")
    live.check_in(town.citizen, town.territory, *HARBOUR)
    assert snapshot_footfall.call_local() == 2
    assert _rows(town.territory)["town"][1:] == (1, 1)
    assert _rows(other)["town"][1:] == (1, 0)


def test_footfall_names_nobody(app, town):
    """No column leads to a person or a cell, and no time is finer than the hour."""
    columns = {c["name"] for c in inspect(db.engine).get_columns("footfall_hour")}
    assert columns == {"id", "territory_id", "zone", "neighbourhood_id", "local_date", "hour", "samples",
                       "presence_sum"}
    targets = {fk["referred_table"] for fk in inspect(db.engine).get_foreign_keys("footfall_hour")}
    assert targets == {"territory", "neighbourhood"}
