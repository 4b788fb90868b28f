"""A town with street-report categories, reports and an Open311 key, for the Open311 tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from xml.etree import ElementTree

from app.extensions import db
from app.models_common import utcnow
from app.reports import open311
from app.reports import services as report_services
from app.reports.models import Report, ReportCategory
from tests.factories import make_actor, make_territory, make_user

# GeoReport v2's fields (http://wiki.open311.org/GeoReport_v2), written out here from the
# specification rather than taken from the code under test.
SPEC_DISCOVERY = ("changeset", "contact", "key_service", "endpoints")
SPEC_ENDPOINT = ("specification", "url", "changeset", "type", "formats")
SPEC_SERVICE = ("service_code", "service_name", "description", "metadata", "type", "keywords", "group")
SPEC_DEFINITION = ("service_code", "attributes")
SPEC_REQUEST = (
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url",
)
SPEC_POSTED = ("service_request_id", "service_notice", "account_id")
SPEC_TOKEN = ("service_request_id", "token")
SPEC_ERROR = ("code", "description")

REPORTER_EMAIL = "camille.reporter@example.org"
REPORTER_NAME = "Camille Rapporteuse"


@dataclass
class Town:
    territory: Any
    service: Any
    potholes: ReportCategory
    lights: ReportCategory
    reporter: Any
    key: str


def make_town(slug: str = "laciotat", hosts: tuple[str, ...] = ("localhost",)) -> Town:
    territory = make_territory(slug, f"Town {slug}", hosts=hosts, timezone="Europe/Paris")
    service = make_actor(territory, "Voirie municipale", kind="town_service")
    potholes = ReportCategory(territory_id=territory.id, service_code="pothole", name="Pothole",
                              description="A hole in the road", service_actor_id=service.id, expected_days=10)
    lights = ReportCategory(territory_id=territory.id, service_code="streetlight", name="Street light",
                            service_actor_id=service.id, expected_days=5, position=1)
    db.session.add_all([potholes, lights])
    db.session.commit()
    reporter = make_user(territory, REPORTER_EMAIL, display_name=REPORTER_NAME)
    _key, raw = open311.issue_key(territory, "Back office")
    return Town(territory, service, potholes, lights, reporter, raw)


def file(town: Town, category: ReportCategory, description: str, *, when: datetime | None = None,
         lat: float = 43.1751, lon: float = 5.6050, address: str = "") -> Report:
    report, _created = report_services.file_report(
        town.territory, town.reporter,
        report_services.NewReport(category=category, lat=lat, lon=lon, description=description, address=address),
        now=when or utcnow())
    return report


def days_ago(days: int) -> datetime:
    return utcnow() - timedelta(days=days)


def xml_items(body: bytes, root: str, item: str) -> list[ElementTree.Element]:
    tree = ElementTree.fromstring(body)
    assert tree.tag == root
    return list(tree.findall(item))
