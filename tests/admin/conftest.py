"""Helpers for the administration tests: a territory with its admin, and CSRF tokens."""

from __future__ import annotations

import re

import pytest

from tests.factories import make_territory, make_user


def csrf_from(client, path: str = "/admin", base_url: str = "http://localhost") -> str:
    """The CSRF token of the current session, read from a page's form or meta tag."""
    html = client.get(path, base_url=base_url).get_data(as_text=True)
    match = re.search(r'name="csrf[-_]token" (?:value|content)="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


@pytest.fixture
def territory(app):
    return make_territory("laciotat", "La Ciotat", hosts=("localhost",))


@pytest.fixture
def admin(territory):
    return make_user(territory, email="admin@laciotat.example", is_admin=True)


@pytest.fixture
def admin_client(client, admin):
    from tests.factories import login_as

    login_as(client, admin)
    client.csrf = csrf_from(client)  # type: ignore[attr-defined]
    return client


def login_on(client, user, base_url: str) -> None:
    """Like tests.factories.login_as, for a territory reached on another host name (cookies
    are per host, as in a browser)."""
    import hashlib
    import secrets

    from app.accounts.models import AuthSession
    from app.extensions import db

    token = secrets.token_urlsafe(32)
    db.session.add(AuthSession(token_hash=hashlib.sha256(token.encode()).hexdigest(),
                               user_id=user.id, territory_id=user.territory_id))
    db.session.commit()
    with client.session_transaction(base_url=base_url) as session:
        session["_user_id"] = token
        session["_fresh"] = True
