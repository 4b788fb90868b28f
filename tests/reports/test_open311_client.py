"""A real Open311 client from PyPI (``georeport``, a GeoReport v2 wrapper over HTTP) reads the
town's services and requests from a web process of its own, in JSON and in XML; the request it
reads back was posted over plain HTTP (the library does not post), with the town's key."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from georeport import GeoReport

from tests.reports.helpers_open311 import (
    REPORTER_EMAIL,
    SPEC_REQUEST,
    SPEC_SERVICE,
    file,
    make_town,
)
from tests.support import config as test_config
from tests.support.web_process import WebProcess


@pytest.fixture
def web(app: Any, database_url: str, redis_url: str, instance_dir: Any) -> Any:
    town = make_town()
    file(town, town.lights, "Dark corner", address="Quai Ganteaume")
    process = WebProcess({"SQLALCHEMY_URL": database_url, "REDIS_URL": redis_url, "SECRET_KEY": "test-secret",
                          "INSTANCE_DIR": str(instance_dir), "MAIL_BACKEND": "memory",
                          "PASSWORD_HASH_PROFILE": test_config.PASSWORD_HASH_PROFILE})
    process.wait_until_listening()
    yield town, process
    process.stop()


def test_an_open311_client_library_reads_what_was_posted(web: Any) -> None:
    town, process = web
    root = process.url("/open311/v2")
    posted = requests.post(f"{root}/requests.json", timeout=30, data={
        "api_key": town.key, "service_code": "pothole", "lat": "43.1752", "long": "5.6049",
        "description": "Pothole by the harbour", "email": "client.user@example.net"})
    assert posted.status_code == 200
    request_id = posted.json()[0]["service_request_id"]

    for output_format in ("json", "xml"):
        client = GeoReport(root, jurisdiction=town.territory.slug, output_format=output_format)
        services = client.get_service_list()
        assert [s["service_code"] for s in services] == ["pothole", "streetlight"]
        assert set(SPEC_SERVICE) <= set(services[0])
        assert client.get_service_definition("pothole")["service_code"] == "pothole"

        mine = client.get_service_request(request_id)
        assert set(SPEC_REQUEST) <= set(mine)
        assert mine["description"] == "Pothole by the harbour" and mine["status"] == "open"
        listed = client.get_service_requests(service_code="pothole,streetlight", status="open")
        assert {r["service_request_id"] for r in listed} >= {request_id}
        assert len(listed) == 2
        assert client.get_service_requests(service_code="streetlight")  # one: XML gives it alone
        everything = repr(listed) + repr(mine)
        assert REPORTER_EMAIL not in everything and "client.user" not in everything

    with pytest.raises(requests.HTTPError) as refused:
        GeoReport(root, jurisdiction="another-town").get_service_list()
    assert refused.value.response.status_code == 404


def test_an_open311_client_reads_a_request_placed_by_its_address_alone(web: Any) -> None:
    town, process = web
    root = process.url("/open311/v2")
    posted = requests.post(f"{root}/requests.json", timeout=30, data={
        "api_key": town.key, "service_code": "streetlight", "address_string": "Rue des Poilus, devant le 12",
        "description": "Dark all night"})
    assert posted.status_code == 200  # no geocoder here: stored with its address and no point
    request_id = posted.json()[0]["service_request_id"]
    for output_format in ("json", "xml"):
        mine = GeoReport(root, jurisdiction=town.territory.slug, output_format=output_format).get_service_request(request_id)
        assert mine["address"] == "Rue des Poilus, devant le 12"
        assert mine["lat"] in ("", None) and mine["long"] in ("", None)  # empty: JSON "", XML an empty element
