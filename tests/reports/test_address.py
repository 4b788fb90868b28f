"""Street reports placed by an address: with the town's geocoder (a BAN-speaking service, here a
real local HTTP server) the address becomes a point inside the territory, and the duplicate hint
works for it; a point outside the territory, an unsure answer, or no geocoder at all leave the
report with its address and no point, never a false one. Such a report is listed, counted as of
no neighbourhood, on no map, shown to the agents as "address only" until one places it."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.releases.models import CountRelease
from app.reports import geocoding, open311, public, services
from app.reports.models import Report
from tests.factories import login_as, make_user
from tests.reports import helpers_public
from tests.reports.ban_server import BanServer, ban, feature  # noqa: F401 (ban: a fixture)
from tests.reports.helpers_agents import IN_PORT, Town, file, make_town
from tests.support.csrf import csrf_token

QUAI = (43.1712, 5.6047)  # in the Port neighbourhood
PARIS = (48.8566, 2.3522)  # another town: outside La Ciotat


@pytest.fixture
def town(app: Flask) -> Town:
    return make_town()


def _reporter(client: FlaskClient, town: Town) -> FlaskClient:
    login_as(client, town.reporter)
    return client


def _new_report(client: FlaskClient, town: Town, **fields: Any) -> Any:
    page = client.get("/reports/new").get_data(as_text=True)
    key = page.split('name="idempotency_key"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    data = {"csrf_token": csrf_token(client, "/reports/new"), "idempotency_key": key, "category": town.potholes.id,
            "description": "A deep hole", "action": "check", "lat": "", "lon": "", **fields}
    return client.post("/reports/new", data=data)


def _only_report() -> Report:
    db.session.expire_all()
    reports = list(db.session.scalars(select(Report)))
    assert len(reports) == 1
    return reports[0]


# --- the geocoder -----------------------------------------------------------------------------------


def test_an_address_only_report_is_placed_where_the_geocoder_finds_it(client: FlaskClient, town: Town,
                                                                       ban: BanServer) -> None:  # noqa: F811
    ban.answer(feature("3 Quai François Mitterrand 13600 La Ciotat", *QUAI))
    response = _new_report(_reporter(client, town), town, address="3 quai Mitterrand")
    assert response.status_code == 303
    report = _only_report()
    assert (report.lat, report.lon) == QUAI
    assert report.address == "3 quai Mitterrand"  # shown as the reporter wrote it
    assert report.neighbourhood_id == town.port.id
    asked = ban.asked[-1]
    assert asked["path"] == ["/search/"] and asked["q"] == ["3 quai Mitterrand"]
    assert (float(asked["lat"][0]), float(asked["lon"][0])) == (43.17, 5.60)  # biased by the town's centre


def test_the_duplicate_hint_works_for_a_geocoded_address(client: FlaskClient, town: Town,
                                                         ban: BanServer) -> None:  # noqa: F811
    earlier = file(town, town.potholes, where=(QUAI[0] + 0.0001, QUAI[1]), reporter=town.follower)
    ban.answer(feature("3 Quai François Mitterrand 13600 La Ciotat", *QUAI))
    response = _new_report(_reporter(client, town), town, address="3 quai Mitterrand")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Already reported nearby?" in html
    assert f"/reports/{earlier.id}" in html
    assert 'value="43.17120"' in html  # the point found stays with the form for "Send mine anyway"


def test_a_point_outside_the_territory_is_refused(client: FlaskClient, town: Town,
                                                  ban: BanServer) -> None:  # noqa: F811
    ban.answer(feature("3 Quai François Mitterrand 75013 Paris", *PARIS))
    assert _new_report(_reporter(client, town), town, address="3 quai Mitterrand").status_code == 303
    report = _only_report()
    assert report.lat is None and report.lon is None and report.neighbourhood_id is None
    assert geocoding.suggestions(town.territory, "3 quai Mitterrand") == []


def test_the_first_answer_inside_the_territory_wins(app: Flask, town: Town, ban: BanServer) -> None:  # noqa: F811
    ban.answer(feature("Rue de la République 75003 Paris", *PARIS),
               feature("Rue de la République 13600 La Ciotat", *QUAI, score=0.71))
    found = geocoding.locate(town.territory, "rue de la République")
    assert found is not None and (found.lat, found.lon) == QUAI


def test_an_unsure_answer_gives_no_point(app: Flask, town: Town, ban: BanServer) -> None:  # noqa: F811
    ban.answer(feature("Quai 13600 La Ciotat", *QUAI, score=0.2))
    assert geocoding.locate(town.territory, "qu") is None  # too short to ask
    assert geocoding.locate(town.territory, "quai zz") is None
    assert ban.asked and ban.asked[-1]["q"] == ["quai zz"]


def test_the_geocoder_is_contacted_as_push_services_are(app: Flask, town: Town, ban: BanServer) -> None:  # noqa: F811
    ban.answer(feature("3 Quai François Mitterrand 13600 La Ciotat", *QUAI))
    ban.mode = "redirect"
    assert geocoding.search("3 quai Mitterrand") == []
    assert len(ban.asked) == 1  # the redirect was not followed
    ban.mode = "huge"
    assert geocoding.search("3 quai Mitterrand") == []
    ban.mode = "error"
    assert geocoding.search("3 quai Mitterrand") == []
    ban.mode = "ok"
    app.config["GEOCODER_ALLOW_INSECURE_HOSTS"] = ()  # plain http, a port of its own: refused
    asked = len(ban.asked)
    assert geocoding.search("3 quai Mitterrand") == []
    assert len(ban.asked) == asked
    app.config["GEOCODER_URL"] = "https://user:secret@geo.example.org/search/"
    assert geocoding.search("3 quai Mitterrand") == []


def test_malformed_answers_are_left_out() -> None:
    body = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": ["x", 43.1]}, "properties": {"label": "A"}},
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[5.6, 43.1]]}, "properties": {"label": "B"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [5.6, 95.0]}, "properties": {"label": "C"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [5.6, 43.1]}, "properties": {}},
        feature("Good 13600 La Ciotat", *QUAI),
    ]}).encode()
    assert [place.label for place in geocoding.parse(body)] == ["Good 13600 La Ciotat"]
    assert geocoding.parse(b"<html>") == [] and geocoding.parse(b"[1, 2]") == []


# --- without a geocoder -------------------------------------------------------------------------------


def test_without_a_geocoder_the_report_keeps_its_address_and_no_point(client: FlaskClient, town: Town) -> None:
    assert not geocoding.configured()
    response = _new_report(_reporter(client, town), town, address="Derrière la gare")
    assert response.status_code == 303
    report = _only_report()
    assert report.lat is None and report.lon is None and report.neighbourhood_id is None
    assert report.address == "Derrière la gare"
    page = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert "Derrière la gare" in page and "Not on the map yet" in page


def test_no_address_and_no_point_is_still_refused(client: FlaskClient, town: Town) -> None:
    response = _new_report(_reporter(client, town), town, address="")
    assert response.status_code == 422
    assert "Say where" in response.get_data(as_text=True)
    with pytest.raises(services.ReportError):
        services.file_report(town.territory, town.reporter, services.NewReport(
            category=town.potholes, lat=None, lon=None, description="Nowhere"))


# --- the address suggestions of the form ------------------------------------------------------------


def test_the_suggestions_are_the_territorys_addresses(client: FlaskClient, town: Town,
                                                      ban: BanServer) -> None:  # noqa: F811
    ban.answer(feature("3 Quai François Mitterrand 13600 La Ciotat", *QUAI),
               feature("3 Quai François Mitterrand 75013 Paris", *PARIS))
    assert client.get("/reports/address-suggestions?q=3+quai").status_code in (302, 303)  # logged in only
    _reporter(client, town)
    assert 'data-address-suggestions="/reports/address-suggestions"' in client.get("/reports/new").get_data(as_text=True)
    response = client.get("/reports/address-suggestions?q=3+quai")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json() == {"suggestions": [
        {"label": "3 Quai François Mitterrand 13600 La Ciotat", "lat": QUAI[0], "lon": QUAI[1]}]}


def test_without_a_geocoder_there_is_nothing_to_suggest(client: FlaskClient, town: Town) -> None:
    _reporter(client, town)
    assert client.get("/reports/address-suggestions?q=3+quai").get_json() == {"suggestions": []}
    assert "data-address-suggestions" not in client.get("/reports/new").get_data(as_text=True)


# --- the agents place it -----------------------------------------------------------------------------


def _agent(client: FlaskClient, town: Town) -> str:
    login_as(client, town.agent, acting_actor=town.roads)
    return csrf_token(client, "/")


def _address_only(town: Town, address: str = "Derrière la gare", **fields: Any) -> Report:
    report, _created = services.file_report(town.territory, town.reporter, services.NewReport(
        category=town.potholes, lat=None, lon=None, description="A hole", address=address, **fields))
    return report


def test_an_agent_sees_it_is_address_only_and_places_it(client: FlaskClient, town: Town) -> None:
    report = _address_only(town)
    token = _agent(client, town)
    queue = client.get("/manage/reports").get_data(as_text=True)
    assert "Address only: place it on the map" in queue and "Derrière la gare" in queue
    page = client.get(f"/manage/reports/{report.id}")
    assert page.status_code == 200 and "Place it on the map" in page.get_data(as_text=True)
    refused = client.post(f"/manage/reports/{report.id}/place",
                          data={"csrf_token": token, "lat": str(PARIS[0]), "lon": str(PARIS[1])})
    assert refused.status_code == 422 and "outside La Ciotat" in refused.get_data(as_text=True)
    assert client.post(f"/manage/reports/{report.id}/place", data={"lat": "43.1712", "lon": "5.6047"}).status_code == 400
    placed = client.post(f"/manage/reports/{report.id}/place", data={"csrf_token": token, "lat": "43.1712", "lon": "5.6047"})
    assert placed.status_code == 303
    db.session.expire_all()
    report = db.session.get(Report, report.id)
    assert (report.lat, report.lon, report.neighbourhood_id) == (43.1712, 5.6047, town.port.id)
    assert "Address only" not in client.get("/manage/reports").get_data(as_text=True)


def test_another_services_agent_cannot_place_it(app: Flask, town: Town) -> None:
    report = _address_only(town)
    gardener = app.test_client()
    login_as(gardener, town.gardener, acting_actor=town.green)
    token = csrf_token(gardener, "/")
    response = gardener.post(f"/manage/reports/{report.id}/place", data={"csrf_token": token, "lat": "43.17", "lon": "5.60"})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Report, report.id).lat is None


def test_merging_an_address_only_report_offers_those_of_the_same_address(client: FlaskClient, town: Town) -> None:
    first = _address_only(town, "Derrière la gare")
    second = _address_only(town, "derrière la gare")
    elsewhere = _address_only(town, "Place Sadi Carnot")
    placed = file(town, town.potholes, where=IN_PORT)
    _agent(client, town)
    page = client.get(f"/manage/reports/{second.id}").get_data(as_text=True)
    assert f'<option value="{first.id}"' in page
    assert f'<option value="{elsewhere.id}"' not in page and f'<option value="{placed.id}"' not in page


# --- what the public sees ---------------------------------------------------------------------------


def test_the_public_lists_it_counts_it_but_maps_nothing_of_it(client: FlaskClient, town: Town) -> None:
    placed = file(town, town.potholes, where=IN_PORT, address="Quai du Port")
    unplaced = _address_only(town, "Derrière la gare")
    listing = client.get("/reports").get_data(as_text=True)
    assert "Derrière la gare" in listing and "Quai du Port" in listing and "not on the map" in listing
    features = client.get("/reports.geojson").get_json()["features"]
    assert [item["id"] for item in features] == [placed.id]
    atom = client.get("/reports.atom").get_data(as_text=True)
    assert f"report/{unplaced.id}" in atom and "Derrière la gare" in atom
    boxed = client.get("/reports?bbox=5.59,43.16,5.61,43.18").get_data(as_text=True)
    assert "Quai du Port" in boxed and "Derrière la gare" not in boxed
    assert [r.id for r in services.in_area(town.territory, 43.0, 5.0, 44.0, 6.0)] == [placed.id]
    assert client.get(f"/reports/{unplaced.id}").status_code == 200


def test_the_statistics_count_it_in_no_neighbourhood(app: Flask) -> None:
    territory = helpers_public.town()  # the release engine's noise made negligible
    pothole = helpers_public.category(territory)
    for number in range(12):
        services.file_report(territory, make_user(territory), services.NewReport(
            category=pothole, lat=None, lon=None, description="A hole", address=f"Adresse {number}"))
    table = public.statistics_table(territory)
    assert table.columns[-1][0] == public.NO_HOOD
    released = table.cell(pothole.id, public.NO_HOOD).count
    assert released is not None and table.floor <= released <= 13  # 12, as the release engine gives it out
    assert all(table.cell(pothole.id, key).hidden for key, _label in table.columns[:-1])
    assert db.session.scalar(select(func.count()).select_from(CountRelease)) >= len(table.columns)


# --- Open311 --------------------------------------------------------------------------------------------


def _open311_key(town: Town) -> str:
    _key, raw = open311.issue_key(town.territory, "Back office")
    return raw


def test_open311_accepts_an_address_string_alone(client: FlaskClient, town: Town) -> None:
    key = _open311_key(town)
    response = client.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "pothole", "address_string": "Derrière la gare", "description": "Hole"})
    assert response.status_code == 200
    request_id = response.get_json()[0]["service_request_id"]
    row = client.get(f"/open311/v2/requests/{request_id}.json").get_json()[0]
    assert row["address"] == "Derrière la gare" and row["lat"] == "" and row["long"] == ""
    xml = client.get(f"/open311/v2/requests/{request_id}.xml").get_data(as_text=True)
    assert "<lat />" in xml or "<lat></lat>" in xml
    assert "<address>Derrière la gare</address>" in xml


def test_open311_address_string_is_geocoded_in_the_territory(client: FlaskClient, town: Town,
                                                             ban: BanServer) -> None:  # noqa: F811
    ban.answer(feature("3 Quai François Mitterrand 13600 La Ciotat", *QUAI))
    key = _open311_key(town)
    response = client.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "pothole", "address_string": "3 quai Mitterrand", "description": "Hole"})
    assert response.status_code == 200
    row = client.get(f"/open311/v2/requests/{response.get_json()[0]['service_request_id']}.json").get_json()[0]
    assert (row["lat"], row["long"]) == QUAI and row["address"] == "3 quai Mitterrand"


def test_a_report_filed_later_than_its_expected_time_is_still_overdue_without_a_point(town: Town) -> None:
    report = _address_only(town)
    assert report.is_overdue(report.created_at + timedelta(days=town.potholes.expected_days + 1))
