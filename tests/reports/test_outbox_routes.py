"""Reports made without network are sent later by the phone (static/js/reports-outbox.js): it
asks for a fresh CSRF token, then posts each one with its own idempotency key. CSRF stays
enforced, a report sent twice is one report, and the phone is told nothing about anybody."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.reports.models import Report, ReportCategory
from tests.factories import login_as, make_territory, make_user

SQUARE = (43.1750, 5.6050)
KEY = "5b0f7c3e-9a52-4c8e-b1b4-1f2a3c4d5e6f"


@pytest.fixture
def town(app: Flask) -> dict[str, Any]:
    territory = make_territory(timezone="Europe/Paris")
    pothole = ReportCategory(territory_id=territory.id, service_code="pothole", name="Pothole", expected_days=5)
    db.session.add(pothole)
    db.session.commit()
    return {
        "territory": territory, "pothole": pothole,
        "reporter": make_user(territory, "reporter.secret@example.org", display_name="Reporter Secretname"),
        "neighbour": make_user(territory, "neighbour@example.org"),
    }


def _client(app: Flask, user: Any) -> FlaskClient:
    client = app.test_client()
    login_as(client, user)
    return client


def _kept_report(town: dict[str, Any], token: str | None) -> dict[str, Any]:
    """What the phone posts: the fields kept offline, "send" (nobody to show the reports nearby)."""
    data = {"idempotency_key": KEY, "category": str(town["pothole"].id), "lat": str(SQUARE[0]),
            "lon": str(SQUARE[1]), "address": "", "description": "A hole seen without network", "action": "send"}
    if token is not None:
        data["csrf_token"] = token
    return data


def _reports_with_key() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Report).where(Report.idempotency_key == KEY)) or 0


def test_the_outbox_token_needs_an_account(app, town):
    response = app.test_client().get("/reports/outbox-token")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_outbox_token_is_the_sessions_never_stored_and_names_nobody(app, town):
    client = _client(app, town["reporter"])
    response = client.get("/reports/outbox-token")
    assert response.status_code == 200 and response.is_json
    assert response.headers["Cache-Control"] == "private, no-store"
    answer = response.get_json()
    assert set(answer) == {"csrf_token", "owner"} and answer["csrf_token"]
    body = response.get_data(as_text=True)
    assert "reporter.secret" not in body and "Secretname" not in body
    assert answer["owner"] != str(town["reporter"].id)
    # The same person is the same owner (their kept reports are theirs); someone else is not.
    assert client.get("/reports/outbox-token").get_json()["owner"] == answer["owner"]
    assert _client(app, town["neighbour"]).get("/reports/outbox-token").get_json()["owner"] != answer["owner"]


def test_a_kept_report_without_a_csrf_token_is_refused(app, town):
    client = _client(app, town["reporter"])
    response = client.post("/reports/new", data=_kept_report(town, None), content_type="multipart/form-data")
    assert response.status_code == 400
    response = client.post("/reports/new", data=_kept_report(town, "not-the-token"), content_type="multipart/form-data")
    assert response.status_code == 400
    assert _reports_with_key() == 0


def test_a_kept_report_sent_with_a_fresh_token_is_one_report_however_often_it_is_sent(app, town):
    client = _client(app, town["reporter"])
    token = client.get("/reports/outbox-token").get_json()["csrf_token"]
    first = client.post("/reports/new", data=_kept_report(town, token), content_type="multipart/form-data")
    assert first.status_code == 303 and "/reports/" in first.headers["Location"]
    # Its answer lost on the way: the phone sends it again, and is shown the same report.
    token = client.get("/reports/outbox-token").get_json()["csrf_token"]
    again = client.post("/reports/new", data=_kept_report(town, token), content_type="multipart/form-data")
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    assert _reports_with_key() == 1


def test_the_form_and_my_reports_show_the_reports_waiting_on_the_phone(app, town):
    client = _client(app, town["reporter"])
    owner = client.get("/reports/outbox-token").get_json()["owner"]
    for path in ("/reports/new", "/me/reports"):
        html = client.get(path).get_data(as_text=True)
        assert "data-reports-outbox " in html and f'data-owner="{owner}"' in html, path
        assert "reports-offline.js" in html and "Saved on this phone" in html, path


def test_the_report_form_may_be_kept_by_the_service_worker_for_offline_use(app, town):
    response = _client(app, town["reporter"]).get("/reports/new")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-cache" and "Cookie" in response.vary
