"""Extensions, created unbound here and bound to the app in create_app()."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, g
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from limits.storage import MovingWindowSupport, Storage
from sqlalchemy import (
    Connection,
    Double,
    Engine,
    Index,
    Text,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    scoped_session,
    sessionmaker,
)

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


class RateLimitHit(Base):
    """What a rate limit counted (``DatabaseStorage``). Moving window: one row per request let
    through, until it leaves the window; fixed window: one row per key and window, its count in
    ``hits``. Times are seconds since the epoch, as the ``limits`` library counts them."""

    __tablename__ = "rate_limit_hit"
    __table_args__ = (
        Index("ix_rate_limit_hit_key_expires_at", "key", "expires_at"),
        Index("ix_rate_limit_hit_expires_at", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[float] = mapped_column(Double)
    hits: Mapped[int] = mapped_column(default=1)


# PostgreSQL's advisory locks of the rate limits: (this class, a hash of the key).
RATE_LIMIT_LOCK = 0x524C


class DatabaseStorage(Storage, MovingWindowSupport):
    """Rate-limit counters in the app's own database (``territorydb://``): every process using
    that database shares them, on one machine (SQLite) or on several (PostgreSQL), with no Redis.
    A hit is one short transaction holding its key's lock (SQLite: the write lock, taken by
    ``BEGIN IMMEDIATE``; PostgreSQL: an advisory lock on the key) from the count to the insert,
    so two processes cannot both take the last place: a limit of N lets exactly N through.
    Strategies: moving window and fixed window."""

    STORAGE_SCHEME = ["territorydb"]
    # Every this many hits (per process), the rows of every key that have left their window go.
    SWEEP_EVERY = 200

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._hits_since_sweep = 0

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    @staticmethod
    def _engine() -> Engine:
        if db.engine is None:
            raise RuntimeError("territorydb:// counts in the app's database: none is configured")
        return db.engine

    @contextmanager
    def _locked(self, key: str) -> Iterator[Connection]:
        """A transaction that alone may change ``key``'s rows until it ends; expired rows gone."""
        now = time.time()
        with self._engine().connect() as connection:
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            elif connection.dialect.name == "postgresql":
                connection.execute(select(func.pg_advisory_xact_lock(RATE_LIMIT_LOCK, func.hashtext(key))))
            self._hits_since_sweep += 1
            if self._hits_since_sweep >= self.SWEEP_EVERY:
                self._hits_since_sweep = 0
                connection.execute(delete(RateLimitHit).where(RateLimitHit.expires_at <= now))
            else:
                connection.execute(
                    delete(RateLimitHit).where(RateLimitHit.key == key, RateLimitHit.expires_at <= now)
                )
            yield connection
            connection.commit()

    @staticmethod
    def _live(key: str, now: float) -> Any:
        return (RateLimitHit.key == key, RateLimitHit.expires_at > now)

    # --- moving window ---

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        with self._locked(key) as connection:
            now = time.time()
            taken = connection.scalar(select(func.coalesce(func.sum(RateLimitHit.hits), 0)).where(*self._live(key, now)))
            if taken + amount > limit:
                return False
            connection.execute(insert(RateLimitHit).values(key=key, expires_at=now + expiry, hits=amount))
            return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        now = time.time()
        with self._engine().connect() as connection:
            oldest, taken = connection.execute(
                select(func.min(RateLimitHit.expires_at), func.sum(RateLimitHit.hits)).where(*self._live(key, now))
            ).one()
        if not taken:
            return now, 0
        return oldest - expiry, int(taken)

    # --- fixed window ---

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        with self._locked(key) as connection:
            now = time.time()
            counted = connection.execute(
                update(RateLimitHit)
                .where(*self._live(key, now))
                .values(hits=RateLimitHit.hits + amount)
                .returning(RateLimitHit.hits)
            ).scalar()
            if counted is None:
                connection.execute(insert(RateLimitHit).values(key=key, expires_at=now + expiry, hits=amount))
                counted = amount
            return int(counted)

    def get(self, key: str) -> int:
        now = time.time()
        with self._engine().connect() as connection:
            hits = connection.scalar(select(func.sum(RateLimitHit.hits)).where(*self._live(key, now)))
        return int(hits or 0)

    def get_expiry(self, key: str) -> float:
        now = time.time()
        with self._engine().connect() as connection:
            expires_at = connection.scalar(select(func.min(RateLimitHit.expires_at)).where(*self._live(key, now)))
        return float(expires_at) if expires_at is not None else now

    # --- upkeep ---

    def check(self) -> bool:
        with self._engine().connect() as connection:
            connection.execute(select(1))
        return True

    def clear(self, key: str) -> None:
        with self._engine().begin() as connection:
            connection.execute(delete(RateLimitHit).where(RateLimitHit.key == key))

    def reset(self) -> int | None:
        with self._engine().begin() as connection:
            return connection.execute(delete(RateLimitHit)).rowcount


class RateLimiter(Limiter):
    """Flask-Limiter, with its storage chosen per app: ``RATELIMIT_STORAGE_URI`` if set, else
    ``REDIS_URL``, else the app's database (``territorydb://``, ``DatabaseStorage``): either way
    the counters are shared by every worker process, so a limit holds at its figure however many
    there are. In Redis every key starts with ``RATELIMIT_REDIS_PREFIX``: ``limiter.reset()``
    clears only those keys, never the task queue's sharing the same database."""

    def init_app(self, app: Flask) -> None:
        config = app.config
        uri = config.get("RATELIMIT_STORAGE_URI") or config.get("REDIS_URL") or "territorydb://"
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
