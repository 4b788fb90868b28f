"""Standard Webhooks signatures (https://www.standardwebhooks.com/): HMAC-SHA256 of
``{webhook-id}.{webhook-timestamp}.{body}`` with the secret's bytes (base64 after ``whsec_``),
sent as ``v1,<base64>``; several signatures are separated by spaces (a secret being rotated)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24
MESSAGE_PREFIX = "msg_"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def new_message_id() -> str:
    return MESSAGE_PREFIX + secrets.token_urlsafe(18)


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def headers(secrets_in_use: list[str], message_id: str, sent_at: datetime, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers (and the body's type) for one attempt."""
    timestamp = int(sent_at.timestamp())
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(secret, message_id, timestamp, body) for secret in secrets_in_use),
        "Content-Type": "application/json",
    }
