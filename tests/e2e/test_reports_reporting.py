"""Reporting a problem on a phone: a photo whose GPS tag is gone in what the server keeps, and the
open report nearby offered to follow instead of a duplicate. The form passes axe."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from app.extensions import db
from app.media.models import Media
from app.reports import services
from app.reports.models import Report, ReportCategory
from app.territories.models import Territory
from tests.e2e.conftest import describe_violations, log_in
from tests.factories import make_user

pytestmark = pytest.mark.e2e

POINT = (43.1750, 5.6050)


@pytest.fixture
def context(incognito_context):
    return incognito_context


def _jpeg_with_gps(path):
    image = Image.new("RGB", (80, 60), "orange")
    exif = image.getexif()
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (43.0, 10.0, 30.0), "E", (5.0, 36.0, 18.0)
    image.save(path, format="JPEG", exif=exif)
    with Image.open(path) as written:
        assert written.getexif().get_ifd(0x8825)
    return path


def test_a_report_with_a_photo_keeps_no_gps_and_a_near_one_can_be_followed(page, live_server, live_db, seed, axe, tmp_path):
    with live_db():
        coast = db.session.scalar(select(Territory).where(Territory.name == seed.coast_name))
        category = ReportCategory(territory_id=coast.id, service_code="e2e-pothole", name="Nid-de-poule e2e",
                                  expected_days=5)
        db.session.add(category)
        db.session.commit()
        category_id = category.id
    log_in(page, live_server, seed.citizen_email, seed.password)
    page.goto(live_server.url("/reports/new"))
    violations = axe(page)
    assert not violations, describe_violations(violations)
    page.locator(f"#category-{category_id}").check()
    page.locator("#lat").fill(str(POINT[0]))
    page.locator("#lon").fill(str(POINT[1]))
    page.locator("#description").fill("Un trou profond devant la boulangerie")
    page.locator("#photos").set_input_files(str(_jpeg_with_gps(tmp_path / "trou.jpg")))
    page.locator("main form.report-form button[type=submit]").click()
    page.locator(".report-page h1").wait_for()
    assert "Nid-de-poule e2e" in page.locator(".report-page h1").inner_text()
    assert page.locator(".report-photos img").count() == 1
    with live_db():
        report = db.session.scalar(select(Report).where(Report.category_id == category_id))
        stored = db.session.get(Media, report.photos[0].media_id)
        kept = Image.open(io.BytesIO(stored.data))
        assert kept.format == "WEBP" and not kept.getexif() and b"Exif" not in stored.data
        report_id = report.id

    # Someone else at the same spot is shown it first, and follows it instead.
    with live_db():
        make_user(db.session.get(Territory, report.territory_id), "voisin.e2e@example.org")
    page.locator("footer form[action$='/logout'] button").click()
    page.locator("footer form[action$='/logout']").wait_for(state="detached")  # logged out before logging in
    log_in(page, live_server, "voisin.e2e@example.org", seed.password)
    page.goto(live_server.url("/reports/new"))
    page.locator(f"#category-{category_id}").check()
    page.locator("#lat").fill(str(POINT[0] + 0.0001))
    page.locator("#lon").fill(str(POINT[1]))
    page.locator("#description").fill("Même trou")
    page.locator("main form.report-form button[type=submit]").click()
    page.locator(".report-nearby").wait_for()
    page.locator(f".report-nearby form[action$='/reports/{report_id}/follow'] button").click()
    page.locator(".report-page h1").wait_for()
    assert page.url.endswith(f"/reports/{report_id}")
    assert page.locator(f"form[action$='/reports/{report_id}/unfollow'] button").count() == 1
    assert page.locator(".report-photos img").count() == 0  # not approved yet: only its reporter sees it
    with live_db():
        assert len(list(db.session.scalars(select(Report).where(Report.category_id == category_id)))) == 1
        assert len(services.concerned(db.session.get(Report, report_id))) == 2
