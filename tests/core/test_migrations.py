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


def _insert(connection, table: str, **values) -> None:  # type: ignore[no-untyped-def]
    """A row with the given values, every other required column filled with a plain value."""
    for column in inspect(connection).get_columns(table):
        if column["name"] in values or column["nullable"] or column.get("default") is not None:
            continue
        kind = str(column["type"]).upper()
        values[column["name"]] = (
            0 if any(k in kind for k in ("INT", "BOOL", "FLOAT", "NUMERIC"))
            else "2026-01-01 00:00:00" if ("DATE" in kind or "TIME" in kind)
            else "x"
        )
    names = ", ".join(values)
    connection.execute(text(f"INSERT INTO {table} ({names}) VALUES ({', '.join(':' + n for n in values)})"), values)


def test_the_earlier_population_types_become_the_resorts(tmp_path):
    """0009: "seasonal_worker" becomes a seasonal worker from elsewhere and "visitor" a day
    visitor, in profiles, welcome offers and campaigns' criteria; the rest is left as it was."""
    import json

    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    config = alembic_config(url)
    command.upgrade(config, "0008_legal")
    engine = create_engine(url)
    criteria = {"match": "all", "rules": [{"kind": "population", "types": ["visitor", "tourist", "seasonal_worker"]},
                                          {"kind": "language", "codes": ["fr"]}]}
    try:
        with engine.begin() as connection:
            connection.execute(text("PRAGMA foreign_keys=OFF"))
            for n, kind in enumerate(["seasonal_worker", "visitor", "resident", None], start=1):
                _insert(connection, "user_account", id=n, territory_id=1, email=f"p{n}@example.org",
                        population_type=kind)
            _insert(connection, "publication", id=1, territory_id=1, actor_id=1, kind="offer",
                    welcome_population_types="tourist,visitor")
            _insert(connection, "campaign", id=1, territory_id=1, actor_id=1, criteria_json=json.dumps(criteria))
        command.upgrade(config, "0009_population_types")
        with engine.connect() as connection:
            people = connection.execute(text("SELECT population_type FROM user_account ORDER BY id")).scalars().all()
            offer = connection.execute(text("SELECT welcome_population_types FROM publication")).scalar_one()
            saved = json.loads(connection.execute(text("SELECT criteria_json FROM campaign")).scalar_one())
    finally:
        engine.dispose()
    assert people == ["seasonal_elsewhere", "day_visitor", "resident", None]
    assert offer == "tourist,day_visitor"  # in the forms' order
    assert saved["rules"][0]["types"] == ["day_visitor", "tourist", "seasonal_elsewhere"]
    assert saved["rules"][1] == {"kind": "language", "codes": ["fr"]}
