"""The secret that lets a person, and only them, find their own answer again.

The browser holds a random **ballot key** (a cookie, HttpOnly, kept 400 days) that the server
never stores. For each poll the server derives from it, for the person logged in, a secret
``S = HMAC(ballot key, poll and person)``; the person's sealed copy of their answer is filed under
``SHA-256("sheet" + S)`` and sealed with AES-GCM under a key derived from S. Without the browser's
key, the sheets are random bytes under random names: nothing in the database leads from a person
to their answer. Another browser (or a cleared cookie) cannot change an earlier answer: the page
says so, and the person still cannot answer twice."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app, g, request
from werkzeug.wrappers import Response

COOKIE = "territory_ballot"
MAX_AGE = 400 * 24 * 3600
_KEY = re.compile(r"[A-Za-z0-9_-]{43}")


def browser_key(create: bool = False) -> bytes | None:
    """The ballot key this browser sent; with ``create``, a new one (set on the response by
    ``set_cookie``) when it sent none."""
    text = request.cookies.get(COOKIE, "")
    if _KEY.fullmatch(text):
        return base64.urlsafe_b64decode(text + "=")
    if not create:
        return None
    new = getattr(g, "new_ballot_key", None)
    if new is None:
        new = g.new_ballot_key = os.urandom(32)
    return new


def set_cookie(response: Response) -> Response:
    """Give the browser the ballot key made during this request, if one was."""
    new = getattr(g, "new_ballot_key", None)
    if new is not None:
        response.set_cookie(
            COOKIE, base64.urlsafe_b64encode(new).decode().rstrip("="), max_age=MAX_AGE, httponly=True,
            samesite="Lax", secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")), path="/",
        )
    return response


def poll_secret(key: bytes, publication_id: int, user_id: int) -> bytes:
    return hmac.new(key, f"poll:{publication_id}:{user_id}".encode(), hashlib.sha256).digest()


def sheet_name(secret: bytes) -> str:
    return hashlib.sha256(b"sheet" + secret).hexdigest()


def _sealing_key(secret: bytes) -> bytes:
    return hashlib.sha256(b"seal" + secret).digest()


def seal(secret: bytes, publication_id: int, data: dict[str, Any]) -> bytes:
    nonce = os.urandom(12)
    plain = json.dumps(data, separators=(",", ":")).encode()
    return nonce + AESGCM(_sealing_key(secret)).encrypt(nonce, plain, str(publication_id).encode())


def unseal(secret: bytes, publication_id: int, blob: bytes) -> dict[str, Any]:
    plain = AESGCM(_sealing_key(secret)).decrypt(blob[:12], blob[12:], str(publication_id).encode())
    data: dict[str, Any] = json.loads(plain)
    return data
