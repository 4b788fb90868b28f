"""The public list and map of street reports: readable without JavaScript, filtered by plain
GET forms, naming nobody, photos shown only once approved."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.media.models import Media
from app.reports.models import ReportPhoto
from app.reports.services import change_status
from app.territories.models import Neighbourhood
from tests.factories import make_user
from tests.reports.helpers_public import NOW, category, report, town


@pytest.fixture
def territory(app):  # type: ignore[no-untyped-def]
    return town()


def test_the_list_works_without_javascript(client, territory):
    pothole = category(territory)
    graffiti = category(territory, "Graffiti", "graffiti")
    made = report(territory, pothole, address="12 rue des Pins")
    report(territory, graffiti, lat=43.175, lon=5.625, address="Chemin du Haut")

    page = client.get("/reports").get_data(as_text=True)

    # The reports are in the HTML the server sends, each a link to its page.
    assert f'href="/reports/{made.id}"' in page
    assert "12 rue des Pins" in page and "Chemin du Haut" in page
    # The filters are a plain GET form: every filter is a field the browser sends itself.
    form = re.search(r'<form class="reports-filters[^"]*" method="get" action="/reports">(.*?)</form>', page, re.S)
    assert form is not None
    for name in ("category", "status", "neighbourhood", "bbox"):
        assert f'name="{name}"' in form.group(1)
    assert 'type="submit"' in form.group(1)
    # The map is an enhancement, hidden without scripts (js-only), fed by the list's points.
    assert 'class="near-map js-only"' in page and 'data-lat="43.17500"' in page

    only_graffiti = client.get(f"/reports?category={graffiti.id}").get_data(as_text=True)
    assert "Chemin du Haut" in only_graffiti and "12 rue des Pins" not in only_graffiti


def test_filters_by_neighbourhood_status_and_map_box(client, territory):
    pothole = category(territory)
    port = report(territory, pothole, lat=43.175, lon=5.605, address="Quai du Port")
    report(territory, pothole, lat=43.175, lon=5.625, address="Montée de la Colline")
    hill = db.session.scalar(select(Neighbourhood).filter_by(name="Hill"))

    by_hood = client.get(f"/reports?neighbourhood={hill.id}").get_data(as_text=True)
    assert "Montée de la Colline" in by_hood and "Quai du Port" not in by_hood

    by_box = client.get("/reports?bbox=5.600,43.170,5.610,43.180").get_data(as_text=True)
    assert "Quai du Port" in by_box and "Montée de la Colline" not in by_box

    change_status(port, "resolved", "Done.", now=NOW)
    resolved = client.get("/reports?status=resolved").get_data(as_text=True)
    assert "Quai du Port" in resolved and "Montée de la Colline" not in resolved
    open_ones = client.get("/reports?status=open").get_data(as_text=True)
    assert "Montée de la Colline" in open_ones and "Quai du Port" not in open_ones


def test_a_malformed_box_is_ignored_not_an_error(client, territory):
    report(territory, category(territory), address="Quai du Port")
    for raw in ("nonsense", "5.61,43.18,5.60,43.17", "1,2,3", "nan,1,2,3", "-200,0,10,10"):
        response = client.get(f"/reports?bbox={raw}")
        assert response.status_code == 200
        assert "Quai du Port" in response.get_data(as_text=True)


def test_overdue_reports_are_flagged(client, territory):
    pothole = category(territory, days=3)
    report(territory, pothole, address="Old hole", created=NOW - timedelta(days=30))
    report(territory, pothole, address="New hole", created=NOW + timedelta(days=365))

    page = client.get("/reports").get_data(as_text=True)
    old = page[page.index("Old hole") - 600:page.index("Old hole")]
    assert "Overdue" in old
    overdue_only = client.get("/reports?status=overdue").get_data(as_text=True)
    assert "Old hole" in overdue_only and "New hole" not in overdue_only


def test_the_page_names_nobody(client, territory):
    reporter = make_user(territory, email="jeanne.martin@example.org", display_name="Jeanne Martin")
    report(territory, category(territory), reporter=reporter, address="Quai du Port")
    for path in ("/reports", "/reports.geojson", "/reports.atom", "/reports/stats", "/reports/stats.csv"):
        body = client.get(path).get_data(as_text=True)
        assert "jeanne" not in body.lower() and "martin" not in body.lower(), path


def _photo(territory, made, approved):  # type: ignore[no-untyped-def]
    media = Media(territory_id=territory.id, content_type="image/jpeg", data=b"\xff\xd8\xff", width=4, height=3)
    db.session.add(media)
    db.session.flush()
    db.session.add(ReportPhoto(report_id=made.id, media_id=media.id, approved=approved))
    db.session.commit()
    return media


def test_a_photo_not_approved_is_not_public(client, territory):
    made = report(territory, category(territory), address="Quai du Port")
    waiting = _photo(territory, made, approved=False)

    page = client.get("/reports").get_data(as_text=True)
    assert "Quai du Port" in page
    assert waiting.token not in page and "/media/" not in page

    photo = db.session.scalar(select(ReportPhoto).filter_by(media_id=waiting.id))
    photo.approved = True
    db.session.commit()
    assert waiting.token in client.get("/reports").get_data(as_text=True)


def test_another_towns_reports_are_not_listed(client, territory):
    from tests.factories import make_territory

    other = make_territory(slug="station", name="Station", hosts=("station.localhost",))
    report(other, category(other, code="elsewhere"), address="Rue de la Station")
    report(territory, category(territory), address="Quai du Port")
    page = client.get("/reports").get_data(as_text=True)
    assert "Quai du Port" in page and "Rue de la Station" not in page
    assert "Rue de la Station" in client.get("/reports", base_url="http://station.localhost").get_data(as_text=True)


def test_the_list_is_paged(client, territory):
    pothole = category(territory)
    for number in range(52):
        report(territory, pothole, address=f"Number {number:02d}", created=NOW - timedelta(minutes=number))
    first = client.get("/reports").get_data(as_text=True)
    assert "Number 00" in first and "Number 51" not in first and 'rel="next"' in first
    second = client.get("/reports?page=2").get_data(as_text=True)
    assert "Number 51" in second and 'rel="prev"' in second
