"""Password hashing (argon2id) and the password policy: 8 to 64 characters, not one of the
20,000 most common passwords (shipped list, see data/README.md), not the e-mail's local part."""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _

MIN_LENGTH = 8
MAX_LENGTH = 64
COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common-passwords.txt.gz"


@lru_cache
def _hasher(profile: str) -> PasswordHasher:
    """argon2id with the parameters of ``argon2.profiles.<profile>`` (``PASSWORD_HASH_PROFILE``).
    A hash records the parameters it was made with: any hash verifies, whatever the profile."""
    return PasswordHasher.from_parameters(getattr(profiles, profile))


@lru_cache
def _dummy_hash(profile: str) -> str:
    """A real hash to verify against when the e-mail is unknown, so that a wrong e-mail takes as
    long as a wrong password and the timing tells nothing about who has an account."""
    return _hasher(profile).hash("not a real password, only for timing")


def _profile() -> str:
    return current_app.config["PASSWORD_HASH_PROFILE"]


def hash_password(password: str) -> str:
    return _hasher(_profile()).hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    profile = _profile()
    try:
        verified = _hasher(profile).verify(password_hash or _dummy_hash(profile), password)
        return verified and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher(_profile()).check_needs_rehash(password_hash)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def password_problems(password: str, email: str = "") -> list[str]:
    """What is wrong with a new password, as messages to show next to the field (empty: fine)."""
    if len(password) < MIN_LENGTH:
        return [_("Use at least %(min)d characters.", min=MIN_LENGTH)]
    if len(password) > MAX_LENGTH:
        return [_("Use at most %(max)d characters.", max=MAX_LENGTH)]
    lowered = password.lower()
    if lowered.strip() in common_passwords():
        return [_("This password is too common: it is among the first ones attackers try.")]
    local_part = email.strip().lower().split("@", 1)[0]
    if local_part and (lowered == local_part or (len(local_part) >= 3 and local_part in lowered)):
        return [_("Your password must not contain your e-mail address.")]
    return []
