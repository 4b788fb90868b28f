"""The read API benchmark (issue 15): 5,000 events and 300 actors on PostgreSQL.

Prints exactly (with its goal):
    api_list_p95_ms: N    server time of GET /api/v1/publications?kind=event, 300 requests of
                          random pages (per_page 20 or 50), some filtered by hashtag or actor,
                          a few with an occurrence window (from/to); Flask test client (goal <= 100)

The town (a database bench_open_api on the local PostgreSQL, created and dropped by the run, the
schema made by the models as the test suite makes it): 300 verified actors with weekly hours,
20 hashtags, 5,000 events over a year (one in twenty weekly), 1,000 news; planted in bulk.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from sqlalchemy import insert, text  # noqa: E402

from bench.common import log, p95, pg_database  # noqa: E402

PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_DATABASE = "bench_open_api"
EVENTS = 5_000
NEWS = 1_000
ACTORS = 300
HASHTAGS = 20
GOALS = {"api_list_p95_ms": "<= 100"}


def plant(app: Any, events: int) -> datetime:
    from app.extensions import db
    from app.models import Base

    rng = random.Random(15)
    now = datetime.now(UTC).replace(microsecond=0)
    hours = '{"fri": [["09:00", "19:00"]], "mon": [["09:00", "12:00"], ["14:00", "19:00"]], ' \
            '"sat": [["09:00", "13:00"]], "thu": [["09:00", "19:00"]], "tue": [["09:00", "19:00"]]}'
    with app.app_context():
        engine = db.engine
        Base.metadata.create_all(engine)
        tables = Base.metadata.tables
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL synchronous_commit = off"))
            conn.execute(insert(tables["territory"]), [{
                "id": 1, "slug": "laciotat", "name": "La Ciotat", "timezone": "Europe/Paris",
                "default_language": "fr", "enabled_languages_csv": "fr,nl,en", "anonymity_floor": 11,
                "tagline": "", "primary_color": "#0b5fa5", "accent_color": "#e4572e",
                "center_lat": 43.17, "center_lon": 5.60, "created_at": now,
            }])
            conn.execute(insert(tables["territory_host"]), [{"territory_id": 1, "hostname": "localhost"}])
            conn.execute(insert(tables["hashtag"]), [
                {"id": i, "territory_id": 1, "tag": f"tag{i}", "active": True} for i in range(1, HASHTAGS + 1)])
            conn.execute(insert(tables["actor"]), [{
                "id": i, "territory_id": 1, "kind": "merchant" if i % 3 else "association",
                "name": f"Acteur {i:03d}", "slug": f"acteur-{i}", "status": "verified", "created_at": now,
                "opening_hours_json": hours, "lat": 43.16 + rng.random() * 0.03, "lon": 5.58 + rng.random() * 0.04,
            } for i in range(1, ACTORS + 1)])
            conn.execute(insert(tables["actor_hashtag"]), [
                {"actor_id": i, "hashtag_id": 1 + i % HASHTAGS} for i in range(1, ACTORS + 1)])
            rows = []
            for i in range(1, events + NEWS + 1):
                is_event = i <= events
                start = now + timedelta(minutes=rng.randrange(-30 * 24 * 60, 365 * 24 * 60))
                rows.append({
                    "id": i, "territory_id": 1, "actor_id": 1 + rng.randrange(ACTORS),
                    "kind": "event" if is_event else "news", "title": f"Publication {i}",
                    "summary": "Un résumé de la publication pour la liste.", "body_md": "Texte " * 40,
                    "status": "published", "published_at": now - timedelta(days=rng.randrange(60)),
                    "created_at": now - timedelta(days=60), "updated_at": now - timedelta(days=rng.randrange(60)),
                    "starts_at": start if is_event else None,
                    "ends_at": start + timedelta(hours=2) if is_event else None,
                    "rrule": "FREQ=WEEKLY;COUNT=20" if is_event and i % 20 == 0 else "",
                    "place_name": "Place du marché" if is_event else "",
                })
            conn.execute(insert(tables["publication"]), rows)
            conn.execute(insert(tables["publication_hashtag"]), [
                {"publication_id": i, "hashtag_id": 1 + (i * 7) % HASHTAGS} for i in range(1, events + NEWS + 1)])
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    return now


def measure(app: Any, requests: int, events: int, now: datetime) -> float:
    rng = random.Random(150)
    client = app.test_client()
    timings = []
    for n in range(requests + 20):
        per_page = rng.choice((20, 50))
        query = f"kind=event&per_page={per_page}&page={1 + rng.randrange(max(1, events // per_page))}"
        roll = rng.random()
        if roll < 0.2:
            query = f"kind=event&per_page=20&hashtag=tag{1 + rng.randrange(HASHTAGS)}&page={1 + rng.randrange(5)}"
        elif roll < 0.3:
            query = f"kind=event&per_page=20&actor={1 + rng.randrange(ACTORS)}"
        elif roll < 0.35:
            start = now + timedelta(days=rng.randrange(300))
            query = (f"kind=event&per_page=20&from={start.isoformat().replace('+00:00', 'Z')}"
                     f"&to={(start + timedelta(days=7)).isoformat().replace('+00:00', 'Z')}")
        started = time.perf_counter()
        response = client.get(f"/api/v1/publications?{query}")
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (query, response.status_code, response.data[:300])
        if n >= 20:  # the first ones warm the caches
            timings.append(elapsed)
    etag = client.get("/api/v1/publications?kind=event").headers["ETag"]
    assert client.get("/api/v1/publications?kind=event", headers={"If-None-Match": etag}).status_code == 304
    return p95(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=EVENTS)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    os.environ["RATELIMIT_ENABLED"] = "0"
    logging.getLogger("app.access").setLevel(logging.WARNING)
    from app import create_app
    from app.extensions import db

    with pg_database(PG_DATABASE, PG_ADMIN_URL) as url, tempfile.TemporaryDirectory(prefix="bench-open-api-") as tmp:
        app = create_app({"SQLALCHEMY_URL": url, "SECRET_KEY": "bench", "INSTANCE_DIR": tmp,
                          "MAIL_BACKEND": "memory", "RATELIMIT_ENABLED": False})
        try:
            now = plant(app, args.events)
            print(f"api_list_p95_ms: {measure(app, args.requests, args.events, now):.1f}", flush=True)
            log("goals: " + ", ".join(f"{name} {goal}" for name, goal in GOALS.items()))
        finally:
            with app.app_context():
                db.session.remove()
                if db.engine is not None:
                    db.engine.dispose()


if __name__ == "__main__":
    main()
