"""Helpers for the notifications tests: a territory, a logged-in citizen, posting forms, real
P-256 push keys and a push-service host allowed for the test."""

from __future__ import annotations

import base64
import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask.testing import FlaskClient

from app import sms as sms_module
from tests.factories import login_as, make_territory, make_user
from tests.support.csrf import csrf_token

PUSH_HOST = "push.test.local"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def p256dh_key() -> str:
    """A real browser-like public key: an uncompressed P-256 point."""
    public = ec.generate_private_key(ec.SECP256R1()).public_key()
    return b64url(
        public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )


def subscription(endpoint: str | None = None, **keys: str) -> dict:
    return {
        "endpoint": endpoint or f"https://{PUSH_HOST}/push/{b64url(os.urandom(16))}",
        "expirationTime": None,
        "keys": {"p256dh": keys.get("p256dh", p256dh_key()), "auth": keys.get("auth", b64url(os.urandom(16)))},
    }


def post_form(client: FlaskClient, path: str, data: dict | None = None, **kwargs):  # type: ignore[no-untyped-def]
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client, "/me/notifications"))
    return client.post(path, data=data, **kwargs)


@pytest.fixture
def territory(app):  # type: ignore[no-untyped-def]
    app.config["PUSH_ALLOWED_HOSTS"] = (*app.config["PUSH_ALLOWED_HOSTS"], PUSH_HOST)
    app.config["SMS_BACKEND"] = "memory"
    sms_module.sms_outbox.clear()
    return make_territory()


@pytest.fixture
def citizen(territory):  # type: ignore[no-untyped-def]
    return make_user(territory, "lea@example.org", display_name="Léa")


@pytest.fixture
def logged_in(client, citizen):  # type: ignore[no-untyped-def]
    login_as(client, citizen)
    return client


@pytest.fixture
def sms_outbox() -> list:  # type: ignore[type-arg]
    return sms_module.sms_outbox
