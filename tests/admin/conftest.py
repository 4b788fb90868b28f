"""Helpers for the administration tests: a territory with its admin."""

from __future__ import annotations

import pytest

from tests.factories import make_territory, make_user
from tests.support.csrf import csrf_token


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
    client.csrf = csrf_token(client, "/admin")  # type: ignore[attr-defined]
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
