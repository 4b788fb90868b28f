"""The access log names a route by its rule: the tokens of links (in paths and query strings)
never reach the logs, whichever route they are sent to."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

from app.access_log import ACCESS_LOGGER
from app.accounts import services as accounts
from app.actors.services import invite
from app.delivery.tokens import delivery_token, unsubscribe_token
from tests.factories import (
    login_as,
    make_actor,
    make_campaign,
    make_delivery,
    make_kiosk,
    make_member,
    make_run,
    make_territory,
    make_user,
)

ROOT = Path(__file__).resolve().parents[2]
# A secret in a query string (a token a link might carry after "?"), never to be logged either.
QUERY_SECRET = "q-secret-5b1e9c"


def _log_lines(records: list[logging.LogRecord]) -> list[str]:
    """Each record as an operator's log holds it: the message and its structured extras."""
    plain = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
    return [
        f"{r.name} {r.getMessage()} "
        + " ".join(f"{k}={v!r}" for k, v in vars(r).items() if k not in plain)
        for r in records
    ]


def _tokenised_requests() -> list[tuple[str, str, str, str]]:
    """(method, rule, path, token) of a real link for each route whose path holds a token."""
    town = make_territory()
    person = make_user(town, email="lea@example.org")
    office = make_actor(town, "Tourist office", kind="tourism_office")
    owner = make_user(town, email="owner@example.org")
    make_member(owner, office, "owner")
    delivery = make_delivery(make_run(make_campaign(office)), person, channel="email")
    _kiosk, kiosk = make_kiosk(office)
    _invitation, invitation = invite(office, owner, "friend@example.org")
    message = delivery_token(delivery.id)
    unsubscribe = unsubscribe_token(person.id, "email")
    verify = accounts.issue_token(person, accounts.VERIFY_EMAIL)
    reset = accounts.issue_token(person, accounts.RESET_PASSWORD)
    return [
        ("GET", "/verify/<token>", f"/verify/{verify}", verify),
        ("GET", "/password/reset/<token>", f"/password/reset/{reset}", reset),
        ("POST", "/n/open/<token>", f"/n/open/{message}", message),
        ("GET", "/r/<token>", f"/r/{message}", message),
        ("GET", "/n/mute/<token>", f"/n/mute/{message}", message),
        ("GET", "/unsubscribe/<token>", f"/unsubscribe/{unsubscribe}", unsubscribe),
        ("POST", "/unsubscribe/<token>", f"/unsubscribe/{unsubscribe}", unsubscribe),
        ("GET", "/kiosk/<token>", f"/kiosk/{kiosk}", kiosk),
        ("GET", "/kiosk/<token>/items", f"/kiosk/{kiosk}/items", kiosk),
        ("GET", "/invitations/<token>", f"/invitations/{invitation}", invitation),
    ]


def test_tokenised_routes_are_logged_by_their_rule_never_their_token(app, client, caplog):
    caplog.set_level(logging.DEBUG)
    requests = _tokenised_requests()

    for method, rule, path, token in requests:
        caplog.clear()
        response = client.open(f"{path}?token={QUERY_SECRET}", method=method)

        # A real link: the route's own handler answers (not a 404, nor an error).
        assert response.status_code in {200, 204, 303}, (rule, response.status_code)
        access = [r.getMessage() for r in caplog.records if r.name == ACCESS_LOGGER]
        assert len(access) == 1 and access[0].startswith(f'"{method} {rule}" {response.status_code} ')
        lines = _log_lines(caplog.records)
        assert not [line for line in lines if token in line], rule
        assert not [line for line in lines if QUERY_SECRET in line], rule


def test_the_access_log_names_no_path_nobody_routes_and_the_static_files(app, client, caplog):
    make_territory()
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)

    client.get("/verify/tok-9c2f/extra?token=" + QUERY_SECRET)  # no such route
    client.get("/static/css/app.css").close()  # served by WhiteNoise, before Flask

    access = [r.getMessage() for r in caplog.records if r.name == ACCESS_LOGGER]
    assert access[0].startswith('"GET -" 404 ')
    assert access[1].startswith('"GET /static/css/app.css" 200 ')
    assert not [line for line in access if "tok-9c2f" in line or QUERY_SECRET in line]


def test_a_logged_in_persons_pages_are_logged_by_rule_too(app, client, caplog):
    person = make_user(make_territory())
    login_as(client, person)
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)

    client.get("/me/privacy")

    assert any(r.getMessage().startswith('"GET /me/privacy" 200 ') for r in caplog.records)


def test_an_error_on_a_tokenised_route_is_logged_by_its_rule(app, client, caplog, monkeypatch):
    person = make_user(make_territory())
    token = accounts.issue_token(person, accounts.VERIFY_EMAIL)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: logged, then a 500 page

    def broken(*_args: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(accounts, "verify_email", broken)
    caplog.set_level(logging.INFO)

    assert client.get(f"/verify/{token}").status_code == 500

    lines = _log_lines(caplog.records)
    assert any("Exception on /verify/<token> [GET]" in line for line in lines)
    assert any(line.startswith(f'{ACCESS_LOGGER} "GET /verify/<token>" 500 ') for line in lines)
    assert not [line for line in lines if token in line]


def test_make_run_leaves_gunicorns_raw_path_access_log_off():
    """gunicorn's access log writes the raw path (``%(U)s``, ``%(r)s``): make run does not turn
    it on, the app's own log (above) stands instead."""
    commands = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout
    [gunicorn] = [line for line in commands.splitlines() if "gunicorn" in line]
    assert "app:create_app()" in gunicorn
    assert "--access-log" not in gunicorn and "--log-config" not in gunicorn
