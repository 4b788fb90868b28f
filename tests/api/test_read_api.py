"""The read API: public data of the host's town only, paginated with Link headers, ETags and
304, CORS for any origin, errors as problem details."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from app.models_common import utcnow


def _get(client: Any, path: str, **kwargs: Any) -> Any:
    response = client.get(path, **kwargs)
    return response, (response.get_json() if response.data else None)


def test_territory_and_hashtags(client, town):
    response, body = _get(client, "/api/v1/territory")
    assert response.status_code == 200 and body["name"] == "La Ciotat" and body["timezone"] == "Europe/Paris"
    _, tags = _get(client, "/api/v1/hashtags")
    assert [t["tag"] for t in tags["data"]] == ["marche"]


def test_actors_are_the_verified_ones_with_hours_and_open_now(client, town):
    _, body = _get(client, "/api/v1/actors")
    names = [a["name"] for a in body["data"]]
    assert names == ["Boulangerie du Port", "Club de voile"] and body["meta"]["total"] == 2
    bakery = body["data"][0]
    assert bakery["open_now"] is True and bakery["opening_hours"]["mon"] == [["00:00", "00:00"]]
    assert bakery["hashtags"] == ["marche"] and bakery["location"] == {"lat": 43.175, "lon": 5.604}
    _, open_only = _get(client, "/api/v1/actors?open_now=true")
    assert [a["name"] for a in open_only["data"]] == ["Boulangerie du Port"]
    _, clubs = _get(client, "/api/v1/actors?kind=sports_club")
    assert [a["name"] for a in clubs["data"]] == ["Club de voile"]
    _, one = _get(client, f"/api/v1/actors/{town['bakery'].id}")
    assert one["name"] == "Boulangerie du Port"
    assert client.get(f"/api/v1/actors/{town['pending'].id}").status_code == 404


def test_publications_are_only_the_published_and_visible(client, town):
    _, body = _get(client, "/api/v1/publications?per_page=100")
    titles = {p["title"] for p in body["data"]}
    assert "Pain au levain" in titles and "Deux baguettes achetées" in titles and "Régate 0" in titles
    assert not titles & {"Brouillon secret", "Retiré par la mairie", "Publication non vérifiée", "Sondage",
                         "Nouvelle d'ailleurs"}
    assert body["meta"]["total"] == 27
    for hidden in town["hidden"]:
        assert client.get(f"/api/v1/publications/{hidden.id}").status_code == 404


def test_filters_kind_actor_hashtag_and_updated_since(client, town):
    _, news = _get(client, "/api/v1/publications?kind=news")
    assert [p["title"] for p in news["data"]] == ["Pain au levain"]
    _, by_actor = _get(client, f"/api/v1/publications?actor={town['club'].id}&per_page=5")
    assert {p["actor"]["name"] for p in by_actor["data"]} == {"Club de voile"} and by_actor["meta"]["total"] == 25
    _, by_tag = _get(client, "/api/v1/publications?hashtag=marche")
    assert [p["title"] for p in by_tag["data"]] == ["Pain au levain"]
    later = (utcnow() + timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    _, none = _get(client, f"/api/v1/publications?updated_since={later}")
    assert none["data"] == [] and none["meta"]["total"] == 0


def test_events_in_a_window_and_their_occurrences(client, town):
    now = utcnow()
    start = (now + timedelta(days=2, hours=12)).isoformat().replace("+00:00", "Z")
    end = (now + timedelta(days=4, hours=12)).isoformat().replace("+00:00", "Z")
    _, window = _get(client, f"/api/v1/publications?kind=event&from={start}&to={end}")
    assert [p["title"] for p in window["data"]] == ["Régate 2", "Régate 3"]
    _, occurrences = _get(client, f"/api/v1/events/occurrences?from={start}&to={end}")
    assert [o["title"] for o in occurrences["data"]] == ["Régate 2", "Régate 3"]


def test_pages_with_link_headers(client, town):
    response, body = _get(client, "/api/v1/publications?kind=event&per_page=10")
    assert [p["title"] for p in body["data"]] == [f"Régate {i}" for i in range(10)]
    links = response.headers["Link"]
    assert 'rel="next"' in links and 'rel="prev"' not in links and "page=2" in links
    assert body["links"]["next"].endswith("per_page=10&page=2") or "page=2" in body["links"]["next"]
    response, last = _get(client, "/api/v1/publications?kind=event&per_page=10&page=3")
    assert len(last["data"]) == 5 and 'rel="prev"' in response.headers["Link"] and 'rel="next"' not in response.headers["Link"]
    assert "next" not in last["links"]


def test_etag_and_304_and_cache_control(client, town):
    response = client.get("/api/v1/publications")
    etag = response.headers["ETag"]
    assert response.headers["Cache-Control"] == "public, max-age=60"
    again = client.get("/api/v1/publications", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    other = client.get("/api/v1/publications?kind=news", headers={"If-None-Match": etag})
    assert other.status_code == 200


def test_cors_on_gets_and_the_preflight(client, town):
    response = client.get("/api/v1/actors", headers={"Origin": "https://www.example.org"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Credentials" not in response.headers
    preflight = client.options("/api/v1/actors", headers={
        "Origin": "https://www.example.org", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "If-None-Match"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    assert "If-None-Match" in preflight.headers["Access-Control-Allow-Headers"]


def test_errors_are_problem_details(client, town):
    for path, status, parameter in (
        ("/api/v1/publications?kind=poll", 400, "kind"),
        ("/api/v1/publications?per_page=1000", 400, "per_page"),
        ("/api/v1/publications?updated_since=yesterday", 400, "updated_since"),
        ("/api/v1/publications?hashtag=nope", 400, "hashtag"),
        ("/api/v1/publications?from=2026-01-01T00:00:00Z", 400, "from"),
        ("/api/v1/nothing-here", 404, None),
        ("/api/v1/actors/999999", 404, None),
    ):
        response = client.get(path)
        assert response.status_code == status, path
        assert response.mimetype == "application/problem+json", path
        body = json.loads(response.data)
        assert body["status"] == status and body["title"] and body.get("detail"), path
        assert body.get("parameter") == parameter, path
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    for method in ("post", "put", "delete"):
        refused = getattr(client, method)("/api/v1/actors")
        assert refused.status_code == 405 and refused.mimetype == "application/problem+json", method
        assert refused.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_another_territory_never_leaks(client, town):
    for path in ("/api/v1/actors", "/api/v1/publications?per_page=100", "/api/v1/events/occurrences",
                 "/api/v1/hashtags", "/api/v1/reports"):
        body = client.get(path).get_data(as_text=True)
        assert "ailleurs" not in body.lower(), path
    assert client.get(f"/api/v1/actors/{town['elsewhere_actor'].id}").status_code == 404
    assert client.get(f"/api/v1/publications/{town['elsewhere'].id}").status_code == 404
    own = client.get(f"/api/v1/publications/{town['elsewhere'].id}", base_url="http://b.localhost")
    assert own.status_code == 200


def test_reports_as_the_public_sees_them_naming_nobody(client, town):
    response, body = _get(client, "/api/v1/reports")
    assert [r["category"] for r in body["data"]] == ["Nid-de-poule"]
    assert "total" not in body["meta"]
    text = response.get_data(as_text=True)
    assert "reporter@example.org" not in text and "Reporter Person" not in text and "Trou" not in text


def test_the_docs_page_links_the_openapi_document(client, town):
    body = client.get("/api").get_data(as_text=True)
    assert "/api/v1/openapi.json" in body and "open_now=true" in body
