"""Data for the tests of the public side of street reports: a town with two neighbourhoods, two
categories, and reports planted as the reporting service files them (through file_report), then
moved in time or status where a test needs it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from app.extensions import db
from app.reports.models import Report, ReportCategory
from app.reports.services import NewReport, change_status, file_report
from app.territories.models import Neighbourhood, Territory
from tests.factories import NEGLIGIBLE_NOISE, make_actor, make_territory, make_user

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
PORT_HOOD = [[5.60, 43.17], [5.61, 43.17], [5.61, 43.18], [5.60, 43.18], [5.60, 43.17]]
HILL_HOOD = [[5.62, 43.17], [5.63, 43.17], [5.63, 43.18], [5.62, 43.18], [5.62, 43.17]]


def hood(territory: Territory, name: str, ring: list[list[float]]) -> Neighbourhood:
    found = Neighbourhood(territory_id=territory.id, name=name, slug=name.lower(),
                          geojson=json.dumps({"type": "Polygon", "coordinates": [ring]}))
    db.session.add(found)
    db.session.commit()
    return found


def town(noise: bool = False) -> Territory:
    """La Ciotat with the Port and the Hill; ``noise``: the production release settings."""
    territory = make_territory(**({} if noise else NEGLIGIBLE_NOISE))
    hood(territory, "Port", PORT_HOOD)
    hood(territory, "Hill", HILL_HOOD)
    return territory


def category(territory: Territory, name: str = "Pothole", code: str = "pothole", days: int = 7) -> ReportCategory:
    service = make_actor(territory, name=f"Roads {code}", kind="town_service")
    found = ReportCategory(territory_id=territory.id, service_code=code, name=name, service_actor_id=service.id,
                           expected_days=days)
    db.session.add(found)
    db.session.commit()
    return found


def report(territory: Territory, cat: ReportCategory, lat: float = 43.175, lon: float = 5.605, *,
           address: str = "", reporter=None, created: datetime | None = None,  # type: ignore[no-untyped-def]
           description: str = "A hole in the road") -> Report:
    reporter = reporter or make_user(territory)
    made, _new = file_report(territory, reporter, NewReport(category=cat, lat=lat, lon=lon,
                                                            description=description, address=address),
                             now=created or NOW - timedelta(days=2))
    return made


def resolve(made: Report, after_days: float) -> None:
    change_status(made, "resolved", "Filled.", now=made.created_at + timedelta(days=after_days))
