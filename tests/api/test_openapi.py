"""The OpenAPI 3.1 document tells the truth: it is valid, every route under /api/v1 is in it,
every path in it answers, and the answers match its schemas."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource

from app.api.routes import PREFIX
from app.extensions import db
from app.models_common import utcnow

# The catch-alls that answer "not found" and "only GET" as problem details are no endpoints of their own.
UNDOCUMENTED = {"api.not_found", "api.refuse_write"}


def _document(client: Any) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def _flask_to_openapi(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


def test_the_document_is_valid_openapi_3_1(client, town):
    document = _document(client)
    assert document["openapi"].startswith("3.1")
    validate(document)  # raises on any error


def test_every_api_route_is_documented_and_every_documented_path_answers(app, client, town):
    document = _document(client)
    routes = {_flask_to_openapi(rule.rule) for rule in app.url_map.iter_rules()
              if rule.rule.startswith(PREFIX + "/") and rule.endpoint not in UNDOCUMENTED}
    assert routes == set(document["paths"])
    ids = {"actor_id": town["bakery"].id, "publication_id": town["news"].id}
    for path, item in document["paths"].items():
        url = path.format(**ids)
        response = client.get(url)
        assert response.status_code == 200, url
        for parameter in item["get"]["parameters"]:
            if parameter["in"] == "path":
                assert "{" + parameter["name"] + "}" in path


def _validator(document: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    registry: Registry = Registry().with_resource("urn:api", Resource.from_contents(
        {**document, "$schema": "https://json-schema.org/draft/2020-12/schema"}))
    rebased = _rebase(schema)
    return Draft202012Validator(rebased, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _rebase(schema: Any) -> Any:
    """The document's local references (#/components/...) made to point into the registered document."""
    if isinstance(schema, dict):
        return {k: ("urn:api" + v if k == "$ref" and v.startswith("#/") else _rebase(v)) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_rebase(v) for v in schema]
    return schema


def test_the_answers_match_their_schemas(client, town):
    document = _document(client)
    ids = {"actor_id": town["bakery"].id, "publication_id": town["events"][0].id}
    checked = 0
    for path, item in document["paths"].items():
        responses = item["get"]["responses"]
        names = {parameter["name"] for parameter in item["get"]["parameters"]}
        second = "?page=2&per_page=1" if "per_page" in names else "?page=2" if "page" in names else ""
        for url in (path.format(**ids), path.format(**ids) + second):
            response = client.get(url)
            schema = responses["200"]["content"]["application/json"]["schema"]
            errors = list(_validator(document, schema).iter_errors(response.get_json()))
            assert not errors, (url, [e.message for e in errors][:3])
            checked += 1
    problem_schema = document["components"]["schemas"]["Problem"]
    for url in ("/api/v1/publications?kind=poll", "/api/v1/actors/999999", "/api/v1/nope"):
        response = client.get(url)
        assert not list(_validator(document, problem_schema).iter_errors(response.get_json())), url
    assert checked >= 2 * len(document["paths"])


def test_the_occurrences_of_a_recurring_event_match_the_schema(client, town):
    market = town["events"][0]
    market.rrule = "FREQ=WEEKLY;COUNT=4"
    db.session.commit()
    document = _document(client)
    start = (utcnow() - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    body = client.get(f"/api/v1/events/occurrences?from={start}&per_page=100").get_json()
    weekly = [o for o in body["data"] if o["publication_id"] == market.id]
    assert len(weekly) == 4 and all(o["recurrence_id"] for o in weekly)
    schema = document["paths"]["/api/v1/events/occurrences"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert not list(_validator(document, schema).iter_errors(body))
