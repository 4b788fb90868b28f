"""Generates the feed benchmark's territory in a SQLite file under bench/data/, fast (bulk inserts
through SQLAlchemy Core executemany), and reuses it when it was already generated with the same
parameters (and is less than a week old: offers and events are dated relative to "now")."""

from __future__ import annotations

import json
import random
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, func, insert, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.extensions import make_engine  # noqa: E402
from app.models import Base  # noqa: E402

DATA_DIR = ROOT / "bench" / "data"
FORMAT_VERSION = 2
MAX_AGE = timedelta(days=7)
BATCH = 20_000


@dataclass(frozen=True)
class Parameters:
    citizens: int = 100_000
    actors: int = 2_000
    publications: int = 50_000
    hashtags: int = 150
    neighbourhoods: int = 12
    hashtags_per_citizen: int = 5
    follows_per_citizen: int = 5
    seed: int = 2026

    @property
    def file_name(self) -> str:
        return (
            f"feed-v{FORMAT_VERSION}-c{self.citizens}-a{self.actors}-p{self.publications}"
            f"-h{self.hashtags}-s{self.seed}.db"
        )


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def database_path(params: Parameters) -> Path:
    return DATA_DIR / params.file_name


def ensure_database(params: Parameters) -> Path:
    """The benchmark database for ``params``: reused when complete and recent, else rebuilt."""
    path = database_path(params)
    if path.exists():
        engine = make_engine(f"sqlite:///{path}")
        try:
            with engine.connect() as connection:
                row = connection.execute(
                    text("SELECT value FROM bench_meta WHERE key = 'meta'")
                ).first()
            meta = json.loads(row[0]) if row else None
        except Exception:
            meta = None
        finally:
            engine.dispose()
        if meta and meta.get("params") == asdict(params):
            generated = datetime.fromisoformat(meta["generated_at"])
            if datetime.now(UTC) - generated < MAX_AGE:
                log(f"reusing {path.relative_to(ROOT)}")
                _add_missing_indexes(path)
                return path
        log("benchmark data is stale or incomplete: regenerating")
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    engine = make_engine(f"sqlite:///{path}")
    try:
        generate(engine, params)
    finally:
        engine.dispose()
    log(f"generated {path.relative_to(ROOT)} in {time.perf_counter() - started:.1f} s")
    return path


def _add_missing_indexes(path: Path) -> None:
    """Indexes added to the models since the file was generated (cheap, and keeps reuse honest)."""
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as connection:
            for table in Base.metadata.sorted_tables:
                for index in table.indexes:
                    index.create(connection, checkfirst=True)
    finally:
        engine.dispose()


def _skewed_weights(count: int, exponent: float) -> list[float]:
    """A few popular items, a long tail (as hashtags and actors are in a real town)."""
    return [1.0 / (rank + 1) ** exponent for rank in range(count)]


def _distinct_choices(
    rng: random.Random, population: list[int], cum_weights: list[float], k: int
) -> list[int]:
    chosen: set[int] = set()
    while len(chosen) < k:
        chosen.update(rng.choices(population, cum_weights=cum_weights, k=k - len(chosen)))
    return list(chosen)


def _cumulative(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def _insert(engine: Engine, table: Table, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as connection:
        for start in range(0, len(rows), BATCH):
            connection.execute(insert(table), rows[start : start + BATCH])


def generate(engine: Engine, params: Parameters) -> None:
    rng = random.Random(params.seed)
    Base.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(text("PRAGMA synchronous=OFF"))
    tables = Base.metadata.tables
    now = datetime.now(UTC).replace(microsecond=0)

    _insert(
        engine,
        tables["territory"],
        [
            {
                "id": 1,
                "slug": "bench",
                "name": "Bench-sur-Mer",
                "tagline": "",
                "primary_color": "#0b5fa5",
                "accent_color": "#e4572e",
                "timezone": "Europe/Paris",
                "default_language": "fr",
                "enabled_languages_csv": "fr,nl,en",
                "center_lat": 43.17,
                "center_lon": 5.60,
                "anonymity_floor": 11,
                "created_at": now,
            }
        ],
    )
    _insert(
        engine, tables["territory_host"], [{"id": 1, "territory_id": 1, "hostname": "localhost"}]
    )
    hood_ids = list(range(1, params.neighbourhoods + 1))
    _insert(
        engine,
        tables["neighbourhood"],
        [
            {"id": i, "territory_id": 1, "name": f"Quartier {i}", "slug": f"quartier-{i}"}
            for i in hood_ids
        ],
    )
    tag_ids = list(range(1, params.hashtags + 1))
    _insert(
        engine,
        tables["hashtag"],
        [{"id": i, "territory_id": 1, "tag": f"tag{i:03d}", "active": True} for i in tag_ids],
    )
    tag_cum = _cumulative(_skewed_weights(params.hashtags, 0.8))

    log(f"  {params.actors} actors")
    kinds = (
        "town_service",
        "association",
        "merchant",
        "culture",
        "tourism_office",
        "school",
        "sports_club",
    )
    actor_ids = list(range(1, params.actors + 1))
    actors = []
    for i in actor_ids:
        actors.append(
            {
                "id": i,
                "territory_id": 1,
                "kind": kinds[i % len(kinds)],
                "name": f"Acteur {i}",
                "slug": f"acteur-{i}",
                "summary": "Un acteur local du territoire.",
                "description_md": "",
                "address": f"{i} rue du Port",
                "lat": 43.17,
                "lon": 5.60,
                "neighbourhood_id": rng.choice(hood_ids),
                "phone": "",
                "email": "",
                "website": "",
                "opening_hours_json": "{}",
                "status": "verified" if rng.random() < 0.97 else "pending",
                "created_at": now - timedelta(days=400),
                "verified_at": now - timedelta(days=399),
            }
        )
    _insert(engine, tables["actor"], actors)
    _insert(
        engine,
        tables["actor_hashtag"],
        [
            {"actor_id": a, "hashtag_id": t}
            for a in actor_ids
            for t in _distinct_choices(rng, tag_ids, tag_cum, 2)
        ],
    )
    actor_cum = _cumulative(_skewed_weights(params.actors, 0.7))

    log(f"  {params.citizens} citizens with their hashtags and follows")
    populations = ("resident", "seasonal_local", "seasonal_elsewhere", "second_home", "tourist", "day_visitor")
    users, user_tags, follows = [], [], []
    for i in range(1, params.citizens + 1):
        users.append(
            {
                "id": i,
                "territory_id": 1,
                "email": f"citoyen{i}@bench.territory",
                "password_hash": "!unusable",
                "display_name": f"Citoyen {i}",
                "language": None,
                "email_verified_at": now,
                "is_admin": False,
                "neighbourhood_id": rng.choice(hood_ids),
                "population_type": rng.choice(populations),
                "onboarded_at": now,
                "created_at": now,
                "last_seen_at": None,
            }
        )
        for t in _distinct_choices(
            rng, tag_ids, tag_cum, max(1, params.hashtags_per_citizen + rng.randint(-2, 2))
        ):
            user_tags.append({"user_id": i, "hashtag_id": t})
        for a in _distinct_choices(
            rng, actor_ids, actor_cum, max(1, params.follows_per_citizen + rng.randint(-2, 2))
        ):
            follows.append({"user_id": i, "actor_id": a, "created_at": now})
    _insert(engine, tables["user_account"], users)
    _insert(engine, tables["user_hashtag"], user_tags)
    _insert(engine, tables["follow"], follows)
    del users, user_tags, follows

    log(f"  {params.publications} publications")
    # Published over the past year; ids follow publication time, as they do in real life.
    moments = sorted(
        now - timedelta(seconds=rng.randint(0, 365 * 86400)) for _ in range(params.publications)
    )
    publications, publication_tags = [], []
    for i, published_at in enumerate(moments, start=1):
        actor_id = rng.choices(actor_ids, cum_weights=actor_cum)[0]
        roll = rng.random()
        kind = "news" if roll < 0.55 else ("event" if roll < 0.85 else "offer")
        status_roll = rng.random()
        status = (
            "published" if status_roll < 0.96 else ("draft" if status_roll < 0.99 else "archived")
        )
        row = {
            "id": i,
            "territory_id": 1,
            "actor_id": actor_id,
            "kind": kind,
            "title": f"Publication {i} : une nouvelle du territoire",
            "summary": "Un court résumé de ce qui se passe, pour donner envie d'en savoir plus.",
            "body_md": "Le texte complet de la publication.",
            "status": status,
            "moderated_at": now if rng.random() < 0.005 else None,
            "moderation_reason": "",
            "starts_at": None,
            "ends_at": None,
            "valid_from": None,
            "valid_until": None,
            "place_name": "",
            "lat": None,
            "lon": None,
            "image_media_id": None,
            "created_by_id": None,
            "created_at": published_at,
            "updated_at": published_at,
            "published_at": published_at if status != "draft" else None,
        }
        if kind == "event":
            starts = published_at + timedelta(days=rng.uniform(1, 45))
            row.update(
                starts_at=starts,
                ends_at=starts + timedelta(hours=rng.choice((1, 2, 3, 6))),
                place_name="Salle des fêtes",
            )
        elif kind == "offer":
            row.update(
                valid_from=published_at,
                valid_until=published_at + timedelta(days=rng.uniform(3, 30)),
            )
        publications.append(row)
        for t in _distinct_choices(rng, tag_ids, tag_cum, rng.choice((1, 2, 2, 3, 3, 4))):
            publication_tags.append({"publication_id": i, "hashtag_id": t})
    _insert(engine, tables["publication"], publications)
    _insert(engine, tables["publication_hashtag"], publication_tags)

    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
        connection.execute(text("CREATE TABLE bench_meta (key TEXT PRIMARY KEY, value TEXT)"))
        meta = {"params": asdict(params), "generated_at": now.isoformat()}
        connection.execute(
            text("INSERT INTO bench_meta VALUES ('meta', :value)"), {"value": json.dumps(meta)}
        )
        counts = {
            name: connection.scalar(select(func.count()).select_from(tables[name]))
            for name in (
                "user_account",
                "actor",
                "publication",
                "hashtag",
                "user_hashtag",
                "follow",
            )
        }
    log(f"  rows: {counts}")


if __name__ == "__main__":
    print(ensure_database(Parameters()))
