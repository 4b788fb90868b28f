"""Fixtures shared by every test: an app on a fresh database, a client, factories.

SQLite by default (a temporary file); ``TEST_DATABASE_URL`` (set by ``make test-pg``) runs the
same suite on PostgreSQL, ``TEST_REDIS_URL`` keeps the rate limits in Redis. Tables are created
once per run and emptied after each test. Under pytest-xdist (``-n 2``) each worker has its own
database, Redis database and ports (tests/support/parallel.py)."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import text

os.environ.setdefault("HUEY_IMMEDIATE", "1")

from app import create_app  # noqa: E402
from app import mail as mail_module  # noqa: E402
from app.extensions import db, limiter  # noqa: E402
from app.models import Base  # noqa: E402
from app.queue import huey  # noqa: E402
from app.releases.engine import reset_seeded_noise  # noqa: E402
from tests.support import config as test_config  # noqa: E402
from tests.support.parallel import Turnstile, worker_database, worker_redis_url  # noqa: E402

_LOCKS = pytest.StashKey[str]()
_TURNSTILE = pytest.StashKey[Turnstile]()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist, in the controlling process: a folder for the workers' shared locks."""
    config = node.config
    if _LOCKS not in config.stash:
        config.stash[_LOCKS] = tempfile.mkdtemp(prefix="territory-test-locks-")
    node.workerinput["territory_locks"] = config.stash[_LOCKS]


def pytest_configure(config: pytest.Config) -> None:
    folder = getattr(config, "workerinput", {}).get("territory_locks")
    if folder:
        config.stash[_TURNSTILE] = Turnstile(Path(folder))


def pytest_unconfigure(config: pytest.Config) -> None:
    if _TURNSTILE in config.stash:
        config.stash[_TURNSTILE].close()
    if _LOCKS in config.stash:
        shutil.rmtree(config.stash[_LOCKS], ignore_errors=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    """Under xdist, each test (its set-up and tear-down included) runs through the turnstile."""
    turnstile = item.config.stash.get(_TURNSTILE, None)
    with turnstile.running() if turnstile else contextlib.nullcontext():
        return (yield)


@pytest.fixture
def others_paused(pytestconfig: pytest.Config) -> Callable[[], AbstractContextManager[None]]:
    """``with others_paused():`` no other xdist worker is in a test (restarting PostgreSQL)."""
    turnstile = pytestconfig.stash.get(_TURNSTILE, None)
    return turnstile.alone if turnstile else contextlib.nullcontext


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    with worker_database(url, worker_id) as own:
        yield own
        db.session.remove()
        if db.engine is not None:
            db.engine.dispose()  # its connections end before the database is dropped


@pytest.fixture(scope="session")
def redis_url(worker_id: str) -> str:
    """``TEST_REDIS_URL`` with this worker's database number; empty: no Redis (SQLite runs)."""
    return worker_redis_url(os.environ.get("TEST_REDIS_URL", ""), worker_id)


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("instance")


@pytest.fixture(scope="session")
def _schema(database_url: str, instance_dir: Path) -> Iterator[None]:
    app = create_app({"SQLALCHEMY_URL": database_url, "INSTANCE_DIR": instance_dir, "SECRET_KEY": "test"})
    with app.app_context():
        engine = db.engine
        assert engine is not None
        Base.metadata.drop_all(engine)
        Base.metadata.create_all(engine)
        yield
        db.session.remove()
        Base.metadata.drop_all(engine)


class FreshContextClient(FlaskClient):
    """Each request starts as in production: an empty ``g`` (no loaded user, CSRF token or cached
    memberships left by an earlier request or client) and nothing cached in the database session,
    which the test keeps sharing so that its objects stay attached."""

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        # Tests read the English source strings; language tests set their own header.
        self.environ_base.setdefault("HTTP_ACCEPT_LANGUAGE", "en")

    def open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if has_app_context():
            g.__dict__.clear()
            db.session.expire_all()
        return super().open(*args, **kwargs)


@pytest.fixture
def app(_schema: None, database_url: str, redis_url: str, instance_dir: Path) -> Iterator[Flask]:
    huey.immediate = True
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_URL": database_url,
            "INSTANCE_DIR": instance_dir,
            "MAIL_BACKEND": "memory",
            "SERVER_NAME": None,
            # Links in messages without a port, whatever PORT the environment running the tests has.
            "PUBLIC_PORT": "",
            # Released counts draw their noise (the same discrete Laplace law as OpenDP's)
            # from a generator seeded for each test: a test sees the same noise every run.
            "RELEASE_NOISE_SEED": 2026,
            # Campaigns go out unpaced: the tests of pacing (tests/delivery/test_pacing.py) set
            # a rate, and their clock, themselves.
            "CAMPAIGN_SEND_RATE": 0,
            "PASSWORD_HASH_PROFILE": test_config.PASSWORD_HASH_PROFILE,
            # make test-pg: rate limits counted in Redis, as in production (limiter.reset()
            # below clears only their prefixed keys).
            "REDIS_URL": redis_url,
        }
    )
    app.test_client_class = FreshContextClient
    mail_module.outbox.clear()
    reset_seeded_noise()
    with app.app_context():
        limiter.reset()
        yield app
        db.session.remove()
        _empty_tables()


def _empty_tables() -> None:
    """Every row deleted, children first, and on PostgreSQL the ids start again from 1 as on
    SQLite. (Deleting a test's few rows takes milliseconds; a TRUNCATE of every table took
    about half a second on PostgreSQL, after each of some 900 tests.)"""
    engine = db.engine
    assert engine is not None
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
        if connection.dialect.name == "postgresql":
            connection.execute(text(
                "SELECT setval(format('%I.%I', schemaname, sequencename), start_value, false)"
                " FROM pg_sequences WHERE schemaname = current_schema()"
            ))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


@pytest.fixture
def outbox() -> list:  # type: ignore[type-arg]
    return mail_module.outbox
