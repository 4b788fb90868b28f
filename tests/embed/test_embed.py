"""The embeddable pages: framed only by the sites the town allows (their own frame-ancestors, no
X-Frame-Options), every other page still refusing to be framed; the widget script any site may
load; the town admin's page of sites and snippets."""

from __future__ import annotations

from typing import Any

import pytest

from app.embed import services
from tests.factories import login_as, make_actor, make_publication, make_territory, make_user
from tests.support.csrf import csrf_token

TOWN_SITE = "https://www.laciotat.example"


def _directives(response: Any) -> dict[str, list[str]]:
    csp = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}


@pytest.fixture
def town(app: Any) -> dict[str, Any]:
    territory = make_territory(timezone="Europe/Paris")
    club = make_actor(territory, "Club de voile", kind="sports_club")
    make_publication(club, "Régate du dimanche", kind="event")
    make_publication(club, "Nouveaux horaires", kind="news")
    draft = make_publication(club, "Brouillon", kind="news", status="draft")
    other = make_territory("b", "Town B", hosts=("b.localhost",))
    elsewhere = make_actor(other, "Ailleurs")
    admin = make_user(territory, "admin@example.org", is_admin=True, language="en")
    return {"territory": territory, "club": club, "draft": draft, "elsewhere": elsewhere, "admin": admin}


def test_without_allowed_sites_the_embed_pages_refuse_framing_too(client, town):
    response = client.get("/embed/agenda")
    assert response.status_code == 200 and "Régate du dimanche" in response.get_data(as_text=True)
    assert _directives(response)["frame-ancestors"] == ["'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_allowed_site_may_frame_the_embed_pages_and_nothing_else(client, town):
    services.save_origins(town["territory"], [TOWN_SITE, "https://*.laciotat.example"])
    for path in ("/embed/agenda", f"/embed/actors/{town['club'].id}/news"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert _directives(response)["frame-ancestors"] == [TOWN_SITE, "https://*.laciotat.example"], path
        assert _directives(response)["script-src"] == ["'self'"]
        assert "X-Frame-Options" not in response.headers, path
        assert "<script>" not in response.get_data(as_text=True)
    news = client.get(f"/embed/actors/{town['club'].id}/news").get_data(as_text=True)
    assert "Nouveaux horaires" in news and "Brouillon" not in news
    assert 'target="_blank"' in news
    for path in ("/", "/open-now", "/api", f"/actors/{town['club'].slug}", "/embed"):
        response = client.get(path)
        assert response.headers["X-Frame-Options"] == "DENY", path
        assert _directives(response)["frame-ancestors"] == ["'none'"], path


def test_another_towns_actor_is_not_embedded(client, town):
    assert client.get(f"/embed/actors/{town['elsewhere'].id}/news").status_code == 404


def test_the_widget_script_loads_from_any_site_and_checks_the_frames_messages(client, town):
    response = client.get("/embed/widget.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    script = response.get_data(as_text=True)
    assert "event.origin !== origin" in script and "event.source !== frame.contentWindow" in script
    assert "/embed/agenda" in script and "/embed/actors/" in script


def test_the_admin_chooses_the_sites_and_sees_the_snippets(client, town):
    login_as(client, town["admin"])
    page = client.get("/admin/embedding")
    assert page.status_code == 200 and "/embed/widget.js" in page.get_data(as_text=True)
    token = csrf_token(client, "/admin/embedding")
    refused = client.post("/admin/embedding", data={"csrf_token": token, "origins": "https://ok.example\njavascript:alert(1)\nhttps://x.example/path"})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Not a site address" in body and "https://x.example/path" in body
    assert services.allowed_origins(town["territory"]) == []
    saved = client.post("/admin/embedding", data={"csrf_token": token, "origins": "https://WWW.laciotat.example/\n"})
    assert saved.status_code == 303
    assert services.allowed_origins(town["territory"]) == [TOWN_SITE]
    snippets = client.get("/admin/embedding").get_data(as_text=True)
    assert 'data-widget="agenda"' in snippets and 'data-widget="actor-news"' in snippets and "&lt;iframe" in snippets


def test_only_the_towns_admin_reaches_the_settings(client, town):
    assert client.get("/admin/embedding").status_code in (302, 401)
    citizen = make_user(town["territory"], "citizen@example.org", language="en")
    login_as(client, citizen)
    assert client.get("/admin/embedding").status_code == 403
