"""Helpers for the accounts tests: posting forms, reading mails."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from tests.factories import make_territory
from tests.support.csrf import csrf_token


def post_form(
    client: FlaskClient,
    path: str,
    data: dict | None = None,
    base_url: str = "http://localhost",
    **kwargs,
):  # type: ignore[no-untyped-def]
    data = dict(data or {})
    # The log-in page, or where it sends people already logged in.
    data.setdefault("csrf_token", csrf_token(client, "/login", base_url=base_url, follow_redirects=True))
    return client.post(path, data=data, base_url=base_url, **kwargs)


def log_in(
    client: FlaskClient, email: str, password: str, base_url: str = "http://localhost", **kwargs
):  # type: ignore[no-untyped-def]
    return post_form(
        client, "/login", {"email": email, "password": password}, base_url=base_url, **kwargs
    )


def link_in(message, path_prefix: str) -> str:  # type: ignore[no-untyped-def]
    """The absolute link of a sent e-mail that starts with ``path_prefix`` (after the host)."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"(https?://[^\s/]+)(" + re.escape(path_prefix) + r"\S+)", text)
    assert match, text
    return match.group(1) + match.group(2)


def is_logged_in(client: FlaskClient, base_url: str = "http://localhost") -> bool:
    return client.get("/me", base_url=base_url).status_code == 200


@pytest.fixture
def territory(app):  # type: ignore[no-untyped-def]
    return make_territory()
