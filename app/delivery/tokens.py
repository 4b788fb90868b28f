"""Tokens carried by messages, so that a link in an e-mail or a push acts without a log-in:
opening, clicking, muting the actor (signed, naming a delivery), unsubscribing a channel
(sealed, naming a person: nothing in it can be read, and it expires and can be revoked)."""

from __future__ import annotations

import hmac
import json
from datetime import datetime, timedelta
from functools import lru_cache

from cryptography.fernet import InvalidToken
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from itsdangerous.encoding import base64_encode, want_bytes
from sqlalchemy import select

from app.accounts.sealing import seal, unseal
from app.extensions import db
from app.models_common import utcnow
from app.notifications.models import NotificationSettings

_DELIVERY_SALT = "delivery-token"
_UNSUBSCRIBE_SEAL = "unsubscribe-link"
UNSUBSCRIBE_LINK_LIFETIME = timedelta(days=90)


class _DeliverySigner:
    """``URLSafeSerializer(secret, salt).dumps(delivery_id)``, made for a campaign's many
    deliveries: the signer's key is derived once, not at every token; only the HMAC of the
    delivery's number is computed per token (one ``hmac.digest`` call). ``read_delivery_token``
    reads them with itsdangerous itself (a test checks both agree)."""

    def __init__(self, secret_key: str | bytes) -> None:
        self.serializer = URLSafeSerializer(secret_key, salt=_DELIVERY_SALT)
        signer = self.serializer.make_signer()
        self._key = signer.derive_key()
        self._digest = signer.algorithm.digest_method  # type: ignore[attr-defined]  # HMAC's hash
        self._separator = want_bytes(signer.sep)

    def token(self, delivery_id: int) -> str:
        # The serializer's payload for an int: its compact JSON (its digits), base64url; short
        # enough that itsdangerous never compresses it.
        payload = base64_encode(str(int(delivery_id)).encode())
        signature = base64_encode(hmac.digest(self._key, payload, self._digest))
        return (payload + self._separator + signature).decode()


@lru_cache(maxsize=4)
def _delivery_signer(secret_key: str | bytes) -> _DeliverySigner:
    return _DeliverySigner(secret_key)


def delivery_token(delivery_id: int) -> str:
    """Names one delivery (a push, an e-mail, an SMS): its open, click and mute links use it."""
    return _delivery_signer(current_app.config["SECRET_KEY"]).token(delivery_id)


def read_delivery_token(token: str) -> int | None:
    try:
        value = _delivery_signer(current_app.config["SECRET_KEY"]).serializer.loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, int) else None


def _microseconds(moment: datetime) -> int:
    return round(moment.timestamp() * 1_000_000)


def unsubscribe_token(user_id: int, channel: str, now: datetime | None = None) -> str:
    """An unsubscribe link's token (the e-mail's link and its List-Unsubscribe header), made
    afresh for each e-mail: sealed, so that it shows nobody who it is for (an old-style signed
    token showed the person's number), and dated, so that it stops working after
    ``UNSUBSCRIBE_LINK_LIFETIME`` or once the person's links are revoked (see
    ``read_unsubscribe_token``)."""
    issued = _microseconds(now or utcnow())
    return seal(json.dumps([user_id, channel, issued], separators=(",", ":")), _UNSUBSCRIBE_SEAL).rstrip("=")


def read_unsubscribe_token(token: str, now: datetime | None = None) -> tuple[int, str] | None:
    """(person, channel) of an unsubscribe token still valid; None for anything else: not ours
    (an old-style signed one included), older than ``UNSUBSCRIBE_LINK_LIFETIME``, or made
    before the person's links were revoked (they subscribed again, changed their e-mail address
    or password; a deleted account has no settings and no user left)."""
    try:
        value = json.loads(unseal(token + "=" * (-len(token) % 4), _UNSUBSCRIBE_SEAL))
    except (InvalidToken, ValueError, TypeError):
        return None
    if not (
        isinstance(value, list)
        and len(value) == 3
        and all(isinstance(part, kind) for part, kind in zip(value, (int, str, int), strict=True))
    ):
        return None
    user_id, channel, issued = value
    now = now or utcnow()
    if issued <= _microseconds(now - UNSUBSCRIBE_LINK_LIFETIME):
        return None
    revoked = db.session.scalar(
        select(NotificationSettings.unsubscribe_links_revoked_at).where(NotificationSettings.user_id == user_id)
    )
    if revoked is not None and issued <= _microseconds(revoked):
        return None
    return user_id, channel
