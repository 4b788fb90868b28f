"""Server-side sessions: the cookie carries a random token whose hash names an AuthSession row.

Revoking the row (log-out, password change) makes any copy of the cookie worthless, and a row
belongs to one territory, so a cookie carried to another territory's host logs nobody in."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, TypeVar

from flask import current_app, g
from flask_login import login_user, logout_user
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm.attributes import set_committed_value

from app import changes
from app.accounts.models import AuthSession, User
from app.extensions import db
from app.models_common import Kept, attach, detached_copy, staggered_minute, utcnow
from app.territories.scoping import same_territory

TOUCH_EVERY = timedelta(minutes=5)
T = TypeVar("T")


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
    auth = AuthSession(
        token_hash=hash_token(token), user_id=user.id, territory_id=user.territory_id
    )
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
    (its watched tables were written since, in this process or another of the instance; for a
    personal group such as the inbox, rows of this person, app.changes.unchanged_for)."""
    if name not in user.__dict__:
        return None
    watch = _session_flags[name][2]
    if watch is not None:
        engine = db.engine
        read_at = user.__dict__.get(_VERSIONS, {})
        now = _versions_of(watch, engine)
        if any(read_at.get(group) != version for group, version in now.items()):
            # Written since: by somebody else only (a campaign writing other inboxes), it still
            # holds, at the versions of now, for this request and the person's next ones.
            if not changes.unchanged_for(user.id, watch, engine, read_at):
                return None
            _read_at(user, now)
    return user.__dict__[name]


def _versions_of(group: str, engine: Any) -> dict[str, Any]:
    """The versions a value read from ``group`` is kept at: the group's, and for a personal
    group (app.changes.PERSONAL) its everybody counter's too. Read before the value."""
    if group in changes.PERSONAL:
        everyone = changes.everybody(group)
        return {group: changes.version(group, engine), everyone: changes.version(everyone, engine)}
    return {group: changes.version(group, engine)}


def _read_at(user: Any, versions: dict[str, Any], name: str | None = None, value: Any = None) -> None:
    """Note in the request's person, and in their kept session for their next requests, that
    their flags were read at ``versions`` (the flag ``name``, read again, now ``value``)."""
    user.__dict__[_VERSIONS] = {**user.__dict__.get(_VERSIONS, {}), **versions}
    if name is not None:
        user.__dict__[name] = value
    key = g.get("kept_session_key")
    if key is None:
        return
    with _kept_lock:
        entry = _kept.get(key)
        if entry is not None and entry[3].id == user.id:
            flags = entry[4]
            if name is not None:
                index = list(_session_flags).index(name)
                flags = (*flags[:index], value, *flags[index + 1 :])
            _kept[key] = (entry[0], {**entry[1], **versions}, entry[2], entry[3], flags)


@lru_cache(maxsize=1)
def _session_query() -> Any:
    """One query for the session, its user and the registered flags; built once."""
    return (
        select(AuthSession, User, *(flag[0]() for flag in _session_flags.values()))
        .join(User, User.id == AuthSession.user_id)
        .where(AuthSession.token_hash == bindparam("token_hash"))
    )


# A person's session as read, kept per process for their next requests (a page, its fragments, the
# badge polled every minute), so that most requests read no row to know who asks. An entry holds
# while nothing it was read from changed (app.changes: the "accounts" group -- sessions, accounts,
# memberships, consents), in any process, and at most KEEP_SECONDS; a revoked session is refused at
# the next request. A flag whose watched group changed is read again alone (fresh_session_value).
# Only where keeps_per_person(): SQLite, or PostgreSQL sharing its changes through Redis.
KEEP_SECONDS = 120.0
KEEP_SESSIONS = 4096
_kept: OrderedDict[
    tuple[Any, ...], tuple[float, dict[str, Any], AuthSession, User, tuple[Any, ...]]
] = OrderedDict()
_kept_lock = threading.Lock()


def forget_kept_sessions() -> None:
    """Empty this process's kept sessions (writes to their tables do it by themselves)."""
    with _kept_lock:
        _kept.clear()


def _kept_session(
    key: tuple[Any, ...], accounts: Any
) -> tuple[AuthSession, User, tuple[Any, ...], dict[str, Any]] | None:
    """The kept session of ``key`` while the "accounts" group is at ``accounts``: with its flags
    and the versions they were read at (a flag whose group changed since is read again by itself,
    ``fresh_session_value``: a campaign writing inboxes leaves the sessions kept)."""
    with _kept_lock:
        entry = _kept.get(key)
        if entry is None:
            return None
        if entry[0] < time.monotonic() or entry[1]["accounts"] != accounts:
            del _kept[key]
            return None
        _kept.move_to_end(key)
    session = db.session()
    return attach(session, entry[2]), attach(session, entry[3]), entry[4], entry[1]


def _keep(
    key: tuple[Any, ...],
    versions: dict[str, Any],
    auth: AuthSession,
    user: User,
    flags: tuple[Any, ...],
) -> None:
    entry = (
        time.monotonic() + KEEP_SECONDS,
        versions,
        detached_copy(auth),
        detached_copy(user),
        flags,
    )
    with _kept_lock:
        _kept[key] = entry
        _kept.move_to_end(key)
        while len(_kept) > KEEP_SESSIONS:
            _kept.popitem(last=False)


def _touch(auth: AuthSession, user: User, now: datetime) -> None:
    """Record the activity (every TOUCH_EVERY at most). No cache reads these columns (a kept
    session allows for an older last-seen time), so the writes leave the caches alone."""
    unnoticed = {changes.UNNOTICED: True, "synchronize_session": False}
    session = db.session
    session.execute(
        update(AuthSession)
        .where(AuthSession.id == auth.id)
        .values(last_seen_at=now)
        .execution_options(**unnoticed)
    )
    session.execute(
        update(User)
        .where(User.id == user.id)
        .values(last_seen_at=now, inactivity_warned_at=None)
        .execution_options(**unnoticed)
    )
    session.commit()
    set_committed_value(auth, "last_seen_at", now)
    set_committed_value(user, "last_seen_at", now)
    set_committed_value(user, "inactivity_warned_at", None)


def keeps_per_person() -> bool:
    """Whether what is one person's own (their session, whom they follow or mute) is kept per
    process between their requests: where every process on every machine sees a write at its
    next request (app.changes: SQLite's stamp files, or the counters in Redis of PostgreSQL with
    ``REDIS_URL``)."""
    return changes.shared_across_machines(db.engine)


def kept_for_person(kept: Kept, user_id: int, group: str, read: Callable[[], T]) -> T:
    """``read()``, about the person ``user_id``, kept in ``kept`` while no write to ``group``
    (app.changes) happened in any process of the instance, and for the minute at most. Only
    where ``keeps_per_person()``: callers ask the database otherwise."""
    engine = db.engine
    key = (id(current_app._get_current_object()), str(engine.url), user_id)  # type: ignore[attr-defined]
    version = (changes.version(group, engine), staggered_minute(key))  # before reading
    value = kept.get(key, version)
    if value is None:
        value = read()
        kept.put(key, version, value)
    return value  # type: ignore[no-any-return]


def person_has(kept: Kept, group: str, user_id: int, value: int, one: Any, every: Any) -> bool:
    """Whether the person ``user_id`` has ``value`` (an actor they follow, one they muted…):
    ``one`` selects a row for (``user_id``, ``value``), ``every`` all the person's values. Where
    ``keeps_per_person()``, all their values are read once and kept in ``kept`` while no write
    to ``group`` happened; else the one row is asked. Core on the session's connection: a third
    of the ORM's cost, on every page that shows it."""
    connection = db.session.connection()
    if not keeps_per_person():
        return connection.execute(one, {"user_id": user_id, "value": value}).first() is not None
    values = kept_for_person(
        kept,
        user_id,
        group,
        lambda: frozenset(connection.execute(every, {"user_id": user_id}).scalars()),
    )
    return value in values


def load_user(token: str) -> User | None:
    territory = getattr(g, "territory", None)
    if territory is None or not token:
        return None
    engine = db.engine
    token_hash = hash_token(token)
    # Read before the query (app.changes): a write meanwhile makes what is read stale.
    versions = {"accounts": changes.version("accounts", engine)}
    for flag in _session_flags.values():
        if flag[2]:
            versions.update(_versions_of(flag[2], engine))
    key = (
        (id(current_app._get_current_object()), str(engine.url), token_hash)
        if keeps_per_person()
        else None
    )  # type: ignore[attr-defined]
    kept = _kept_session(key, versions["accounts"]) if key is not None else None
    if kept is not None:
        auth, user, flags, read_at = kept
        user = _logged_in(auth, user, flags, territory, token, read_at, key, fresh=False)
        if user is not None:
            return user
        # Refused as kept (expired by its last-seen time as this process knew it): ask the database.
    row = db.session.execute(_session_query(), {"token_hash": token_hash}).first()
    if row is None:
        return None
    auth, user, *flags = row
    return _logged_in(auth, user, tuple(flags), territory, token, versions, key, fresh=True)


def _logged_in(
    auth: AuthSession | None,
    user: User | None,
    flags: tuple[Any, ...],
    territory: Any,
    token: str,
    versions: dict[str, Any],
    key: tuple[Any, ...] | None,
    fresh: bool,
) -> User | None:
    """The session's person, if the session logs in here now; touched and kept as needed."""
    now = utcnow()
    if (
        auth is None
        or user is None
        or auth.revoked_at is not None
        or not same_territory(auth, territory)
        or is_expired(auth, user, now)
        or not same_territory(user, territory)
    ):
        return None
    touched = now - auth.last_seen_at > TOUCH_EVERY
    if touched:
        _touch(auth, user, now)
    if key is not None and (fresh or touched):
        _keep(key, versions, auth, user, flags)
    user.session_token = token
    for (name, (_expression, convert, _watch)), value in zip(
        _session_flags.items(), flags, strict=True
    ):
        user.__dict__[name] = convert(value)
    user.__dict__[_VERSIONS] = versions
    g.auth_session = auth
    g.kept_session_key = key
    return user


def fresh_session_value(user: Any, name: str, read: Callable[[], Any]) -> Any:
    """The flag ``name``: as read with the session while its watched group is unchanged, else
    ``read()`` anew, which is then kept with the person's session for their next requests."""
    known = session_value(user, name)
    if known is not None:
        return known
    watch = _session_flags[name][2]
    versions = _versions_of(watch, db.engine) if watch else {}  # before reading
    value = read()
    _read_at(user, versions, name, value)
    return value
