"""Server-side sessions: the cookie carries a random token whose hash names an AuthSession row.

Revoking the row (log-out, password change) makes any copy of the cookie worthless, and a row
belongs to one territory, so a cookie carried to another territory's host logs nobody in."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from flask import current_app, g
from flask_login import login_user, logout_user
from sqlalchemy import bindparam, select, update

from app.accounts.models import AuthSession, User
from app.extensions import db
from app.models_common import utcnow
from app.territories.scoping import same_territory

TOUCH_EVERY = timedelta(minutes=5)


def session_timeouts(user: User) -> tuple[timedelta, timedelta]:
    """How long a session of ``user`` lasts without a request, and at most: shorter for the
    town's administrators, whose account can do more harm (``SESSION_*`` settings)."""
    config = current_app.config
    if user.is_admin or user.is_platform_admin:
        return (
            timedelta(minutes=config["ADMIN_SESSION_IDLE_MINUTES"]),
            timedelta(days=config["ADMIN_SESSION_ABSOLUTE_DAYS"]),
        )
    return (
        timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
        timedelta(days=config["SESSION_ABSOLUTE_DAYS"]),
    )


def is_expired(auth: AuthSession, user: User, now: datetime) -> bool:
    idle, absolute = session_timeouts(user)
    return now - auth.last_seen_at > idle or now - auth.created_at > absolute


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User) -> AuthSession:
    token = secrets.token_urlsafe(32)
    auth = AuthSession(token_hash=hash_token(token), user_id=user.id, territory_id=user.territory_id)
    # Logging in is activity, and withdraws an inactivity warning (app.privacy.retention).
    user.last_seen_at = utcnow()
    user.inactivity_warned_at = None
    db.session.add(auth)
    db.session.commit()
    user.session_token = token
    login_user(user)
    g.auth_session = auth
    return auth


def end_session() -> None:
    auth = getattr(g, "auth_session", None)
    if auth is not None:
        auth.revoked_at = utcnow()
        db.session.commit()
    logout_user()


def revoke_all_sessions(user: User, keep: AuthSession | None = None) -> None:
    query = update(AuthSession).where(
        AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None)
    )
    if keep is not None:
        query = query.where(AuthSession.id != keep.id)
    db.session.execute(query.values(revoked_at=utcnow()))
    db.session.commit()


def active_sessions(user: User, now: datetime | None = None) -> list[AuthSession]:
    """The person's sessions that still log in (not revoked, not expired), latest used first."""
    now = now or utcnow()
    rows = db.session.scalars(
        select(AuthSession)
        .where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
        .order_by(AuthSession.last_seen_at.desc(), AuthSession.id.desc())
    )
    return [auth for auth in rows if not is_expired(auth, user, now)]


# Facts about the person read in the session's one query, named by the domains above that need
# them (app.actors.roles: whether they are a member of any actor, which spares the role switcher
# a query of its own for the many who are not): name -> a boolean SQL expression on AuthSession.
_session_flags: dict[str, Callable[[], Any]] = {}


def session_flag(name: str) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    """Register a flag: ``load_user`` sets ``user.__dict__[name]`` from the expression."""

    def register(expression: Callable[[], Any]) -> Callable[[], Any]:
        _session_flags[name] = expression
        _session_query.cache_clear()
        return expression

    return register


@lru_cache(maxsize=1)
def _session_query() -> Any:
    """One query for the session, its user and the registered flags; built once."""
    return (
        select(AuthSession, User, *(expression() for expression in _session_flags.values()))
        .join(User, User.id == AuthSession.user_id)
        .where(AuthSession.token_hash == bindparam("token_hash"))
    )


def load_user(token: str) -> User | None:
    territory = getattr(g, "territory", None)
    if territory is None or not token:
        return None
    row = db.session.execute(_session_query(), {"token_hash": hash_token(token)}).first()
    auth, user, *flags = row if row is not None else (None, None)
    now = utcnow()
    if (
        auth is None
        or user is None
        or auth.revoked_at is not None
        or not same_territory(auth, territory)
        or is_expired(auth, user, now)
    ):
        return None
    if not same_territory(user, territory):
        return None
    if now - auth.last_seen_at > TOUCH_EVERY:
        auth.last_seen_at = now
        user.last_seen_at = now
        user.inactivity_warned_at = None
        db.session.commit()
    user.session_token = token
    for name, value in zip(_session_flags, flags, strict=True):
        user.__dict__[name] = bool(value)
    g.auth_session = auth
    return user
