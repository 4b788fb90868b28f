"""Rate limits: where they are, what a refused request answers (429, Retry-After, a page in the
person's language, JSON for a script, the fragment for htmx), and that every JSON endpoint has
one, so that a new JSON route cannot go without."""

from __future__ import annotations

import inspect
import json
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, ngettext
from flask_limiter.util import get_qualified_name
from limits import parse
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter
from markupsafe import escape
from sqlalchemy import func, select

from app.extensions import PASSWORD_FORM_LIMIT, DatabaseStorage, RateLimitHit, db, limiter
from app.security import SCRIPT_ENDPOINTS, wait_message
from tests.factories import (
    login_as,
    make_actor,
    make_hashtag,
    make_member,
    make_territory,
    make_user,
)
from tests.places.conftest import BOUNDARY, MARKET_SQUARE
from tests.support import config as test_config
from tests.support.csrf import csrf_from, csrf_token
from tests.support.web_process import Browser, WebProcess

# What a view's source (or a helper of its module it calls) shows when it answers or reads JSON.
JSON_MARKERS = ("jsonify(", "application/json", "+json", "get_json(", ".is_json")
WAIT = re.compile(r"(\d+)")
POSITION = {"lat": MARKET_SQUARE[0], "lon": MARKET_SQUARE[1]}


def _sources(view: Callable[..., Any]) -> list[str]:
    """The view's own source and that of the helpers of its module it calls, transitively."""
    original = inspect.unwrap(view)
    module = inspect.getmodule(original)
    queue, seen, sources = [original], set(), []
    while queue:
        function = queue.pop()
        if function in seen:
            continue
        seen.add(function)
        source = inspect.getsource(function)
        sources.append(source)
        for name in re.findall(r"\b(\w+)\(", source):
            helper = getattr(module, name, None)
            if inspect.isfunction(helper) and helper.__module__ == original.__module__:
                queue.append(helper)
    return sources


def json_endpoints(app: Flask) -> set[str]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        if rule.rule.endswith((".json", ".webmanifest")) or any(
            marker in source for source in _sources(view) for marker in JSON_MARKERS
        ):
            found.add(rule.endpoint)
    return found


def route_limits(app: Flask, endpoint: str) -> list[Any]:
    view = app.view_functions[endpoint]
    return limiter.limit_manager.decorated_limits(get_qualified_name(view))


def assert_refused(response: Any) -> int:
    """A 429 that says when to come back: returns the Retry-After seconds."""
    assert response.status_code == 429
    retry_after = response.headers["Retry-After"]
    assert retry_after.isdigit() and int(retry_after) >= 0
    assert response.headers["Cache-Control"] == "no-store"
    return int(retry_after)


@pytest.fixture
def town(app: Flask) -> Any:
    return make_territory(timezone="Europe/Paris", boundary_geojson=json.dumps(BOUNDARY))


def fail_logins(client: FlaskClient, times: int, **kwargs: Any) -> Any:
    token = csrf_token(client, "/login")
    response = None
    for _ in range(times):
        response = client.post("/login", data={"csrf_token": token, "email": "nobody@example.org",
                                               "password": "wrong password"}, **kwargs)
    return response


# --- every JSON endpoint is limited ------------------------------------------------------------


def test_every_json_endpoint_is_listed_and_limited_per_address(app: Flask) -> None:
    found = json_endpoints(app)
    assert {"places.check_in", "notifications.push_subscribe", "pwa.manifest"} <= found
    assert found <= SCRIPT_ENDPOINTS, f"JSON endpoints missing from SCRIPT_ENDPOINTS: {found - SCRIPT_ENDPOINTS}"
    api_limit = parse(app.config["RATELIMIT_API"])
    for endpoint in SCRIPT_ENDPOINTS:
        assert endpoint in app.view_functions, endpoint
        limits = route_limits(app, endpoint)
        assert any(lim.limit == api_limit for lim in limits), f"{endpoint} has no RATELIMIT_API limit"


def test_the_limits_that_protect_accounts_and_campaigns_are_in_place(app: Flask) -> None:
    for endpoint in ("accounts.login", "accounts.register", "accounts.forgot_password",
                     "accounts.reset_password", "campaigns.new", "places.check_in"):
        assert route_limits(app, endpoint), endpoint


# --- the refusal -------------------------------------------------------------------------------


def test_too_many_log_ins_get_a_429_page_saying_how_long_to_wait(client: FlaskClient, town: Any) -> None:
    assert fail_logins(client, 10).status_code == 422
    response = fail_logins(client, 1)
    seconds = assert_refused(response)
    page = response.get_data(as_text=True)
    assert "<html" in page and "Too many attempts" in page
    waited = int(WAIT.search(page.split("Please wait", 1)[1]).group(1))  # type: ignore[union-attr]
    assert 1 <= waited <= 60 and abs(waited - seconds) <= 1
    assert f"Please wait {waited} second" in page and "and try again." in page


def test_the_429_page_is_in_the_persons_language(app: Flask, client: FlaskClient, town: Any) -> None:
    app.config["RATELIMIT_API"] = "2 per minute"  # read when each request is checked
    for _ in range(2):
        assert client.get("/manifest.webmanifest").status_code == 200
    response = client.get("/manifest.webmanifest", headers={"Accept-Language": "fr"})
    seconds = assert_refused(response)
    page = response.get_data(as_text=True)
    assert '<html lang="fr"' in page
    with force_locale("fr"):
        expected = [str(escape(ngettext("Please wait %(num)d second and try again.",
                                        "Please wait %(num)d seconds and try again.", n)))
                    for n in (seconds, seconds + 1)]
    assert any(text in page for text in expected), expected


def test_the_wait_is_said_in_minutes_beyond_two(app: Flask) -> None:
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert wait_message(1) == "Please wait 1 second and try again."
        assert wait_message(119) == "Please wait 119 seconds and try again."
        assert wait_message(121) == "Please wait 3 minutes and try again."
        assert wait_message(3600) == "Please wait 60 minutes and try again."


def test_an_htmx_request_gets_the_fragment(app: Flask, client: FlaskClient, town: Any) -> None:
    login_as(client, make_user(town, language="en"))
    app.config["RATELIMIT_API"] = "2 per minute"
    for _ in range(2):
        assert client.get("/me/inbox/badge", headers={"HX-Request": "true"}).status_code == 200
    response = client.get("/me/inbox/badge", headers={"HX-Request": "true"})
    assert_refused(response)
    fragment = response.get_data(as_text=True)
    assert "<html" not in fragment
    assert 'class="error-box"' in fragment and "Please wait" in fragment
    assert "HX-Request" in response.headers["Vary"]


# --- JSON endpoints ----------------------------------------------------------------------------


def test_a_json_endpoint_answers_json_when_refused(client: FlaskClient, town: Any) -> None:
    login_as(client, make_user(town, language="en"))
    token = csrf_token(client, "/me/notifications")
    limit = parse(client.application.config["RATELIMIT_API"]).amount
    for _ in range(limit):
        response = client.post("/me/notifications/push/subscription", json={"endpoint": "nope"},
                               headers={"X-CSRFToken": token})
        assert response.status_code == 422
    response = client.post("/me/notifications/push/subscription", json={"endpoint": "nope"},
                           headers={"X-CSRFToken": token})
    assert_refused(response)
    assert response.is_json
    assert response.get_json()["message"].startswith("Please wait")


def test_the_manifest_is_limited_per_address(client: FlaskClient, town: Any) -> None:
    limit = parse(client.application.config["RATELIMIT_API"]).amount
    for _ in range(limit):
        assert client.get("/manifest.webmanifest").status_code == 200
    assert_refused(client.get("/manifest.webmanifest"))
    other_address = client.get("/manifest.webmanifest", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other_address.status_code == 200


# --- the position check-in ---------------------------------------------------------------------


def _live_location_on(client: FlaskClient) -> str:
    page = client.get("/near/location").get_data(as_text=True)
    assert client.post("/near/location", data={"csrf_token": csrf_from(page), "action": "on"}).status_code == 303
    return csrf_token(client, "/near")


def test_check_ins_are_limited_per_person_and_still_say_when_to_report_next(app: Flask, town: Any) -> None:
    walker, neighbour = app.test_client(), app.test_client()
    login_as(walker, make_user(town, language="en"))
    login_as(neighbour, make_user(town, language="en"))
    token = _live_location_on(walker)
    limit = parse(app.config["RATELIMIT_CHECKIN"]).amount
    for _ in range(limit):
        response = walker.post("/near/checkin", json=POSITION, headers={"X-CSRFToken": token})
        # The app reports every 5 minutes; an earlier report is still taken and says so.
        assert response.status_code == 200
        assert response.get_json() == {"ok": True, "next_in_s": 300}
    refused = walker.post("/near/checkin", json=POSITION, headers={"X-CSRFToken": token})
    assert_refused(refused)
    assert refused.is_json and refused.get_json()["error"].startswith("Please wait")
    # Another person on the same address is not held back.
    neighbour_token = _live_location_on(neighbour)
    response = neighbour.post("/near/checkin", json=POSITION,
                              headers={"X-CSRFToken": neighbour_token})
    assert response.status_code == 200


# --- campaign creation -------------------------------------------------------------------------


def test_campaign_creation_is_limited_per_actor_not_counting_refused_forms(app: Flask, town: Any) -> None:
    bakery, club = make_actor(town, "Boulangerie du Port"), make_actor(town, "Club de Voile", kind="sports_club")
    baker, skipper = make_user(town, language="en"), make_user(town, language="en")
    make_member(baker, bakery, role="editor")
    make_member(skipper, club, role="owner")
    bio = make_hashtag(town, "bio")
    client, other = app.test_client(), app.test_client()
    login_as(client, baker, acting_actor=bakery)
    login_as(other, skipper, acting_actor=club)

    def draft(c: FlaskClient, **fields: Any) -> Any:
        token = csrf_token(c, "/manage/campaigns/new")
        data = {"csrf_token": token, "title": "Pain bio", "body": "Fresh bread on Saturday.",
                "link": "page", "hashtags": [str(bio.id)], "hashtag_mode": "any",
                "channels": ["inbox"], "when": "now", "action": "draft", **fields}
        return c.post("/manage/campaigns/new", data=data)

    assert draft(client, title="x" * 500).status_code == 422  # refused: not counted
    limit = parse(app.config["RATELIMIT_CAMPAIGN_ACTOR"]).amount
    for _ in range(limit):
        assert draft(client).status_code == 303
    refused = draft(client)
    seconds = assert_refused(refused)
    assert "Too many attempts" in refused.get_data(as_text=True)
    assert seconds <= 3600
    assert draft(other).status_code == 303  # another actor, the same address


# --- storage -----------------------------------------------------------------------------------


def test_the_limits_are_kept_in_redis_when_the_app_has_a_redis_url(app: Flask, tmp_path: Any) -> None:
    from limits.storage import RedisStorage

    from app import create_app

    expected = RedisStorage if app.config.get("REDIS_URL") else DatabaseStorage
    assert isinstance(limiter.storage, expected)
    # Another app given a Redis URL (no connection is made before a request).
    other = create_app({"SQLALCHEMY_URL": app.config["SQLALCHEMY_URL"], "INSTANCE_DIR": tmp_path,
                        "SECRET_KEY": "x", "REDIS_URL": "redis://127.0.0.1:6379/4"})
    assert isinstance(limiter.storage, RedisStorage)
    assert limiter.storage.key_prefix == other.config["RATELIMIT_REDIS_PREFIX"] == "territory-limits"



@pytest.fixture(scope="module")
def web_processes(_schema: None, database_url: str, redis_url: str, instance_dir: Any) -> Any:
    """Two web processes of their own on the suite's database, as ``make run`` starts two."""
    config = {"SQLALCHEMY_URL": database_url, "REDIS_URL": redis_url, "SECRET_KEY": "test-secret",
              "INSTANCE_DIR": str(instance_dir), "MAIL_BACKEND": "memory",
              "PASSWORD_HASH_PROFILE": test_config.PASSWORD_HASH_PROFILE}
    processes = WebProcess.start_many(config, 2)
    yield processes
    for process in processes:
        process.stop()


def _failed_log_in_form(browser: Browser, process: WebProcess, email: str) -> dict[str, str]:
    status, page = browser.request(process.url("/login"))
    assert status == 200
    return {"email": email, "password": "wrong guess", "csrf_token": csrf_from(page)}


def test_log_ins_spread_over_two_processes_are_refused_at_the_limit(
    town: Any, web_processes: list[WebProcess]
) -> None:
    """The attempts of one person alternate between the two processes: the limit holds at its
    figure (in memory, each process let its own 10 through)."""
    make_user(town, email="lea@example.org")
    browser = Browser()
    form = _failed_log_in_form(browser, web_processes[0], "lea@example.org")
    limit = parse(PASSWORD_FORM_LIMIT).amount
    statuses = [browser.request(web_processes[n % 2].url("/login"), form)[0] for n in range(limit + 2)]
    assert statuses == [422] * limit + [429, 429]


def test_log_ins_sent_at_once_to_two_processes_let_exactly_the_limit_through(
    town: Any, web_processes: list[WebProcess]
) -> None:
    """Many attempts at the same moment, on both processes: none slips between a count and its
    hit, so exactly the limit's number get an answer."""
    make_user(town, email="lea@example.org")
    browser = Browser()
    form = _failed_log_in_form(browser, web_processes[0], "lea@example.org")
    limit = parse(PASSWORD_FORM_LIMIT).amount
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda n: browser.request(web_processes[n % 2].url("/login"), form)[0],
                                 range(3 * limit)))
    assert sorted(statuses) == [422] * limit + [429] * (2 * limit)


def test_the_database_storage_counts_moving_and_fixed_windows_and_forgets_what_expired(app: Flask) -> None:
    storage = DatabaseStorage("territorydb://")
    moving, fixed = MovingWindowRateLimiter(storage), FixedWindowRateLimiter(storage)
    three = parse("3 per minute")
    for strategy, who in ((moving, "moving"), (fixed, "fixed")):
        assert [strategy.hit(three, who) for _ in range(4)] == [True, True, True, False]
        stats = strategy.get_window_stats(three, who)
        assert stats.remaining == 0 and 0 < stats.reset_time - time.time() <= 60
        assert not strategy.test(three, who)
    # A past window's hits (as they are a minute later) no longer count.
    with db.transaction() as session:
        session.add(RateLimitHit(key=three.key_for("earlier"), expires_at=time.time() - 1, hits=3))
    assert moving.test(three, "earlier") and moving.hit(three, "earlier")
    moving.clear(three, "moving")
    assert moving.hit(three, "moving")
    storage.reset()
    assert fixed.get_window_stats(three, "fixed").remaining == 3
    assert db.session.scalar(select(func.count()).select_from(RateLimitHit)) == 0
