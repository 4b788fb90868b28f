"""The reports of an area as GeoJSON (RFC 7946) and as an Atom feed (RFC 4287): valid, with the
fields a map or a feed reader needs, and never a word about who made a report."""

from __future__ import annotations

import json
import re
from datetime import datetime
from xml.etree import ElementTree

import pytest
from shapely.geometry import shape

from app.models_common import utcnow
from app.reports.services import change_status
from tests.factories import make_user
from tests.reports.helpers_public import NOW, category, report, town

ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


@pytest.fixture
def territory(app):  # type: ignore[no-untyped-def]
    return town()


def test_geojson_is_a_valid_feature_collection_without_the_reporter(client, territory):
    reporter = make_user(territory, email="jeanne.martin@example.org", display_name="Jeanne Martin")
    pothole = category(territory)
    made = report(territory, pothole, lat=43.1751, lon=5.6052, address="Quai du Port", reporter=reporter,
                  created=utcnow())

    response = client.get("/reports.geojson?bbox=5.60,43.17,5.61,43.18")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    data = json.loads(response.get_data(as_text=True))

    assert data["type"] == "FeatureCollection"
    assert data["bbox"] == [5.60, 43.17, 5.61, 43.18]
    [feature] = data["features"]
    assert feature["type"] == "Feature"
    # RFC 7946: a Point's position is [longitude, latitude], WGS 84.
    assert feature["geometry"] == {"type": "Point", "coordinates": [5.6052, 43.1751]}
    assert shape(feature["geometry"]).is_valid
    properties = feature["properties"]
    assert set(properties) == {"id", "category", "status", "created", "updated", "overdue", "url"}
    assert properties["id"] == made.id and properties["category"] == "Pothole"
    assert properties["status"] == "received" and properties["overdue"] is False
    assert RFC3339.match(properties["created"]) and RFC3339.match(properties["updated"])
    assert properties["url"] == f"http://localhost/reports/{made.id}"
    text = response.get_data(as_text=True).lower()
    for secret in ("jeanne", "martin", "reporter", str(reporter.email), "a hole in the road"):
        assert secret not in text


def test_geojson_keeps_only_the_area_asked(client, territory):
    pothole = category(territory)
    inside = report(territory, pothole, lat=43.175, lon=5.605)
    report(territory, pothole, lat=43.175, lon=5.625)
    data = client.get("/reports.geojson?bbox=5.60,43.17,5.61,43.18").get_json(force=True)
    assert [feature["id"] for feature in data["features"]] == [inside.id]
    assert len(client.get("/reports.geojson").get_json(force=True)["features"]) == 2


def test_geojson_marks_overdue_reports(client, territory):
    pothole = category(territory, days=1)
    report(territory, pothole, created=datetime(2020, 1, 1, tzinfo=NOW.tzinfo))
    [feature] = client.get("/reports.geojson").get_json(force=True)["features"]
    assert feature["properties"]["overdue"] is True


def test_the_atom_feed_is_well_formed_with_its_fields(client, territory):
    reporter = make_user(territory, email="jeanne.martin@example.org", display_name="Jeanne Martin")
    pothole = category(territory)
    graffiti = category(territory, "Graffiti", "graffiti")
    first = report(territory, pothole, address="Quai du Port", reporter=reporter)
    report(territory, graffiti, address="Chemin du Haut")
    change_status(first, "in_progress", "On it.", now=NOW)

    response = client.get(f"/reports.atom?category={pothole.id}")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    body = response.get_data(as_text=True)
    feed = ElementTree.fromstring(response.data)  # raises when not well-formed

    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}id").startswith("tag:localhost,")
    assert "Pothole" in feed.findtext(f"{ATOM}title")
    assert RFC3339.match(feed.findtext(f"{ATOM}updated"))
    assert feed.findtext(f"{ATOM}author/{ATOM}name") == "La Ciotat"
    self_link = feed.find(f"{ATOM}link[@rel='self']")
    assert self_link is not None and self_link.get("href").startswith("http://localhost/reports.atom")
    [entry] = feed.findall(f"{ATOM}entry")
    entry_id = entry.findtext(f"{ATOM}id")
    assert re.match(rf"^tag:localhost,\d{{4}}-\d{{2}}-\d{{2}}:laciotat/report/{first.id}$", entry_id)
    assert entry.findtext(f"{ATOM}updated") == "2026-06-15T10:00:00Z"
    assert RFC3339.match(entry.findtext(f"{ATOM}published"))
    assert entry.find(f"{ATOM}link[@rel='alternate']").get("href") == f"http://localhost/reports/{first.id}"
    assert "In progress" in entry.findtext(f"{ATOM}title")
    assert "jeanne" not in body.lower() and "martin" not in body.lower()


def test_the_atom_feed_of_an_area(client, territory):
    pothole = category(territory)
    report(territory, pothole, lat=43.175, lon=5.605, address="Quai du Port")
    report(territory, pothole, lat=43.175, lon=5.625, address="Chemin du Haut")
    feed = ElementTree.fromstring(client.get("/reports.atom?bbox=5.62,43.17,5.63,43.18").data)
    summaries = [entry.findtext(f"{ATOM}summary") for entry in feed.findall(f"{ATOM}entry")]
    assert len(summaries) == 1 and "Chemin du Haut" in summaries[0]
    # The feed of another area is another feed: its own id.
    other = ElementTree.fromstring(client.get("/reports.atom").data)
    assert other.findtext(f"{ATOM}id") != feed.findtext(f"{ATOM}id")
