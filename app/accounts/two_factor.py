"""Two-factor log-in with a time-based code (TOTP, RFC 6238) and single-use recovery codes.

Town administrators may turn it on; platform administrators must. A code is accepted once: the
last accepted time step is kept, and only a later step passes, so a code seen over a shoulder or
replayed from a recording does not log anyone in, even within its 30 seconds."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import datetime

import pyotp
import segno
from sqlalchemy import delete, func, or_, select, update

from app.accounts.models import RecoveryCode, User
from app.extensions import db
from app.models_common import utcnow

STEP_SECONDS = 30
# Codes of the step before and after are accepted too: phones' clocks drift a little.
VALID_WINDOW = 1
RECOVERY_CODE_COUNT = 10
TOTP = "totp"
RECOVERY = "recovery"


class TwoFactorRequired(Exception):
    """A platform administrator cannot turn two-factor log-in off."""


def may_enrol(user: User) -> bool:
    return bool(user.is_admin or user.is_platform_admin)


def must_enrol(user: User) -> bool:
    """A platform administrator without a second factor may reach nothing but the enrolment."""
    return bool(user.is_platform_admin and not user.two_factor_enabled)


# --- enrolment ----------------------------------------------------------------------------


def start_enrolment(user: User) -> str:
    """The secret to show while enrolling: kept (not yet enabled) until a code confirms it, so
    that reloading the page shows the same one."""
    if not user.totp_secret:
        user.totp_secret = pyotp.random_base32()
        user.totp_last_step = None
        db.session.commit()
    return user.totp_secret


def provisioning_uri(user: User, issuer: str) -> str:
    assert user.totp_secret
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=issuer)


def qr_code_data_uri(uri: str) -> str:
    """The QR code as an SVG ``data:`` URI, for an ``<img>`` (no script, allowed by the CSP)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2, light="#fff")  # type: ignore[no-any-return]


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def enable(user: User, code: str, at: datetime | None = None) -> list[str] | None:
    """Turn two-factor log-in on if ``code`` matches the enrolment's secret; the recovery codes
    to show (once), or None."""
    if user.two_factor_enabled or not user.totp_secret:
        return None
    if not accept_code(user, code, at):
        return None
    user.totp_enabled_at = utcnow()
    db.session.commit()
    return new_recovery_codes(user)


def disable(user: User) -> None:
    if user.is_platform_admin:
        raise TwoFactorRequired
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.commit()


# --- codes -------------------------------------------------------------------------------


def _time_step(at: datetime) -> int:
    return int(at.timestamp()) // STEP_SECONDS


def accept_code(user: User, code: str, at: datetime | None = None) -> bool:
    """Whether ``code`` is the user's current code, not used before; using it spends its step
    (and every earlier one)."""
    code = re.sub(r"\s", "", code or "")
    if not user.totp_secret or not re.fullmatch(r"\d{6}", code):
        return False
    totp = pyotp.TOTP(user.totp_secret)
    current = _time_step(at or utcnow())
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if user.totp_last_step is not None and step <= user.totp_last_step:
            continue
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return _spend_step(user, step)
    return False


def _spend_step(user: User, step: int) -> bool:
    """Record ``step`` as used, unless a request at the same time already used it (or a later)."""
    spent = db.session.execute(
        update(User)
        .where(
            User.id == user.id,
            or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        return False
    user.totp_last_step = step
    return True


def _normalise_recovery_code(code: str) -> str:
    return re.sub(r"[^a-z0-9]", "", (code or "").lower())


def _hash_recovery_code(code: str) -> str:
    return hashlib.sha256(_normalise_recovery_code(code).encode()).hexdigest()


def new_recovery_codes(user: User) -> list[str]:
    """Ten fresh codes (80 random bits each) replacing the old ones; only their hashes are kept."""
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()
        codes.append("-".join(raw[i : i + 4] for i in range(0, len(raw), 4)))
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.add_all(
        RecoveryCode(user_id=user.id, code_hash=_hash_recovery_code(code)) for code in codes
    )
    db.session.commit()
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    if len(_normalise_recovery_code(code)) != 16:
        return False
    # Conditional update: the same code used twice at once succeeds once.
    used = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash_recovery_code(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return used.rowcount == 1  # type: ignore[attr-defined]


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ) or 0


def check_second_factor(user: User, code: str, at: datetime | None = None) -> str | None:
    """What the person typed, if it is valid: a code of their app (``TOTP``) or one of their
    recovery codes (``RECOVERY``, now spent); None otherwise."""
    if not user.two_factor_enabled:
        return None
    if accept_code(user, code, at):
        return TOTP
    if use_recovery_code(user, code):
        return RECOVERY
    return None
