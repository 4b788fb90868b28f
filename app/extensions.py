"""Extensions, created unbound here and bound to the app in create_app()."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker

log = logging.getLogger(__name__)


class Base(DeclarativeBase):
    """Declarative base of every model."""


class Database:
    """One engine and one scoped session per process; the session ends with the request."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.session = scoped_session(sessionmaker(expire_on_commit=False))

    def init_app(self, app: Flask) -> None:
        self.configure(app.config["SQLALCHEMY_URL"], echo=app.config.get("SQL_ECHO", False))

        @app.teardown_appcontext
        def _remove_session(_exc: BaseException | None) -> None:
            self.session.remove()

    def configure(self, url: str, echo: bool = False) -> Engine:
        if self.engine is not None and str(self.engine.url) == url:
            return self.engine
        if self.engine is not None:
            self.session.remove()
            self.engine.dispose()
        self.engine = make_engine(url, echo=echo)
        self.session.configure(bind=self.engine)
        return self.engine

    def scrub_write_ahead_log(self) -> bool:
        """After personal data is deleted, on SQLite: copy the write-ahead log into the database
        and truncate it to zero bytes, for the log still holds the pages as they were before the
        deletion (``secure_delete`` only zeroes the new ones). Call it outside any transaction.
        Returns False when readers kept it from finishing (the next call does it); PostgreSQL
        keeps dead rows until VACUUM instead (README: Erased means gone from the disk)."""
        if self.engine is None or self.engine.dialect.name != "sqlite":
            return True
        with self.engine.connect() as connection:
            busy, _log_frames, _copied = connection.exec_driver_sql(
                "PRAGMA wal_checkpoint(TRUNCATE)"
            ).one()
        if busy:
            log.warning("write-ahead log not truncated: readers still use it")
        return not busy

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A unit of work outside a request (tasks, CLI): commit or roll back, then close."""
        session = self.session()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            self.session.remove()


def make_engine(url: str, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # Deleted rows are overwritten with zeros, not left in free space: an erased
            # account leaves no bytes behind (with ``Database.scrub_write_ahead_log``).
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=5, max_overflow=10)


db = Database()
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()
htmx_ext = Htmx()


class RateLimiter(Limiter):
    """Flask-Limiter, with its storage chosen per app: ``RATELIMIT_STORAGE_URI`` if set, else
    ``REDIS_URL`` (counters shared by every worker process), else memory (one process). In
    Redis every key starts with ``RATELIMIT_REDIS_PREFIX``: ``limiter.reset()`` clears only those
    keys, never the task queue's sharing the same database."""

    def init_app(self, app: Flask) -> None:
        config = app.config
        uri = config.get("RATELIMIT_STORAGE_URI") or config.get("REDIS_URL") or "memory://"
        config["RATELIMIT_STORAGE_URI"] = uri
        # The options of an earlier app (tests create many) must not leak into this one.
        self._storage_options = {}
        if uri.startswith(("redis", "rediss")):
            config["RATELIMIT_STORAGE_OPTIONS"] = {
                **config.get("RATELIMIT_STORAGE_OPTIONS", {}),
                "key_prefix": config.get("RATELIMIT_REDIS_PREFIX", "territory-limits"),
            }
        super().init_app(app)


def configured_limit(name: str) -> Callable[[], str]:
    """A limit read from the app's config (``RATELIMIT_*``) when the request is checked."""

    def limit() -> str:
        return str(current_app.config[name])

    limit.__name__ = name.lower()
    return limit


def person_key() -> str:
    """Per person when logged in (a shared address is not one person), else per address."""
    from flask_login import current_user

    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return get_remote_address()


def acting_actor_key() -> str:
    """Per actor acting (``g.actor``, set by ``actor_role_required``): its members share it."""
    return f"actor:{g.actor.id}"


limiter = RateLimiter(key_func=get_remote_address, default_limits=[])
# Every endpoint that answers scripts (JSON, polled fragments): per address. See
# app.security.SCRIPT_ENDPOINTS.
API_LIMIT = configured_limit("RATELIMIT_API")
# Forms that check a password or send a message (log-in, registration, reset, export, erasure),
# per client address.
PASSWORD_FORM_LIMIT = "10 per minute; 50 per hour"
