"""Secrets kept in the database sealed (Fernet: AES-128-CBC + HMAC-SHA256) with a key derived
from the app's ``SECRET_KEY`` and a purpose, so that a copy of the database alone reveals none
of them. Every web process and worker shares ``SECRET_KEY`` already (sessions need it)."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet
from flask import current_app


@lru_cache(maxsize=16)
def _fernet(secret_key: str, purpose: str) -> Fernet:
    digest = hashlib.sha256(f"territory-seal:{purpose}:{secret_key}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(value: str, purpose: str) -> str:
    return _fernet(current_app.config["SECRET_KEY"], purpose).encrypt(value.encode()).decode()


def unseal(token: str, purpose: str) -> str:
    return _fernet(current_app.config["SECRET_KEY"], purpose).decrypt(token.encode()).decode()
