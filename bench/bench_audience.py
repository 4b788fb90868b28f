"""The audience benchmark (issue 3): how long an actor waits for the estimate of its criteria.

Prints exactly:
    audience_median_ms_sqlite_100k: N   median of estimate() over a mix of criteria, 100,000 citizens, SQLite
    audience_median_ms_pg_1m: N         the same mix, 1,000,000 citizens, PostgreSQL
Progress (and each criterion's own median) goes to stderr. Goals: <= 50 ms and <= 300 ms.

The data is generated in the database itself (INSERT ... SELECT over a generated series: a
recursive CTE on SQLite, generate_series on PostgreSQL), deterministic and skewed like a real
town: 150 hashtags (5 per citizen, a few popular ones), 200 actors (3 follows per citizen),
12 neighbourhoods, six population types, three languages, 80 % of people with the
profile-targeting consent (some withdrawn), a few mutes, and a second territory whose people
must never be counted. SQLite lives in a temporary directory; PostgreSQL in a database
``bench_audience`` created for the run and dropped at the end.

    python bench/bench_audience.py [--sqlite-citizens N] [--pg-citizens N] [--runs 30] [--skip-pg]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, create_engine, insert, text  # noqa: E402

from app.extensions import make_engine  # noqa: E402
from app.models import Base  # noqa: E402

PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PG_DATABASE = "bench_audience"
HASHTAGS = 150
ACTORS = 200
NEIGHBOURHOODS = 12
POPULATION_TYPES = ("resident", "resident", "resident", "seasonal_local", "seasonal_elsewhere", "second_home", "tourist",
                    "day_visitor")
LANGUAGES = ("fr", "fr", "fr", "fr", "nl", "en", None)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _series(dialect: str, count: int) -> str:
    """``FROM`` clause of the integers 1..count, as column ``i``."""
    if dialect == "postgresql":
        return f"generate_series(CAST(1 AS BIGINT), {int(count)}) AS seq(i)"
    return (
        f"(WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < {int(count)})"
        " SELECT i FROM seq) AS seq"
    )


def _floor_int(expr: str, dialect: str) -> str:
    """The integer part of a non-negative number (PostgreSQL's CAST rounds, SQLite's truncates)."""
    return f"CAST(FLOOR({expr}) AS INTEGER)" if dialect == "postgresql" else f"CAST({expr} AS INTEGER)"


def _pick(values: tuple[Any, ...], hash_sql: str) -> str:
    """A SQL CASE choosing one of ``values`` by ``hash_sql`` modulo their number."""
    whens = " ".join(
        f"WHEN {n} THEN {'NULL' if v is None else repr(v)}" for n, v in enumerate(values)
    )
    return f"CASE ({hash_sql}) % {len(values)} {whens} END"


# Deterministic pseudo-random fractions of a citizen's number i, in [0, 1).
R2 = "(((i * 69621 + 7) % 2147483647) * 1.0 / 2147483647)"


def generate(engine: Engine, citizens: int) -> None:
    dialect = engine.dialect.name
    Base.metadata.create_all(engine)
    tables = Base.metadata.tables
    now = datetime.now(UTC).replace(microsecond=0)
    others = max(citizens // 10, 100)  # the other territory's people
    started = time.perf_counter()
    with engine.begin() as conn:
        if dialect == "sqlite":
            conn.execute(text("PRAGMA synchronous=OFF"))
        else:
            conn.execute(text("SET LOCAL synchronous_commit = off"))
        conn.execute(
            insert(tables["territory"]),
            [
                {"id": t, "slug": f"bench{t}", "name": f"Bench {t}", "timezone": "Europe/Paris",
                 "default_language": "fr", "enabled_languages_csv": "fr,nl,en", "anonymity_floor": 11,
                 "tagline": "", "primary_color": "#0b5fa5", "accent_color": "#e4572e",
                 "center_lat": 43.17, "center_lon": 5.6, "created_at": now}
                for t in (1, 2)
            ],
        )
        conn.execute(
            insert(tables["neighbourhood"]),
            [{"id": i, "territory_id": 1, "name": f"Quartier {i}", "slug": f"q{i}"} for i in range(1, NEIGHBOURHOODS + 1)],
        )
        conn.execute(
            insert(tables["hashtag"]),
            [{"id": i, "territory_id": 1 if i <= HASHTAGS else 2, "tag": f"tag{i}", "active": True}
             for i in range(1, HASHTAGS + 11)],
        )
        conn.execute(
            insert(tables["actor"]),
            [{"id": i, "territory_id": 1, "kind": "merchant", "name": f"Acteur {i}", "slug": f"a{i}",
              "status": "verified", "created_at": now} for i in range(1, ACTORS + 1)],
        )
        # Citizens of territory 1 (ids 1..citizens), then of territory 2.
        conn.execute(
            text(
                "INSERT INTO user_account (id, territory_id, email, password_hash, display_name,"
                " language, is_admin, neighbourhood_id, population_type, created_at)"
                f" SELECT i, 1, 'c' || i || '@bench.invalid', 'x', '',"
                f" {_pick(LANGUAGES, 'i * 7 + i / 13')}, false,"
                f" CASE WHEN i % 9 = 0 THEN NULL ELSE 1 + (i * 31 + i / 7) % {NEIGHBOURHOODS} END,"
                f" CASE WHEN i % 11 = 0 THEN NULL ELSE {_pick(POPULATION_TYPES, 'i * 13 + i / 5')} END,"
                f" :now FROM {_series(dialect, citizens)}"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO user_account (id, territory_id, email, password_hash, display_name,"
                " language, is_admin, neighbourhood_id, population_type, created_at)"
                f" SELECT {citizens} + i, 2, 'o' || i || '@bench.invalid', 'x', '', 'fr', false,"
                f" NULL, 'resident', :now FROM {_series(dialect, others)}"
            ),
            {"now": now},
        )
        log(f"  {citizens:,} + {others:,} people ({time.perf_counter() - started:.1f} s)")
        # Five hashtags each, one in each block of 30, skewed towards each block's first ones.
        rk = "(((i * (48271 + 7919 * k) + 11 * k) % 2147483647) * 1.0 / 2147483647)"
        conn.execute(
            text(
                "INSERT INTO user_hashtag (user_id, hashtag_id)"
                f" SELECT i, 1 + 30 * k + {_floor_int(f'30 * {rk} * {rk}', dialect)}"
                f" FROM {_series(dialect, citizens)}"
                " CROSS JOIN (SELECT 0 AS k UNION ALL SELECT 1 UNION ALL SELECT 2"
                " UNION ALL SELECT 3 UNION ALL SELECT 4) AS ks"
            )
        )
        conn.execute(
            text(
                "INSERT INTO user_hashtag (user_id, hashtag_id)"
                f" SELECT {citizens} + i, {HASHTAGS + 1} + i % 10 FROM {_series(dialect, others)}"
            )
        )
        log(f"  hashtags ({time.perf_counter() - started:.1f} s)")
        # Three follows each, skewed towards the first actors.
        conn.execute(
            text(
                "INSERT INTO follow (user_id, actor_id, created_at)"
                f" SELECT i, 1 + ({_floor_int(f'{ACTORS} * {R2} * {R2} * {R2}', dialect)} + 67 * k) % {ACTORS}, :now"
                f" FROM {_series(dialect, citizens)}"
                " CROSS JOIN (SELECT 0 AS k UNION ALL SELECT 1 UNION ALL SELECT 2) AS ks"
            ),
            {"now": now},
        )
        log(f"  follows ({time.perf_counter() - started:.1f} s)")
        # Everybody accepted the terms; 80 % the profile targeting, 1 in 50 of them withdrew it.
        conn.execute(
            text(
                "INSERT INTO consent (user_id, purpose, channel, detail, granted_at, withdrawn_at)"
                " SELECT id, 'terms', NULL, '', :now, NULL FROM user_account"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO consent (user_id, purpose, channel, detail, granted_at, withdrawn_at)"
                " SELECT id, 'profile_targeting', NULL, 'profile', :now,"
                " CASE WHEN id % 50 = 0 THEN :now ELSE NULL END"
                " FROM user_account WHERE id % 10 < 8"
            ),
            {"now": now},
        )
        log(f"  consents ({time.perf_counter() - started:.1f} s)")
        # 1 % mute actor 1; 1 % mute hashtag 2.
        conn.execute(
            text(
                "INSERT INTO mute (user_id, actor_id, hashtag_id, created_at)"
                " SELECT id, 1, NULL, :now FROM user_account WHERE territory_id = 1 AND id % 100 = 3"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO mute (user_id, actor_id, hashtag_id, created_at)"
                " SELECT id, NULL, 2, :now FROM user_account WHERE territory_id = 1 AND id % 100 = 7"
            ),
            {"now": now},
        )
    with engine.connect() as conn:
        if dialect == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
            conn.commit()
    log(f"  generated in {time.perf_counter() - started:.1f} s")


# A mix of what actors ask: broad and narrow, one rule and several.
MIX: list[tuple[str, list[dict[str, Any]]]] = [
    ("one popular hashtag", [{"kind": "hashtags", "ids": [1], "mode": "any"}]),
    ("one rare hashtag", [{"kind": "hashtags", "ids": [120], "mode": "any"}]),
    ("three hashtags, any", [{"kind": "hashtags", "ids": [2, 45, 99], "mode": "any"}]),
    ("two hashtags, all", [{"kind": "hashtags", "ids": [1, 31], "mode": "all"}]),
    ("followers", [{"kind": "followers"}]),
    ("followers with a hashtag", [{"kind": "followers"}, {"kind": "hashtags", "ids": [3], "mode": "any"}]),
    ("two neighbourhoods, residents", [{"kind": "neighbourhoods", "ids": [1, 2]}, {"kind": "population", "types": ["resident"]}]),
    ("tourists speaking English", [{"kind": "population", "types": ["tourist", "day_visitor"]}, {"kind": "language", "codes": ["en"]}]),
    ("Dutch speakers", [{"kind": "language", "codes": ["nl"]}]),
    (
        "hashtags, neighbourhoods and population",
        [
            {"kind": "hashtags", "ids": [4, 5, 60], "mode": "any"},
            {"kind": "neighbourhoods", "ids": [3, 4, 5]},
            {"kind": "population", "types": ["resident", "second_home"]},
        ],
    ),
]


def measure(url: str, instance: str, runs: int) -> float:
    os.environ["RATELIMIT_ENABLED"] = "0"
    from flask_babel import force_locale

    from app import create_app
    from app.campaigns.audience import estimate
    from app.campaigns.criteria import parse_criteria
    from app.extensions import db
    from app.territories.models import Territory

    app = create_app(
        {"SQLALCHEMY_URL": url, "SECRET_KEY": "bench", "INSTANCE_DIR": instance,
         "MAIL_BACKEND": "memory", "RATELIMIT_ENABLED": False}
    )
    timings: list[float] = []
    with app.app_context(), force_locale("en"):
        territory = db.session.get(Territory, 1)
        assert territory is not None
        for name, rules in MIX:
            criteria = parse_criteria({"match": "all", "rules": rules}, territory)
            own: list[float] = []
            for run in range(runs + 2):
                started = time.perf_counter()
                result = estimate(territory, 1, criteria)
                elapsed = (time.perf_counter() - started) * 1000
                if run >= 2:  # the first two warm the caches
                    own.append(elapsed)
            timings += own
            log(f"  {name:42} {result.count_shown:>15}  median {statistics.median(own):7.1f} ms")
        db.session.remove()
    engine = db.engine
    if engine is not None:
        engine.dispose()
    return statistics.median(timings)


def bench_sqlite(citizens: int, runs: int) -> float:
    with tempfile.TemporaryDirectory(prefix="bench-audience-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'audience.db'}"
        log(f"SQLite, {citizens:,} citizens")
        engine = make_engine(url)
        try:
            generate(engine, citizens)
        finally:
            engine.dispose()
        return measure(url, tmp, runs)


@contextmanager
def pg_database() -> Iterator[str]:
    """A database for the run, dropped afterwards whatever happens."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {PG_DATABASE}"))
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + PG_DATABASE
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"))
        admin.dispose()


def bench_pg(citizens: int, runs: int) -> float:
    with pg_database() as url, tempfile.TemporaryDirectory(prefix="bench-audience-") as tmp:
        log(f"PostgreSQL, {citizens:,} citizens")
        engine = make_engine(url)
        try:
            generate(engine, citizens)
        finally:
            engine.dispose()
        return measure(url, tmp, runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sqlite-citizens", type=int, default=100_000)
    parser.add_argument("--pg-citizens", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    if not args.skip_sqlite:
        median = bench_sqlite(args.sqlite_citizens, args.runs)
        print(f"audience_median_ms_sqlite_100k: {median:.1f}", flush=True)
    if not args.skip_pg:
        median = bench_pg(args.pg_citizens, args.runs)
        print(f"audience_median_ms_pg_1m: {median:.1f}", flush=True)


if __name__ == "__main__":
    main()
