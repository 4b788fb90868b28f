"""The reporter's side of street reports, as a person uses it: reporting with photos (whose
hidden data is gone in what the server keeps), at most 3 of them, the open reports nearby to
follow instead of filing a duplicate, one report per form however often it is sent, reopening
within 30 days, the private thread with the service, and nobody else seeing it or who reported."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select

from app.delivery.models import InboxItem
from app.extensions import db
from app.media.models import Media
from app.models_common import utcnow
from app.reports import services
from app.reports.models import Report, ReportCategory, ReportMessage, ReportPhoto
from tests.factories import login_as, make_actor, make_member, make_territory, make_user
from tests.support.csrf import csrf_token

SQUARE = (43.1750, 5.6050)
GPS_IFD = 0x8825


@pytest.fixture
def town(app: Flask) -> dict[str, Any]:
    territory = make_territory(timezone="Europe/Paris")
    roads = make_actor(territory, "Voirie", kind="town_service")
    agent = make_user(territory, "agent@voirie.test")
    make_member(agent, roads)
    pothole = ReportCategory(territory_id=territory.id, service_code="pothole", name="Pothole",
                             service_actor_id=roads.id, expected_days=5)
    lamp = ReportCategory(territory_id=territory.id, service_code="lamp", name="Broken street lamp",
                          service_actor_id=roads.id, expected_days=10, position=1)
    db.session.add_all([pothole, lamp])
    db.session.commit()
    return {
        "territory": territory, "roads": roads, "agent": agent, "pothole": pothole, "lamp": lamp,
        "reporter": make_user(territory, "reporter.secret@example.org", display_name="Reporter Secretname"),
        "neighbour": make_user(territory, "neighbour@example.org"),
    }


def _jpeg_with_gps(colour: str = "red") -> bytes:
    image = Image.new("RGB", (64, 48), colour)
    exif = image.getexif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (43.0, 10.0, 30.0)
    gps[3] = "E"
    gps[4] = (5.0, 36.0, 18.0)
    output = io.BytesIO()
    image.save(output, format="JPEG", exif=exif)
    data = output.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD), "the test photo carries a GPS tag"
    return data


def _client(app: Flask, user: Any) -> FlaskClient:
    client = app.test_client()
    if user is not None:
        login_as(client, user)
    return client


def _form(client: FlaskClient, **fields: Any) -> dict[str, Any]:
    page = client.get("/reports/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    key = html.split('name="idempotency_key"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    data = {"csrf_token": csrf_token(client, "/reports/new"), "idempotency_key": key,
            "description": "A deep hole in the road", "action": "check"}
    data.update(fields)
    return data


def _post(client: FlaskClient, data: dict[str, Any], photos: list[bytes] = ()) -> Any:  # type: ignore[assignment]
    payload = dict(data)
    if photos:
        payload["photos"] = [(io.BytesIO(photo), f"photo{i}.jpg", "image/jpeg") for i, photo in enumerate(photos)]
    return client.post("/reports/new", data=payload, content_type="multipart/form-data")


def _reports() -> list[Report]:
    db.session.expire_all()
    return list(db.session.scalars(select(Report).order_by(Report.id)))


def _file(town: dict[str, Any], reporter: Any, lat: float = SQUARE[0], lon: float = SQUARE[1]) -> Report:
    report, _ = services.file_report(town["territory"], reporter, services.NewReport(
        town["pothole"], lat, lon, "Hole near the bakery", address="Place de la Mairie"))
    return report


def test_the_form_lists_the_towns_categories_with_their_expected_time(app, town):
    html = _client(app, town["reporter"]).get("/reports/new").get_data(as_text=True)
    assert "Pothole" in html and "Broken street lamp" in html
    assert "usually dealt with within 5 days" in html and "usually dealt with within 10 days" in html
    assert 'name="idempotency_key"' in html and 'enctype="multipart/form-data"' in html


def test_reporting_needs_an_account(app, town):
    response = app.test_client().get("/reports/new")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_photos_gps_tag_is_gone_in_what_the_server_stores(app, town):
    client = _client(app, town["reporter"])
    data = _form(client, category=town["pothole"].id, lat=str(SQUARE[0]), lon=str(SQUARE[1]))
    response = _post(client, data, photos=[_jpeg_with_gps()])
    assert response.status_code == 303
    [report] = _reports()
    assert response.headers["Location"].endswith(f"/reports/{report.id}")
    [photo] = report.photos
    stored = db.session.get(Media, photo.media_id)
    assert b"Exif" not in stored.data and b"PhoneMaker" not in stored.data
    kept = Image.open(io.BytesIO(stored.data))
    assert kept.format == "WEBP"
    assert not kept.getexif() and "exif" not in kept.info
    # Its reporter sees it before it is approved; nobody else does until then.
    page = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert f"/media/{stored.token}" in page
    assert client.get(f"/media/{stored.token}").status_code == 200
    assert _client(app, town["neighbour"]).get(f"/media/{stored.token}").status_code == 404
    assert f"/media/{stored.token}" not in _client(app, town["neighbour"]).get(f"/reports/{report.id}").get_data(as_text=True)
    photo.approved = True
    db.session.commit()
    assert app.test_client().get(f"/media/{stored.token}").status_code == 200
    assert f"/media/{stored.token}" in app.test_client().get(f"/reports/{report.id}").get_data(as_text=True)


def test_a_fourth_photo_is_refused_and_nothing_typed_is_lost(app, town):
    client = _client(app, town["reporter"])
    data = _form(client, category=town["pothole"].id, lat=str(SQUARE[0]), lon=str(SQUARE[1]),
                 address="12 rue des Pins")
    response = _post(client, data, photos=[_jpeg_with_gps(c) for c in ("red", "blue", "green", "white")])
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "At most 3 photos: leave out 1." in html
    assert "A deep hole in the road" in html and "12 rue des Pins" in html
    assert f'value="{town["pothole"].id}" checked' in html
    assert _reports() == [] and db.session.scalar(select(func.count()).select_from(Media)) == 0
    # Three photos at once, then one more: the 4th is refused again, the three are kept.
    assert _post(client, {**data, "description": ""}, photos=[_jpeg_with_gps(c) for c in ("red", "blue", "green")]).status_code == 422
    refused = _post(client, data, photos=[_jpeg_with_gps("white")])
    assert refused.status_code == 422 and "At most 3 photos" in refused.get_data(as_text=True)
    assert "3 photos are kept with this form." in refused.get_data(as_text=True)
    assert _post(client, data).status_code == 303
    [report] = _reports()
    assert len(report.photos) == 3


def test_a_report_without_a_place_or_a_category_says_what_is_missing(app, town):
    client = _client(app, town["reporter"])
    data = _form(client)
    response = _post(client, data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Choose what kind of problem it is." in html
    assert "Say where: use your position, click the map or type an address." in html
    assert "A deep hole in the road" in html
    far = _post(client, {**data, "category": town["pothole"].id, "lat": "48.85", "lon": "2.35"})
    assert far.status_code == 422 and "This point is outside La Ciotat." in far.get_data(as_text=True)
    assert _reports() == []


def test_an_address_alone_is_a_place(app, town):
    client = _client(app, town["reporter"])
    response = _post(client, _form(client, category=town["lamp"].id, address="Corner of rue Victor Hugo"))
    assert response.status_code == 303
    [report] = _reports()
    assert report.address == "Corner of rue Victor Hugo" and report.category_id == town["lamp"].id
    assert "Corner of rue Victor Hugo" in client.get(f"/reports/{report.id}").get_data(as_text=True)


def test_the_duplicate_hint_shows_the_near_one_and_following_it_works(app, town):
    existing = _file(town, town["neighbour"])
    client = _client(app, town["reporter"])
    data = _form(client, category=town["pothole"].id, lat=str(SQUARE[0] + 0.0002), lon=str(SQUARE[1]))
    hint = _post(client, data, photos=[_jpeg_with_gps()])
    assert hint.status_code == 200
    html = hint.get_data(as_text=True)
    assert f"/reports/{existing.id}" in html and "Follow this one instead" in html and "Send mine anyway" in html
    assert "A deep hole in the road" in html  # what was typed stays, to send it anyway
    assert len(_reports()) == 1
    # Another kind of problem at the same place is not a duplicate.
    other = _client(app, town["neighbour"])
    assert _post(other, _form(other, category=town["lamp"].id, lat=str(SQUARE[0]), lon=str(SQUARE[1]))).status_code == 303

    followed = client.post(f"/reports/{existing.id}/follow", data={
        "csrf_token": csrf_token(client, "/reports/new"), "discard": data["idempotency_key"]})
    assert followed.status_code == 303
    assert services.is_follower(existing, town["reporter"])
    assert len(_reports()) == 2
    assert db.session.scalar(select(func.count()).select_from(Media)) == 0  # the unsent photo is gone
    page = client.get(f"/reports/{existing.id}").get_data(as_text=True)
    assert "Unfollow" in page
    mine = client.get("/me/reports").get_data(as_text=True)
    assert f"/reports/{existing.id}" in mine and "You have reported nothing yet." in mine
    assert client.post(f"/reports/{existing.id}/unfollow", data={
        "csrf_token": csrf_token(client, "/reports/new")}).status_code == 303
    assert not services.is_follower(existing, town["reporter"])


def test_send_mine_anyway_files_it_next_to_the_near_one(app, town):
    _file(town, town["neighbour"])
    client = _client(app, town["reporter"])
    data = _form(client, category=town["pothole"].id, lat=str(SQUARE[0]), lon=str(SQUARE[1]))
    assert _post(client, data, photos=[_jpeg_with_gps()]).status_code == 200
    sent = _post(client, {**data, "action": "send"})
    assert sent.status_code == 303
    reports = _reports()
    assert len(reports) == 2 and len(reports[1].photos) == 1 and reports[1].reporter_id == town["reporter"].id


def test_the_same_idempotency_key_twice_makes_one_report(app, town):
    client = _client(app, town["reporter"])
    data = _form(client, category=town["pothole"].id, address="Quai Ganteaume")
    first = _post(client, data)
    again = _post(client, data)
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert len(_reports()) == 1
    # Another person cannot take over a form's key.
    intruder = _client(app, town["neighbour"])
    stolen = _post(intruder, {**data, "csrf_token": csrf_token(intruder, "/reports/new")})
    assert stolen.status_code == 409 and len(_reports()) == 1
    # A mangled key is replaced: the report is still filed.
    mangled = _post(client, _form(client, category=town["lamp"].id, address="Quai", idempotency_key="<x>"))
    assert mangled.status_code == 303 and len(_reports()) == 2


def test_the_reporter_reopens_within_30_days_and_not_after(app, town):
    client = _client(app, town["reporter"])
    report = _file(town, town["reporter"])
    services.change_status(report, "resolved", "Filled with tarmac")
    page = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert "Resolved" in page and "Filled with tarmac" in page and "Not fixed after all?" in page
    reopened = client.post(f"/reports/{report.id}/reopen", data={
        "csrf_token": csrf_token(client, f"/reports/{report.id}"), "note": "The hole is back"})
    assert reopened.status_code == 303
    db.session.expire_all()
    assert report.status == "received"
    page = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert "Reopened" in page and "The hole is back" in page

    services.change_status(report, "resolved", "Done", now=utcnow() - timedelta(days=31))
    page = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert "Not fixed after all?" not in page
    refused = client.post(f"/reports/{report.id}/reopen", data={
        "csrf_token": csrf_token(client, f"/reports/{report.id}"), "note": "Still there"})
    assert refused.status_code == 403
    assert "within 30 days" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert report.status == "resolved"


def test_a_stranger_cannot_reopen(app, town):
    report = _file(town, town["reporter"])
    services.change_status(report, "resolved", "Done")
    stranger = _client(app, town["neighbour"])
    assert "Not fixed after all?" not in stranger.get(f"/reports/{report.id}").get_data(as_text=True)
    response = stranger.post(f"/reports/{report.id}/reopen", data={
        "csrf_token": csrf_token(stranger, f"/reports/{report.id}"), "note": "Me"})
    assert response.status_code == 403
    db.session.expire_all()
    assert report.status == "resolved"


def test_the_reporters_thread_with_the_service(app, town):
    client = _client(app, town["reporter"])
    report = _file(town, town["reporter"])
    services.write(report, True, town["agent"], "Which side of the street?")
    page = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert "Messages with the service" in page and "Which side of the street?" in page and "Voirie" in page
    answered = client.post(f"/reports/{report.id}/messages", data={
        "csrf_token": csrf_token(client, f"/reports/{report.id}"), "body": "The north side, by the bakery"})
    assert answered.status_code == 303 and answered.headers["Location"].endswith("#thread")
    message = db.session.scalar(select(ReportMessage).where(ReportMessage.from_service.is_(False)))
    assert message is not None and message.body == "The north side, by the bakery"
    assert "The north side, by the bakery" in client.get(f"/reports/{report.id}").get_data(as_text=True)
    empty = client.post(f"/reports/{report.id}/messages", data={
        "csrf_token": csrf_token(client, f"/reports/{report.id}"), "body": "  "})
    assert empty.status_code == 422 and "Please write a message." in empty.get_data(as_text=True)
    # The service's message reached the reporter's inbox, tagged as a report, linking here.
    item = db.session.scalar(select(InboxItem).where(InboxItem.user_id == town["reporter"].id))
    assert item is not None and item.kind == "report"
    opened = client.get(f"/me/inbox/{item.id}").get_data(as_text=True)
    assert "Street report" in opened and f'href="/reports/{report.id}"' in opened


@pytest.mark.parametrize("who", ["visitor", "neighbour", "agent"])
def test_others_see_neither_the_thread_nor_who_reported(app, town, who):
    report = _file(town, town["reporter"])
    services.write(report, True, town["agent"], "Private question for you")
    services.write(report, False, town["reporter"], "Private answer of mine")
    client = _client(app, None if who == "visitor" else town[who])
    page = client.get(f"/reports/{report.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Pothole" in html and "Hole near the bakery" in html and "Place de la Mairie" in html
    for secret in ("Private question for you", "Private answer of mine", "reporter.secret", "Secretname",
                   "Messages with the service", "You reported it"):
        assert secret not in html, secret
    if who != "visitor":
        refused = client.post(f"/reports/{report.id}/messages", data={
            "csrf_token": csrf_token(client, f"/reports/{report.id}"), "body": "Let me in"})
        assert refused.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(ReportMessage)) == 2


def test_a_report_of_another_town_is_not_found(app, town):
    report = _file(town, town["reporter"])
    other = make_territory("station", "Montgenèvre", hosts=("station.localhost",))
    visitor = make_user(other, "visitor@station.test")
    client = app.test_client()
    login_as(client, visitor, base_url="http://station.localhost")
    assert client.get(f"/reports/{report.id}", base_url="http://station.localhost").status_code == 404


def test_overdue_reports_say_so(app, town):
    client = _client(app, town["reporter"])
    report, _ = services.file_report(town["territory"], town["reporter"], services.NewReport(
        town["pothole"], *SQUARE, "Old hole"), now=utcnow() - timedelta(days=6))
    assert "Overdue" in client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert "Overdue" in client.get("/me/reports").get_data(as_text=True)
    fresh = _file(town, town["reporter"])
    assert "Overdue" not in client.get(f"/reports/{fresh.id}").get_data(as_text=True)


def test_csrf_is_enforced(app, town):
    client = _client(app, town["reporter"])
    data = _form(client, category=town["pothole"].id, address="Quai")
    del data["csrf_token"]
    assert _post(client, data).status_code == 400
    assert _reports() == []
    report = _file(town, town["neighbour"])
    assert client.post(f"/reports/{report.id}/follow").status_code == 400
    assert not services.is_follower(report, town["reporter"])
    mine = _file(town, town["reporter"])
    assert client.post(f"/reports/{mine.id}/messages", data={"body": "Hello"}).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(ReportMessage)) == 0


def test_the_profile_links_to_reporting(app, town):
    html = _client(app, town["reporter"]).get("/me").get_data(as_text=True)
    assert 'href="/reports/new"' in html and 'href="/me/reports"' in html


def test_a_forms_kept_photos_belong_to_the_session_that_sent_them(app, town):
    """Another person who sends a form with the same key gets none of the photos kept for it."""
    client = _client(app, town["reporter"])
    data = _form(client, category=town["pothole"].id, lat=str(SQUARE[0]), lon=str(SQUARE[1]))
    assert _post(client, {**data, "description": ""}, photos=[_jpeg_with_gps()]).status_code == 422
    other = _client(app, town["neighbour"])
    other_data = {**_form(other, category=town["lamp"].id, address="Elsewhere"), "idempotency_key": data["idempotency_key"]}
    assert _post(other, other_data).status_code == 303
    [report] = _reports()
    assert report.reporter_id == town["neighbour"].id and report.photos == []
    assert db.session.scalar(select(func.count()).select_from(ReportPhoto)) == 0
