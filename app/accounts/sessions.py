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

from app import changes
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
# a query of its own for the many who are not; app.inbox: the unread count of every page's
# header): name -> (an SQL expression on AuthSession, how to convert its value, the group of
# app.changes whose writes make it stale, if any).
_session_flags: dict[str, tuple[Callable[[], Any], Callable[[Any], Any], str | None]] = {}
_VERSIONS = "_session_versions"


def session_flag(
    name: str, convert: Callable[[Any], Any] = bool, watch: str | None = None
) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    """Register a flag: ``load_user`` sets ``user.__dict__[name]`` from the expression (its
    value through ``convert``). With ``watch``, ``session_value`` gives it only while no write
    to that group of tables (app.changes) happened since it was read."""

    def register(expression: Callable[[], Any]) -> Callable[[], Any]:
        _session_flags[name] = (expression, convert, watch)
        _session_query.cache_clear()
        return expression

    return register


def session_value(user: Any, name: str) -> Any:
    """The flag ``name`` as read with the session, or None when it was not read or is stale
    (its watched tables were written since, in this process or another of the instance)."""
    if name not in user.__dict__:
        return None
    watch = _session_flags[name][2]
    if watch is not None:
        read_at = user.__dict__.get(_VERSIONS, {}).get(watch)
        if read_at is None or read_at != changes.version(watch, db.engine):
            return None
    return user.__dict__[name]


@lru_cache(maxsize=1)
def _session_query() -> Any:
    """One query for the session, its user and the registered flags; built once."""
    return (
        select(AuthSession, User, *(flag[0]() for flag in _session_flags.values()))
        .join(User, User.id == AuthSession.user_id)
        .where(AuthSession.token_hash == bindparam("token_hash"))
    )


def load_user(token: str) -> User | None:
    territory = getattr(g, "territory", None)
    if territory is None or not token:
        return None
    # Read before the query (app.changes): a write meanwhile makes the watched flags stale.
    versions = {flag[2]: changes.version(flag[2], db.engine) for flag in _session_flags.values() if flag[2]}
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
    for (name, (_expression, convert, _watch)), value in zip(_session_flags.items(), flags, strict=True):
        user.__dict__[name] = convert(value)
    user.__dict__[_VERSIONS] = versions
    g.auth_session = auth
    return user
