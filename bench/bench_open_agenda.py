"""The open agenda benchmark (issue 15): the territory's /agenda.ics with 5,000 events.

Prints exactly (each with its goal):
    agenda_ics_p95_ms: N        server time of GET /agenda.ics (Flask test client), 200 requests,
                                one in ten right after an event was edited (so the calendar is
                                rebuilt: the per-process cache keyed by the feed data's
                                generation is invalidated), the others served from it (goal <= 300)
    agenda_ics_304_p95_ms: N    the same request with the ETag of the last answer
                                (If-None-Match), 200 requests on unchanged data: each a 304
    agenda_ics_build_ms: N      (on stderr) the median time of a rebuild after an edit
    (on stderr) the first build of the process, where every VEVENT is serialised (about 2 ms
    an event with the icalendar library); the later builds reuse the unchanged events' bytes

The town (a database bench_open_agenda on the local PostgreSQL, created and dropped by the run,
the schema made by the models as the test suite makes it): 60 verified actors, 12 hashtags,
5,000 published events over the coming year, one in ten recurring (weekly on one or two days,
some until a date, some with a cancelled date), one in fifty cancelled; planted in bulk.

    .venv/bin/python bench/bench_open_agenda.py [--events 5000] [--requests 200]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
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
PG_DATABASE = "bench_open_agenda"
EVENTS = 5_000
ACTORS = 60
TAGS = ("bio", "marche", "theatre", "sport", "musique", "enfants", "cinema", "voile", "jazz", "danse", "expo", "fete")
GOALS = {"agenda_ics_p95_ms": "<= 300", "agenda_ics_304_p95_ms": "(a 304 on an unchanged ETag)"}


def plant(app: Any, events: int) -> None:
    from app.extensions import db
    from app.models import Base

    rng = random.Random(15)
    now = datetime.now(UTC).replace(microsecond=0)
    started = time.perf_counter()
    with app.app_context():
        engine = db.engine
        Base.metadata.create_all(engine)
        tables = Base.metadata.tables
        with engine.begin() as conn:
            conn.execute(insert(tables["territory"]), [{
                "id": 1, "slug": "laciotat", "name": "La Ciotat", "timezone": "Europe/Paris",
                "default_language": "fr", "enabled_languages_csv": "fr,nl,en", "anonymity_floor": 11,
                "tagline": "", "primary_color": "#0b5fa5", "accent_color": "#e4572e",
                "center_lat": 43.17, "center_lon": 5.6, "created_at": now - timedelta(days=400),
            }])
            conn.execute(insert(tables["territory_host"]), [{"territory_id": 1, "hostname": "localhost"}])
            conn.execute(insert(tables["hashtag"]), [
                {"id": i, "territory_id": 1, "tag": tag} for i, tag in enumerate(TAGS, start=1)
            ])
            conn.execute(insert(tables["actor"]), [{
                "id": a, "territory_id": 1, "kind": rng.choice(("merchant", "association", "culture", "sports_club")),
                "name": f"Acteur {a}", "slug": f"acteur-{a}", "status": "verified", "created_at": now,
            } for a in range(1, ACTORS + 1)])
            rows = []
            links = []
            for number in range(1, events + 1):
                day = rng.randrange(0, 365)
                start = (now + timedelta(days=day)).replace(hour=rng.choice((8, 10, 14, 18, 20)), minute=0, second=0)
                row: dict[str, Any] = {
                    "id": number, "territory_id": 1, "actor_id": rng.randrange(1, ACTORS + 1), "kind": "event",
                    "title": f"Événement {number}", "summary": "Une soirée sur le port, ouverte à toutes et à tous.",
                    "body_md": "Entrée **libre**. Buvette et petite restauration.\n\nRenseignements à l'accueil.",
                    "status": "published", "published_at": now - timedelta(days=1), "starts_at": start,
                    "ends_at": start + timedelta(hours=rng.choice((1, 2, 3))), "place_name": f"Salle {number % 40}",
                    "lat": 43.17 + rng.uniform(-0.01, 0.01), "lon": 5.6 + rng.uniform(-0.01, 0.01),
                    "ical_uid": f"pub-{number}@localhost", "sequence": rng.choice((0, 0, 0, 1, 2)),
                    "created_at": now - timedelta(days=2), "updated_at": now - timedelta(days=rng.randrange(0, 30)),
                }
                if number % 10 == 0:
                    days = rng.choice((["SA"], ["WE", "SA"], ["TU"]))
                    row["rrule"] = f"FREQ=WEEKLY;BYDAY={','.join(days)}" + (
                        f";UNTIL={(start + timedelta(days=180)):%Y%m%dT%H%M%SZ}" if number % 20 == 0 else "")
                    if number % 30 == 0:
                        row["exdates_json"] = json.dumps([(start + timedelta(days=7)).isoformat()])
                if number % 50 == 0:
                    row["cancelled_at"] = now
                rows.append(row)
                for tag in rng.sample(range(1, len(TAGS) + 1), rng.randrange(0, 3)):
                    links.append({"publication_id": number, "hashtag_id": tag})
            conn.execute(insert(tables["publication"]), rows)
            if links:
                conn.execute(insert(tables["publication_hashtag"]), links)
            for table in ("territory", "actor", "hashtag", "publication"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    log(f"planted {events} events in {time.perf_counter() - started:.1f} s")


def _edit_one(app: Any, rng: random.Random) -> None:
    """An editor moves an event by an hour: the calendar must be rebuilt."""
    from app.extensions import db
    from app.publications import services
    from app.publications.models import Publication

    with app.app_context():
        publication = db.session.get(Publication, rng.randrange(1, EVENTS + 1))
        if publication is not None:
            services.update_publication(publication, starts_at=publication.starts_at + timedelta(hours=1),
                                        ends_at=publication.ends_at + timedelta(hours=1))
        db.session.remove()


def measure(app: Any, requests: int) -> tuple[float, float, float, int, int]:
    rng = random.Random(7)
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    timings: list[float] = []
    builds: list[float] = []
    started = time.perf_counter()
    first = client.get("/agenda.ics")
    cold = (time.perf_counter() - started) * 1000
    size = len(first.data)
    events = first.data.count(b"BEGIN:VEVENT")
    log(f"  the first build of the process (every VEVENT serialised by icalendar): {cold:.0f} ms")
    for number in range(1, requests + 5):
        rebuilt = number % 10 == 0
        if rebuilt:
            _edit_one(app, rng)
        started = time.perf_counter()
        response = client.get("/agenda.ics")
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200 and response.mimetype == "text/calendar", response.status_code
        if number >= 5 or rebuilt:
            timings.append(elapsed)
        if rebuilt:
            builds.append(elapsed)
    etag = client.get("/agenda.ics").headers["ETag"]
    not_modified: list[float] = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get("/agenda.ics", headers={"If-None-Match": etag})
        not_modified.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 304, response.status_code
    log(f"  /agenda.ics: {events} VEVENTs, {size / 1e6:.2f} MB; median {statistics.median(timings):.1f} ms,"
        f" p95 {p95(timings):.1f} ms; rebuild median {statistics.median(builds):.1f} ms;"
        f" 304 median {statistics.median(not_modified):.2f} ms")
    return p95(timings), p95(not_modified), statistics.median(builds), size, events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=EVENTS)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    os.environ["RATELIMIT_ENABLED"] = "0"
    import logging

    logging.getLogger("app.access").setLevel(logging.WARNING)  # one line per request: noise here
    from app import create_app
    from app.extensions import db

    with pg_database(PG_DATABASE, PG_ADMIN_URL) as url, tempfile.TemporaryDirectory(prefix="bench-open-agenda-") as tmp:
        app = create_app({"SQLALCHEMY_URL": url, "SECRET_KEY": "bench", "INSTANCE_DIR": tmp,
                          "MAIL_BACKEND": "memory", "RATELIMIT_ENABLED": False})
        try:
            plant(app, args.events)
            served, not_modified, build, _size, _events = measure(app, args.requests)
            print(f"agenda_ics_p95_ms: {served:.1f}", flush=True)
            print(f"agenda_ics_304_p95_ms: {not_modified:.2f}", flush=True)
            log(f"agenda_ics_build_ms: {build:.1f}")
            log("goals: " + ", ".join(f"{name} {goal}" for name, goal in GOALS.items()))
        finally:
            with app.app_context():
                db.session.remove()
                if db.engine is not None:
                    db.engine.dispose()


if __name__ == "__main__":
    main()
