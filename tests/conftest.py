"""Fixtures shared by every test: an app on a fresh database, a client, factories.

SQLite by default (a temporary file); ``TEST_DATABASE_URL`` (set by ``make test-pg``) runs the
same suite on PostgreSQL. Tables are created once per run and emptied after each test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

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
from tests.support import config as test_config  # noqa: E402


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


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
def app(_schema: None, database_url: str, instance_dir: Path) -> Iterator[Flask]:
    huey.immediate = True
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_URL": database_url,
            "INSTANCE_DIR": instance_dir,
            "MAIL_BACKEND": "memory",
            "SERVER_NAME": None,
            "PASSWORD_HASH_PROFILE": test_config.PASSWORD_HASH_PROFILE,
            # make test-pg: rate limits counted in Redis, as in production (limiter.reset()
            # below clears only their prefixed keys).
            "REDIS_URL": os.environ.get("TEST_REDIS_URL", ""),
        }
    )
    app.test_client_class = FreshContextClient
    mail_module.outbox.clear()
    with app.app_context():
        limiter.reset()
        yield app
        db.session.remove()
        _empty_tables()


def _empty_tables() -> None:
    engine = db.engine
    assert engine is not None
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(table.delete())


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


@pytest.fixture
def outbox() -> list:  # type: ignore[type-arg]
    return mail_module.outbox
