"""Footfall in the observatory: who is present by population type, taken from the live cells
before they expire, and presence by zone and hour of the day."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.accounts.consents import LIVE_LOCATION
from app.accounts.models import Consent
from app.extensions import db
from app.models_common import utcnow
from app.observatory import services
from app.places import footfall, live
from app.places.models import FootfallHour
from app.releases.engine import Asker
from app.timezones import local_date
from tests.factories import JOINED_AT, make_neighbourhood
from tests.observatory.conftest import page_tables, plant
from tests.places.conftest import BOUNDARY, FAR_BEACH, HARBOUR

MORNING = datetime(2026, 12, 5, 9, 7, tzinfo=UTC)  # 10:07 in Paris


def _population_rows(territory) -> dict[str, tuple[int, int]]:
    return {
        row.zone: (row.samples, row.presence_sum)
        for row in db.session.scalars(select(FootfallHour).where(
            FootfallHour.territory_id == territory.id, FootfallHour.zone.startswith(footfall.POPULATION_PREFIX)))
    }


def test_footfall_by_population_type_is_taken_from_live_cells(app, territory):
    territory.boundary_geojson = json.dumps(BOUNDARY)
    db.session.commit()
    tourists = plant(territory, 3, population_type="tourist")
    [worker] = plant(territory, 1, population_type="seasonal_elsewhere")
    [private] = plant(territory, 1, population_type="tourist", consent=False)  # no profile consent
    [newcomer] = plant(territory, 1, population_type="tourist")
    newcomer.created_at = MORNING - timedelta(days=1)  # not established yet: does not count
    [expired] = plant(territory, 1, population_type="resident")
    db.session.commit()
    for person in [*tourists, worker, private, newcomer]:
        db.session.add(Consent(user_id=person.id, purpose=LIVE_LOCATION))
        live.check_in(person, territory, *HARBOUR, now=MORNING - timedelta(minutes=5))
    live.check_in(expired, territory, *FAR_BEACH, now=MORNING - timedelta(minutes=70))

    counts = footfall.record_snapshot(territory, MORNING)
    assert counts["town"] == 6
    assert counts["p-tourist"] == 3 and counts["p-seasonal_elsewhere"] == 1 and counts["p-resident"] == 0
    footfall.record_snapshot(territory, MORNING + timedelta(minutes=15))
    rows = _population_rows(territory)
    assert rows["p-tourist"] == (2, 6)
    assert rows["p-seasonal_elsewhere"] == (2, 2)
    assert rows["p-day_visitor"] == (2, 0)  # a type with nobody present still gets its samples
    assert all(len(zone) <= 20 for zone in rows)
    assert JOINED_AT < MORNING


def plant_footfall(territory, hood, days: int = 7) -> None:
    """Footfall sums for the last ``days`` whole days, as the snapshots write them (every zone at
    every snapshot): at 10:00, 80 present in the town, 30 of them in ``hood``, 45 tourists and 4
    residents; at 03:00, 3 in the town, 2 in ``hood``, 1 tourist."""
    today = local_date(utcnow(), territory)
    presence = {10: {"town": 80, f"hood-{hood.id}": 30, "p-tourist": 45, "p-resident": 4},
                3: {"town": 3, f"hood-{hood.id}": 2, "p-tourist": 1, "p-resident": 0}}
    for back in range(1, days + 1):
        day = today - timedelta(days=back)
        for hour, zones in presence.items():
            for zone, present in zones.items():
                db.session.add(FootfallHour(
                    territory_id=territory.id, zone=zone, local_date=day, hour=hour, samples=4,
                    neighbourhood_id=hood.id if zone.startswith("hood-") else None, presence_sum=4 * present,
                ))
    db.session.commit()


def test_presence_by_zone_and_hour(admin_client, territory):
    harbour = make_neighbourhood(territory, "Harbour")
    plant_footfall(territory, harbour)
    html = admin_client.get("/admin/observatory?days=7").get_data(as_text=True)
    table = page_tables(html)["footfall"]
    assert table[0] == ["Hour", "Whole town", "Harbour"]
    rows = {row[0]: row[1:] for row in table[1:]}
    assert rows["10:00"] == ["80", "30"]
    assert rows["03:00"] == ["", ""]  # 3 and 2 people: under the floor, like an hour without data
    assert rows["04:00"] == ["", ""]
    assert "Average presence by hour: Harbour" in html


def test_presence_by_month_and_population_type(app, territory):
    harbour = make_neighbourhood(territory, "Harbour")
    plant_footfall(territory, harbour, days=3)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        section = services.mix(territory, Asker.town(territory))
    header, *rows = section.by_month.lines()
    filled = [row for row in rows if any(row[1:])]
    assert filled, "no month with figures"
    for row in filled:
        # The month's average: (80 + 3) / 2 in all, (45 + 1) / 2 tourists, 2 residents.
        assert row[header.index("Everyone present")] == "40"
        assert row[header.index("Tourist")] == "20"
        assert row[header.index("Permanent resident")] == ""
