"""Signed tokens carried by messages, so that a link in an e-mail or a push acts without a log-in
and without revealing anything: opening, clicking, muting the actor, unsubscribing a channel."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

_DELIVERY_SALT = "delivery-token"
_UNSUBSCRIBE_SALT = "unsubscribe-token"


def _serializer(salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=salt)


def delivery_token(delivery_id: int) -> str:
    """Names one delivery (a push, an e-mail, an SMS): its open, click and mute links use it."""
    return str(_serializer(_DELIVERY_SALT).dumps(delivery_id))


def read_delivery_token(token: str) -> int | None:
    try:
        value = _serializer(_DELIVERY_SALT).loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, int) else None


def unsubscribe_token(user_id: int, channel: str) -> str:
    """One-click unsubscribe from a channel (the e-mail's link and List-Unsubscribe header)."""
    return str(_serializer(_UNSUBSCRIBE_SALT).dumps([user_id, channel]))


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    try:
        value = _serializer(_UNSUBSCRIBE_SALT).loads(token)
    except BadSignature:
        return None
    if (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], int)
        and isinstance(value[1], str)
    ):
        return value[0], value[1]
    return None
