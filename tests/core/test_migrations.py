"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text

from app.cli import alembic_config
from app.models import Base


def _upgrade_and_check(url: str) -> None:
    config = alembic_config(url)
    command.upgrade(config, "head")
    command.check(config)  # raises if the models and the migrated schema differ
    engine = create_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(Base.metadata.tables) <= tables


def test_migrations_match_models_on_sqlite(tmp_path):
    _upgrade_and_check(f"sqlite:///{tmp_path / 'migrated.db'}")


def test_existing_media_get_each_a_token_of_their_own(tmp_path):
    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    config = alembic_config(url)
    command.upgrade(config, "0003_actors")
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            for _ in range(3):
                connection.execute(text(
                    "INSERT INTO media (territory_id, content_type, data, width, height, created_at)"
                    " VALUES (1, 'image/webp', x'00', 1, 1, '2026-01-01 00:00:00')"
                ))
        command.upgrade(config, "0005_media")
        with engine.connect() as connection:
            tokens = connection.execute(text("SELECT token FROM media")).scalars().all()
    finally:
        engine.dispose()
    assert len(tokens) == 3 and len(set(tokens)) == 3
    assert all(len(token) >= 22 for token in tokens)


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"), reason="PostgreSQL run only")
def test_migrations_match_models_on_postgresql():
    base_url = os.environ["TEST_DATABASE_URL"]
    name = f"territory_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        _upgrade_and_check(base_url.rsplit("/", 1)[0] + f"/{name}")
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
