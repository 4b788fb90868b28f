"""Security headers on every page a person can reach (logged out, as a citizen, acting for an
actor, as the town's administrator), on error pages and on static files; cookies that scripts
cannot read, that cross-site requests do not carry, and that travel only over HTTPS when the
site is served over HTTPS."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Any

import pytest
from flask import Flask, abort, url_for
from flask.testing import FlaskClient

from app.config import ROOT
from app.extensions import db
from app.media.models import Media
from app.profiles.routes import ONBOARDING_STEPS
from app.security import OFFLINE_PAGES
from app.territories.models import Territory
from tests.core.test_isolation import HOST_A, _world
from tests.factories import (
    login_as,
    make_actor,
    make_member,
    make_publication,
    make_territory,
    make_user,
)

HARDENING = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
# Pages that set their own, stricter Referrer-Policy.
NO_REFERRER = {"kiosks.kiosk", "delivery.click"}


def assert_hardened(response: Any, where: str) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert directives.get("frame-ancestors") == ["'none'"], where
    assert directives.get("script-src") == ["'self'"], where
    assert directives.get("object-src") == ["'none'"], where
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
    for header, value in HARDENING.items():
        assert response.headers.get(header) == value, (where, header)


def parameterless_get_routes(app: Flask) -> list[tuple[str, str]]:
    return sorted(
        (rule.endpoint, rule.rule)
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and not rule.arguments and rule.endpoint != "static"
    )


@pytest.fixture
def town(app: Flask) -> Any:
    territory = make_territory(timezone="Europe/Paris")
    bakery = make_actor(territory, "Boulangerie du Port")
    merchant = make_user(territory, language="en")
    make_member(merchant, bakery, role="owner")
    return {
        "territory": territory,
        "citizen": make_user(territory, language="en"),
        "merchant": (merchant, bakery),
        "admin": make_user(territory, language="en", is_admin=True),
    }


@pytest.mark.parametrize("who", ["nobody", "citizen", "merchant", "admin"])
def test_every_page_has_the_security_headers(app: Flask, client: FlaskClient, town: Any, who: str) -> None:
    if who == "merchant":
        user, actor = town["merchant"]
        login_as(client, user, acting_actor=actor)
    elif who != "nobody":
        login_as(client, town[who])
    html_pages = 0
    for endpoint, path in parameterless_get_routes(app):
        response = client.get(path)
        assert response.status_code < 500, (who, path)
        where = f"{who} {path} {response.status_code}"
        assert response.headers.get("X-Content-Type-Options") == "nosniff", where
        if response.mimetype == "text/html":
            html_pages += 1
            if endpoint in NO_REFERRER:
                continue
            assert_hardened(response, where)
    assert html_pages >= 8, who


def test_pages_served_over_https_add_hsts(client: FlaskClient, town: Any) -> None:
    response = client.get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
    assert "Strict-Transport-Security" not in client.get("/").headers  # plain http: meaningless


def test_error_pages_have_the_security_headers(app: Flask, client: FlaskClient, town: Any) -> None:
    app.add_url_rule("/test-failure", "test_failure", lambda: abort(500))
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.config["RATELIMIT_API"] = "1 per minute"
    client.get("/manifest.webmanifest")
    responses = {
        404: client.get("/no-such-page"),
        429: client.get("/manifest.webmanifest"),
        500: client.get("/test-failure"),
    }
    for code, response in responses.items():
        assert response.status_code == code
        assert response.mimetype == "text/html"
        assert_hardened(response, str(code))
    unknown_host = client.get("/", base_url="http://elsewhere.example")
    assert unknown_host.status_code == 404
    assert_hardened(unknown_host, "unknown host")


def test_static_files_are_not_sniffed(client: FlaskClient) -> None:
    for path in ("/static/js/app.js", "/static/css/app.css"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
        response.close()


def test_the_session_cookie_is_httponly_and_samesite(client: FlaskClient, town: Any) -> None:
    response = client.get("/login")
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies, "the log-in page sets the session cookie (CSRF token)"
    for cookie in cookies:
        attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
        assert "httponly" in attributes
        assert "samesite=lax" in cookie.lower() or "samesite=strict" in cookie.lower()
        assert "secure" not in attributes  # plain http in this test: a Secure cookie would be lost


@pytest.mark.parametrize(
    "environment",
    [{"BEHIND_HTTPS_PROXY": "1"}, {"PREFERRED_URL_SCHEME": "https"}],
)
def test_cookies_are_secure_when_the_site_is_served_over_https(environment: dict[str, str]) -> None:
    code = ("from app.config import Config as C; "
            "print(C.SESSION_COOKIE_SECURE, C.REMEMBER_COOKIE_SECURE, C.SESSION_COOKIE_HTTPONLY, "
            "C.SESSION_COOKIE_SAMESITE)")
    env = {k: v for k, v in os.environ.items()
           if k not in {"BEHIND_HTTPS_PROXY", "PREFERRED_URL_SCHEME", "SESSION_COOKIE_SECURE"}}
    plain = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                           text=True, check=True)
    assert plain.stdout.split() == ["False", "False", "True", "Lax"]
    secure = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**env, **environment},
                            capture_output=True, text=True, check=True)
    assert secure.stdout.split() == ["True", "True", "True", "Lax"]


def _image(town: Any, status: str) -> str:
    territory = town["territory"]
    image = Media(territory_id=territory.id, content_type="image/webp", data=b"RIFF0000WEBPVP8 ", width=1, height=1)
    db.session.add(image)
    db.session.commit()
    make_publication(town["merchant"][1], f"A {status} one", status=status, image_media_id=image.id)
    return f"/media/{image.token}"


def test_a_published_image_is_kept_by_any_cache(client: FlaskClient, town: Any) -> None:
    response = client.get(_image(town, "published"))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=604800, immutable"
    assert "Set-Cookie" not in response.headers


def test_a_drafts_image_is_never_stored(client: FlaskClient, town: Any) -> None:
    url = _image(town, "draft")
    assert client.get(url).status_code == 404
    user, actor = town["merchant"]
    login_as(client, user, acting_actor=actor)
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "Cookie" in response.vary


def _offline_patterns() -> list[re.Pattern[str]]:
    """The service worker's PAGE_PATTERNS (the pages it keeps for offline reading), in Python."""
    source = (ROOT / "service-worker" / "service-worker.js").read_text()
    block = re.search(r"const PAGE_PATTERNS = \[(.*?)\];", source, re.S)
    assert block
    patterns = re.findall(r"^\s*/(.+)/,$", block.group(1), re.M)
    assert len(patterns) >= 5
    return [re.compile(pattern.replace("\\/", "/")) for pattern in patterns]


def _get_rules_filled(app: Flask, world: dict[str, Any]) -> list[tuple[str, str]]:
    """Every GET route of the URL map with its parameters filled by ``world``'s objects (every
    token route has a token of its own kind: none is skipped)."""
    others = {"size": 192, "step": ONBOARDING_STEPS[0], "kind": "terms", "language": "fr",
              "table_id": "mix-neighbourhoods", "fmt": "json", "dataset_id": "actors", "extension": "csv",
              "path": "no-such-list"}
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint == "static":
            continue
        values = {}
        for name in rule.arguments:
            value = world["tokens"].get(rule.endpoint) if name == "token" else world["ids"].get(name, others.get(name))
            assert value is not None, f"teach this test which object fills {rule.endpoint}: {name}"
            values[name] = value
        with app.test_request_context(base_url=HOST_A):
            urls.append((rule.endpoint, url_for(rule.endpoint, **values)))
    return sorted(urls)


@pytest.mark.parametrize("who", ["nobody", "citizen", "member", "admin"])
def test_no_answer_that_depends_on_the_session_is_kept_by_a_cache(app: Flask, who: str) -> None:
    """Over the whole URL map: an answer that a shared cache may keep is the same for everyone
    (no name, no CSRF token, no cookie set); any other is private and never stored, but for the
    service worker's offline pages, private and revalidated, which lets the worker keep them."""
    world = _world(app)["a"]
    client = app.test_client()
    person = world["admin"] if who in ("member", "admin") else None
    if who == "citizen":
        territory = db.session.get(Territory, world["actor"].territory_id)
        person = make_user(territory, "citizen@a.test", language="en", display_name="Léa Citoyenne")
    if person is not None:
        login_as(client, person, acting_actor=world["actor"] if who == "member" else None)
    offline = _offline_patterns()
    kept_offline = set()
    for endpoint, url in _get_rules_filled(app, world):
        response = client.get(url, base_url=HOST_A)
        where = f"{who} {url} {response.status_code}"
        assert response.status_code < 500, where
        cache_control = {part.strip() for part in response.headers.get("Cache-Control", "").split(",")}
        body = response.get_data(as_text=True) if response.mimetype.startswith("text/") else ""
        response.close()
        if "public" in cache_control or not cache_control & {"private", "no-store"}:  # a shared copy
            assert "Set-Cookie" not in response.headers, where
            assert '<meta name="csrf-token"' not in body and 'name="csrf_token"' not in body, where
            assert person is None or not [s for s in (person.email, person.display_name) if s and s in body], where
            continue
        revalidated = {"private", "no-cache"} <= cache_control and "Cookie" in response.vary
        assert "no-store" in cache_control or revalidated, where
        if response.mimetype == "text/html" and response.status_code == 200:
            if any(pattern.fullmatch(url) for pattern in offline):
                assert cache_control == {"private", "no-cache"} and "Cookie" in response.vary, where
                kept_offline.add(endpoint)
            else:
                assert "no-store" in cache_control, where
    # The report form is kept for its reporter only: nobody logged in is sent to log in.
    assert kept_offline == (OFFLINE_PAGES if person is not None else OFFLINE_PAGES - {"reports.new_report"}), who


def test_private_pages_are_never_stored(client: FlaskClient, town: Any) -> None:
    login_as(client, town["citizen"])
    for path in ("/me", "/me/inbox", "/me/privacy", "/me/notifications"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "private, no-store", path
        assert "Cookie" in response.vary, path
    for_you = client.get("/")
    assert for_you.headers["Cache-Control"] == "private, no-cache" and "Cookie" in for_you.vary


def test_every_page_has_a_description_for_search_engines_its_own_where_it_has_one(client):
    """Lighthouse's SEO audit: a meta description on every page; a publication's or an actor's
    page describes itself with its summary."""
    import re

    from tests.factories import make_actor, make_publication, make_territory

    territory = make_territory(tagline="La ville du cinéma")
    actor = make_actor(territory, "Fromagerie", summary="Fromages affinés sur le port")
    publication = make_publication(actor, "Raclette party", kind="event", summary="Samedi soir, sur le quai")
    described = {"/": "La ville du cinéma", "/all": "La ville du cinéma", "/login": "La ville du cinéma",
                 f"/actors/{actor.slug}": "Fromages affinés sur le port",
                 f"/p/{publication.id}": "Samedi soir, sur le quai"}
    for path, expected in described.items():
        html = client.get(path).get_data(as_text=True)
        found = re.findall(r'<meta name="description" content="([^"]*)">', html)
        assert found == [expected], (path, found)
