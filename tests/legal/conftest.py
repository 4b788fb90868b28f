"""A territory with its admin, for the legal pages' tests."""

from __future__ import annotations

import pytest

from tests.factories import login_as, make_territory, make_user
from tests.support.csrf import csrf_token


@pytest.fixture
def territory(app):
    return make_territory("laciotat", "La Ciotat", hosts=("localhost",))


@pytest.fixture
def admin(territory):
    return make_user(territory, email="admin@laciotat.example", is_admin=True)


@pytest.fixture
def admin_client(client, admin):
    login_as(client, admin)
    client.csrf = csrf_token(client, "/admin/legal")  # type: ignore[attr-defined]
    return client
