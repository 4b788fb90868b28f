"""Open311 GeoReport v2 at /open311/v2/: every answer carries the specification's fields in JSON
and XML; posting needs a key the town issued (and not revoked); what is posted is read back;
filters and paging; errors as the specification writes them; no reporter's identity, ever."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db, limiter
from app.media.models import Media
from app.reports import open311
from app.reports import services as report_services
from app.reports.models import Open311Key, Report, ReportPhoto
from app.reports.routes_open311 import POST_LIMIT
from tests.factories import login_as
from tests.reports.helpers_open311 import (
    REPORTER_EMAIL,
    REPORTER_NAME,
    SPEC_DEFINITION,
    SPEC_DISCOVERY,
    SPEC_ENDPOINT,
    SPEC_ERROR,
    SPEC_POSTED,
    SPEC_REQUEST,
    SPEC_SERVICE,
    SPEC_TOKEN,
    Town,
    days_ago,
    file,
    make_town,
    xml_items,
)

V2 = "/open311/v2"
W3C = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")
POSTER = {"email": "posted.person@example.net", "first_name": "Dominique", "last_name": "Posteur",
          "phone": "+33699887766"}


@pytest.fixture
def town(app: Any) -> Town:
    return make_town()


def get_json(client: FlaskClient, path: str, expect: int = 200, **query: Any) -> Any:
    response = client.get(f"{V2}/{path}.json", query_string=query)
    assert response.status_code == expect, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def get_xml(client: FlaskClient, path: str, expect: int = 200, **query: Any) -> bytes:
    response = client.get(f"{V2}/{path}.xml", query_string=query)
    assert response.status_code == expect
    assert response.mimetype == "text/xml"
    assert response.data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return response.data


def post(client: FlaskClient, key: str | None, fmt: str = "json", **fields: Any) -> Any:
    data = {"service_code": "pothole", "lat": "43.1752", "long": "5.6049",
            "description": "A deep hole by the bakery", "address_string": "3 rue des Poilus", **fields}
    if key is not None:
        data["api_key"] = key
    return client.post(f"{V2}/requests.{fmt}", data=data)


def assert_request_fields(row: dict[str, Any]) -> None:
    assert set(SPEC_REQUEST) <= set(row), set(SPEC_REQUEST) - set(row)
    assert row["status"] in ("open", "closed")
    for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert W3C.match(row[name]), (name, row[name])


# --- the specification's fields -------------------------------------------------------------------


def test_discovery_names_the_endpoint_and_its_formats(client: FlaskClient, town: Town) -> None:
    document = get_json(client, "discovery")
    assert set(SPEC_DISCOVERY) <= set(document)
    endpoint = document["endpoints"][0]
    assert set(SPEC_ENDPOINT) <= set(endpoint)
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert {"text/xml", "application/json"} <= set(endpoint["formats"])
    root = xml_items(get_xml(client, "discovery"), "discovery", "endpoints/endpoint")
    assert [f.text for f in root[0].findall("formats/format")] == endpoint["formats"]
    for name in SPEC_ENDPOINT:
        assert root[0].find(name) is not None, name


def test_services_and_their_definitions_in_json_and_xml(client: FlaskClient, town: Town) -> None:
    services = get_json(client, "services")
    assert [s["service_code"] for s in services] == ["pothole", "streetlight"]
    for service in services:
        assert set(SPEC_SERVICE) <= set(service)
        assert service["metadata"] is False and service["type"] == "realtime"
    assert services[0]["group"] == "Voirie municipale"
    for element in xml_items(get_xml(client, "services"), "services", "service"):
        assert [child.tag for child in element] == list(SPEC_SERVICE)
        assert element.find("metadata").text == "false"

    definition = get_json(client, "services/pothole")
    assert set(SPEC_DEFINITION) <= set(definition)
    assert definition == {"service_code": "pothole", "attributes": []}
    body = get_xml(client, "services/pothole")
    assert xml_items(body, "service_definition", "service_code")[0].text == "pothole"
    assert xml_items(body, "service_definition", "attributes") != []


def test_requests_carry_every_field_of_the_specification(client: FlaskClient, town: Town, app: Any) -> None:
    report = file(town, town.potholes, "Hole", address="Place Sadi Carnot")
    report_services.change_status(report, "in_progress", "A crew goes on Monday.")
    rows = get_json(client, "requests")
    assert len(rows) == 1
    row = rows[0]
    assert_request_fields(row)
    assert row["service_request_id"] == str(report.id)
    assert row["status"] == "open"
    assert row["status_notes"] == "A crew goes on Monday."
    assert row["agency_responsible"] == "Voirie municipale"
    assert row["address"] == "Place Sadi Carnot"
    assert row["lat"] == pytest.approx(43.1751) and row["long"] == pytest.approx(5.6050)
    assert row["requested_datetime"].endswith(("+01:00", "+02:00"))  # the town's clock, Paris
    assert get_json(client, f"requests/{report.id}") == rows

    for body in (get_xml(client, "requests"), get_xml(client, f"requests/{report.id}")):
        element = xml_items(body, "service_requests", "request")[0]
        assert [child.tag for child in element] == list(SPEC_REQUEST)
        assert element.find("status").text == "open"
        assert element.find("status_notes").text == "A crew goes on Monday."


@pytest.mark.parametrize(("status", "expected"), [
    ("received", "open"), ("acknowledged", "open"), ("in_progress", "open"),
    ("resolved", "closed"), ("not_ours", "closed"), ("merged", "closed"),
])
def test_our_statuses_are_open_or_closed(client: FlaskClient, town: Town, status: str, expected: str) -> None:
    report = file(town, town.potholes, "Hole")
    other = file(town, town.potholes, "Same hole")
    if status != "received":
        report_services.change_status(report, status, f"Now {status}", not_ours_service="Département, routes",
                                      merged_into=other)
    row = get_json(client, f"requests/{report.id}")[0]
    assert row["status"] == expected
    if status == "not_ours":
        assert "Département, routes" in row["service_notice"]


def test_only_approved_photos_are_given(client: FlaskClient, town: Town) -> None:
    report = file(town, town.potholes, "Hole")
    media = Media(territory_id=town.territory.id, content_type="image/webp", data=b"RIFF0000WEBP", width=1, height=1)
    db.session.add(media)
    db.session.flush()
    photo = ReportPhoto(report_id=report.id, media_id=media.id, approved=False)
    db.session.add(photo)
    db.session.commit()
    assert get_json(client, f"requests/{report.id}")[0]["media_url"] == ""
    photo.approved = True
    db.session.commit()
    assert get_json(client, f"requests/{report.id}")[0]["media_url"].endswith(media.token)


# --- posting --------------------------------------------------------------------------------------


def test_a_posted_request_is_read_back_by_its_id_and_its_token(client: FlaskClient, town: Town) -> None:
    response = post(client, town.key)
    assert response.status_code == 200
    answer = response.get_json()[0]
    assert set(SPEC_POSTED) <= set(answer) and set(SPEC_TOKEN) <= set(answer)
    report = db.session.get(Report, int(answer["service_request_id"]))
    assert report.reporter_id is None and report.source == "open311:Back office"

    listed = get_json(client, "requests")
    assert [r["service_request_id"] for r in listed] == [answer["service_request_id"]]
    assert listed[0]["description"] == "A deep hole by the bakery"
    assert listed[0]["address"] == "3 rue des Poilus"
    assert listed[0]["expected_datetime"]

    token = get_json(client, f"tokens/{answer['token']}")
    assert token == [{"service_request_id": answer["service_request_id"], "token": answer["token"]}]
    element = xml_items(get_xml(client, f"tokens/{answer['token']}"), "service_requests", "request")[0]
    assert [child.tag for child in element] == list(SPEC_TOKEN)

    posted_xml = post(client, town.key, fmt="xml", description="Another one")
    assert posted_xml.status_code == 200
    element = xml_items(posted_xml.data, "service_requests", "request")[0]
    assert element.find("service_request_id").text.isdigit()


def test_posting_without_a_valid_key_is_refused_403(client: FlaskClient, town: Town) -> None:
    for key in (None, "", "not-a-key"):
        response = post(client, key)
        assert response.status_code == 403
        error = response.get_json()[0]
        assert set(SPEC_ERROR) <= set(error) and error["code"] == 403
    row = db.session.scalar(select(Open311Key).where(Open311Key.territory_id == town.territory.id))
    assert row.key_hash == hashlib.sha256(town.key.encode()).hexdigest()  # only its hash is kept
    assert post(client, town.key).status_code == 200
    open311.revoke_key(row)
    refused = post(client, town.key, fmt="xml")
    assert refused.status_code == 403
    assert [e.find("code").text for e in xml_items(refused.data, "errors", "error")] == ["403"]
    assert len(get_json(client, "requests")) == 1


def test_another_towns_key_does_not_post_here(app: Any, client: FlaskClient, town: Town) -> None:
    other = make_town("elsewhere", hosts=("b.localhost",))
    assert post(client, other.key).status_code == 403
    assert client.post(f"{V2}/requests.json", base_url="http://b.localhost",
                       data={"api_key": other.key, "service_code": "pothole", "lat": "43.17", "long": "5.60"}).status_code == 200
    assert get_json(client, "requests") == []


def test_a_bad_post_gets_the_specifications_errors(client: FlaskClient, town: Town) -> None:
    cases = [
        ({"service_code": "unknown"}, 400), ({"lat": "", "long": "", "address_string": ""}, 400),
        ({"lat": "north"}, 400), ({"lat": "", "long": "", "address_string": "", "address_id": "A-12"}, 400),
        ({"lat": "", "long": "", "address_string": "x" * 201}, 400), ({"jurisdiction_id": "paris"}, 404),
    ]
    for fields, status in cases:
        response = post(client, town.key, **fields)
        assert response.status_code == status, fields
        errors = response.get_json()
        assert isinstance(errors, list) and set(SPEC_ERROR) <= set(errors[0]) and errors[0]["code"] == status
    assert post(client, town.key, jurisdiction_id="laciotat").status_code == 200
    assert get_json(client, "requests/999999", expect=404)[0]["code"] == 404
    assert get_json(client, "services/nothing", expect=404)[0]["code"] == 404
    assert get_json(client, "tokens/o311-nothing", expect=404)[0]["code"] == 404


def test_posting_is_not_a_csrf_form_but_is_rate_limited(app: Any, client: FlaskClient, town: Town) -> None:
    assert app.config["RATELIMIT_ENABLED"]
    limiter.reset()
    hourly = int(POST_LIMIT.split()[0])
    statuses = [post(client, town.key, description=f"n{i}").status_code for i in range(hourly + 1)]
    assert 403 not in statuses and 400 not in statuses  # no CSRF token asked
    assert statuses[-1] == 429
    limiter.reset()


# --- nobody is named ------------------------------------------------------------------------------


def test_no_answer_names_a_reporter_or_what_a_client_said_of_its_user(app: Any, client: FlaskClient, town: Town) -> None:
    by_resident = file(town, town.potholes, "Seen on my way to work")
    login_as(client, town.reporter)  # even the reporter's own session changes nothing
    answer = post(client, town.key, **POSTER).get_json()[0]
    bodies = []
    for fmt in ("json", "xml"):
        bodies.append(client.get(f"{V2}/requests.{fmt}").data)
        for request_id in (by_resident.id, answer["service_request_id"]):
            bodies.append(client.get(f"{V2}/requests/{request_id}.{fmt}").data)
        bodies.append(client.get(f"{V2}/tokens/{answer['token']}.{fmt}").data)
        bodies.append(client.get(f"{V2}/services.{fmt}").data)
        bodies.append(post(client, town.key, fmt=fmt, **POSTER).data)
    secrets_ = [REPORTER_EMAIL, REPORTER_NAME, "Camille", *POSTER.values(), "Posteur", "posted.person"]
    for body in bodies:
        text = body.decode()
        for secret in secrets_:
            assert secret.lower() not in text.lower(), secret
    stored = db.session.scalars(select(Report)).all()
    assert all(r.reporter_id is None for r in stored if r.source.startswith("open311"))
    for report in stored:  # what the client said of its user is not kept anywhere on the report
        assert not any(v in " ".join([report.description, report.address, report.source]) for v in POSTER.values())


# --- filters and paging ---------------------------------------------------------------------------


def test_filters_by_id_code_dates_and_status(client: FlaskClient, town: Town) -> None:
    old = file(town, town.potholes, "Old", when=days_ago(40))
    light = file(town, town.lights, "Dark", when=days_ago(10))
    recent = file(town, town.potholes, "Recent", when=days_ago(2))
    ancient = file(town, town.potholes, "Ancient", when=days_ago(200))
    report_services.change_status(old, "resolved", "Filled.")

    def ids(**query: Any) -> list[str]:
        return [r["service_request_id"] for r in get_json(client, "requests", **query)]

    assert ids() == [str(recent.id), str(light.id), str(old.id)]  # newest first, the last 90 days
    assert ids(service_code="streetlight") == [str(light.id)]
    assert ids(service_code="pothole,streetlight", status="closed") == [str(old.id)]
    assert ids(status="open") == [str(recent.id), str(light.id)]
    assert ids(status="open,closed") == ids()
    start = days_ago(20).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = days_ago(5).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    assert ids(start_date=start, end_date=end) == [str(light.id)]
    assert ids(start_date=days_ago(365).strftime("%Y-%m-%dT%H:%M:%SZ")) == [
        str(recent.id), str(light.id), str(old.id), str(ancient.id)]
    # By id, the other filters do not apply (the specification).
    assert ids(service_request_id=f"{ancient.id},{light.id}", status="closed") == [str(light.id), str(ancient.id)]
    assert get_json(client, "requests", expect=400, **{"start_date": "yesterday"})[0]["code"] == 400
    bad_status = client.get(f"{V2}/requests.json?status=pending")
    assert bad_status.status_code == 400
    assert xml_items(client.get(f"{V2}/requests.xml?status=pending").data, "errors", "error")


def test_paging_walks_every_request_once(client: FlaskClient, town: Town) -> None:
    made = [file(town, town.potholes, f"Hole {i}", when=days_ago(30 - i)) for i in range(7)]
    pages = [get_json(client, "requests", page=page, page_size=3) for page in (1, 2, 3, 4)]
    assert [len(p) for p in pages] == [3, 3, 1, 0]
    seen = [row["service_request_id"] for page in pages for row in page]
    assert seen == [str(r.id) for r in reversed(made)]
    assert len(get_json(client, "requests")) == 7
    assert get_json(client, "requests", expect=400, page=0)[0]["code"] == 400
    assert get_json(client, "requests", expect=400, page_size="many")[0]["code"] == 400


def test_another_towns_requests_are_not_here(app: Any, client: FlaskClient, town: Town) -> None:
    other = make_town("elsewhere", hosts=("b.localhost",))
    theirs = file(other, other.potholes, "Theirs")
    assert get_json(client, "requests") == []
    assert get_json(client, f"requests/{theirs.id}", expect=404)[0]["code"] == 404
    assert get_json(client, "requests", service_request_id=str(theirs.id)) == []
    assert get_json(client, "services", expect=404, jurisdiction_id="elsewhere")[0]["code"] == 404


def test_xml_stays_well_formed_whatever_the_description_holds(client: FlaskClient, town: Town) -> None:
    report = file(town, town.potholes, "Trou <profond> & large\x07 \x1b[0m")
    element = xml_items(get_xml(client, f"requests/{report.id}"), "service_requests", "request")[0]
    assert element.find("description").text == "Trou <profond> & large [0m"
    assert get_json(client, f"requests/{report.id}")[0]["description"].startswith("Trou <profond> & large\x07")
