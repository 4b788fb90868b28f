"""The street reports benchmark (issue 14): 100,000 reports on PostgreSQL.

Prints exactly (each with its goal):
    reports_list_p95_ms: N        server time of an area's public list page (/reports?bbox=...)
                                  plus its map data (/reports.geojson?bbox=...), the two
                                  requests of one view added, 200 views of areas of about
                                  1 km x 1 km at random places of the town, some filtered by
                                  category or status (Flask test client; goal <= 200)
    duplicate_lookup_ms: N        p95 of app.reports.services.nearby_open (the open reports of
                                  the same category within 50 m, shown before filing), 1,000
                                  random points and categories (goal <= 20)
    open311_requests_p95_ms: N    GET /open311/v2/requests.json with a service code, a status
                                  and a date range, 200 requests (goal <= 200); "n/a (Open311
                                  not built)" when the route does not exist

The town (a database bench_reports on the local PostgreSQL, created and dropped by the run,
the schema made by the models as the test suite makes it): 12 neighbourhoods on a 4 x 3 grid of
about 6 km x 4.5 km, 15 categories (a few common, a long tail), 20,000 reporters; the reports
planted **in bulk** (executemany of what ``services.file_report`` would store, without going
through it: the benchmark measures the reading side) over two years, denser in the centre,
a fifth still open (some overdue), one in twenty with an approved photo, one in fifty placed by
its address alone (no point: no geocoder found it, no agent placed it yet).
"""

from __future__ import annotations

import argparse
import json
import math
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
PG_DATABASE = "bench_reports"
REPORTS = 100_000
REPORTERS = 20_000
CATEGORIES = 15
NEIGHBOURHOODS = (4, 3)  # columns x rows
WEST, SOUTH, EAST, NORTH = 5.57, 43.15, 5.64, 43.19  # about 5.7 km x 4.5 km around La Ciotat
BATCH = 10_000
GOALS = {"reports_list_p95_ms": "<= 200", "duplicate_lookup_ms": "<= 20", "open311_requests_p95_ms": "<= 200"}


def _point(rng: random.Random) -> tuple[float, float]:
    """Denser in the centre: half the reports around the old town, the rest anywhere."""
    if rng.random() < 0.5:
        lat = min(NORTH, max(SOUTH, rng.gauss((SOUTH + NORTH) / 2, 0.006)))
        lon = min(EAST, max(WEST, rng.gauss((WEST + EAST) / 2, 0.008)))
        return lat, lon
    return rng.uniform(SOUTH, NORTH), rng.uniform(WEST, EAST)


def _hood_of(lat: float, lon: float) -> int:
    columns, rows = NEIGHBOURHOODS
    column = min(columns - 1, int((lon - WEST) / (EAST - WEST) * columns))
    row = min(rows - 1, int((lat - SOUTH) / (NORTH - SOUTH) * rows))
    return 1 + row * columns + column


def plant(app: Any, reports: int) -> dict[str, Any]:
    from app.extensions import db
    from app.models import Base

    rng = random.Random(14)
    now = datetime.now(UTC).replace(microsecond=0)
    started = time.perf_counter()
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
                "center_lat": (SOUTH + NORTH) / 2, "center_lon": (WEST + EAST) / 2, "created_at": now,
            }])
            conn.execute(insert(tables["territory_host"]), [{"territory_id": 1, "hostname": "localhost"}])
            columns, rows = NEIGHBOURHOODS
            width, height = (EAST - WEST) / columns, (NORTH - SOUTH) / rows
            hoods = []
            for row in range(rows):
                for column in range(columns):
                    west, south = WEST + column * width, SOUTH + row * height
                    ring = [[west, south], [west + width, south], [west + width, south + height],
                            [west, south + height], [west, south]]
                    number = 1 + row * columns + column
                    hoods.append({"id": number, "territory_id": 1, "name": f"Quartier {number}", "slug": f"q{number}",
                                  "geojson": json.dumps({"type": "Polygon", "coordinates": [ring]})})
            conn.execute(insert(tables["neighbourhood"]), hoods)
            conn.execute(insert(tables["actor"]), [{
                "id": 1, "territory_id": 1, "kind": "town_service", "name": "Services techniques",
                "slug": "services-techniques", "status": "verified", "created_at": now}])
            conn.execute(insert(tables["report_category"]), [{
                "id": c, "territory_id": 1, "service_code": f"cat{c:02d}", "name": f"Catégorie {c}",
                "description": "", "service_actor_id": 1, "expected_days": (3, 7, 14, 30)[c % 4],
                "active": True, "position": c} for c in range(1, CATEGORIES + 1)])
            conn.execute(text(
                "INSERT INTO user_account (id, territory_id, email, password_hash, display_name, is_admin, created_at)"
                " SELECT i, 1, 'r' || i || '@bench.invalid', 'x', '', false, :now FROM generate_series(1, :n) AS i"
            ), {"now": now, "n": REPORTERS})
            conn.execute(insert(tables["media"]), [{
                "id": 1, "territory_id": 1, "token": "benchphoto", "content_type": "image/jpeg",
                "data": b"\xff\xd8\xff", "width": 640, "height": 480, "created_at": now}])
            weights = [1.0 / (c ** 0.8) for c in range(1, CATEGORIES + 1)]  # a few common, a long tail
            photos = []
            batch: list[dict[str, Any]] = []
            for number in range(1, reports + 1):
                lat, lon = _point(rng)
                placed = rng.random() >= 0.02
                category = rng.choices(range(1, CATEGORIES + 1), weights)[0]
                expected = (3, 7, 14, 30)[category % 4]
                created = now - timedelta(seconds=rng.randrange(0, 730 * 86400))
                roll = rng.random()
                closed = None
                if roll < 0.2 and created > now - timedelta(days=120):
                    status = rng.choice(("received", "acknowledged", "in_progress"))
                elif roll < 0.23:
                    status = "not_ours"
                    closed = created + timedelta(days=rng.uniform(0.1, 5))
                elif roll < 0.25:
                    status = "merged"
                    closed = created + timedelta(days=rng.uniform(0.1, 3))
                else:
                    status = "resolved"
                    closed = created + timedelta(days=rng.expovariate(1 / expected))
                closed = min(closed, now) if closed else None
                batch.append({
                    "id": number, "territory_id": 1, "category_id": category, "status": status,
                    "description": "Signalement de test", "lat": lat if placed else None,
                    "lon": lon if placed else None,
                    "address": f"{rng.randrange(1, 120)} rue {rng.randrange(1, 400)}",
                    "neighbourhood_id": _hood_of(lat, lon) if placed else None, "reporter_id": rng.randrange(1, REPORTERS + 1),
                    "source": "app", "idempotency_key": f"bench-{number}", "created_at": created,
                    "updated_at": closed or created, "expected_by": created + timedelta(days=expected),
                    "closed_at": closed, "not_ours_service": "Métropole" if status == "not_ours" else "",
                })
                if rng.random() < 0.05:
                    photos.append({"report_id": number, "media_id": 1, "approved": rng.random() < 0.8})
                if len(batch) >= BATCH:
                    conn.execute(insert(tables["report"]), batch)
                    batch = []
            if batch:
                conn.execute(insert(tables["report"]), batch)
            conn.execute(insert(tables["report_photo"]), photos)
            for table in ("territory", "neighbourhood", "actor", "report_category", "user_account", "report", "report_photo"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        db.session.remove()
    log(f"planted {reports:,} reports in {time.perf_counter() - started:.1f} s")
    return {"now": now}


def _box(rng: random.Random, size_km: float = 1.0) -> str:
    lat, lon = _point(rng)
    dlat = size_km / 2 / 111.32
    dlon = size_km / 2 / (111.32 * math.cos(math.radians(lat)))
    return f"{lon - dlon:.5f},{lat - dlat:.5f},{lon + dlon:.5f},{lat + dlat:.5f}"


def measure_list(app: Any, views: int) -> float:
    rng = random.Random(7)
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    timings: list[float] = []
    sizes: list[int] = []
    for view in range(views + 10):
        box = _box(rng)
        extra = rng.choice(("", "", "&status=open", f"&category={rng.randrange(1, 6)}", "&status=overdue"))
        started = time.perf_counter()
        page = client.get(f"/reports?bbox={box}{extra}")
        data = client.get(f"/reports.geojson?bbox={box}{extra}")
        elapsed = (time.perf_counter() - started) * 1000
        assert page.status_code == 200 and data.status_code == 200, (page.status_code, data.status_code)
        if view >= 10:  # the first views warm the caches
            timings.append(elapsed)
            sizes.append(len(json.loads(data.data)["features"]))
    log(f"  list + GeoJSON: median {statistics.median(timings):.1f} ms, p95 {p95(timings):.1f} ms,"
        f" {statistics.median(sizes):.0f} reports per area (median), {max(sizes)} at most")
    return p95(timings)


def measure_duplicates(app: Any, lookups: int) -> float:
    from app.extensions import db
    from app.reports.models import ReportCategory
    from app.reports.services import nearby_open
    from app.territories.models import Territory

    rng = random.Random(11)
    timings: list[float] = []
    found = 0
    with app.test_request_context("/", base_url="http://localhost"):
        territory = db.session.get(Territory, 1)
        categories = list(db.session.scalars(db.session.query(ReportCategory).statement))
        for lookup in range(lookups + 20):
            lat, lon = _point(rng)
            category = rng.choice(categories[:6])
            started = time.perf_counter()
            nearby = nearby_open(territory, category, lat, lon)
            elapsed = (time.perf_counter() - started) * 1000
            if lookup >= 20:
                timings.append(elapsed)
                found += bool(nearby)
        db.session.remove()
    log(f"  nearby_open: median {statistics.median(timings):.2f} ms, p95 {p95(timings):.2f} ms,"
        f" a duplicate found for {found / lookups:.0%} of the points")
    return p95(timings)


def measure_open311(app: Any, requests: int, now: datetime) -> float | None:
    adapter = app.url_map.bind("localhost")
    try:
        adapter.match("/open311/v2/requests.json", method="GET")
    except Exception:  # noqa: BLE001 - NotFound or MethodNotAllowed: not built here
        return None
    rng = random.Random(3)
    client = app.test_client()
    timings: list[float] = []
    for number in range(requests + 10):
        end = now - timedelta(days=rng.randrange(0, 600))
        start = end - timedelta(days=90)
        query = (f"service_code=cat{rng.randrange(1, 6):02d}&status={rng.choice(('open', 'closed'))}"
                 f"&start_date={start.strftime('%Y-%m-%dT%H:%M:%SZ')}&end_date={end.strftime('%Y-%m-%dT%H:%M:%SZ')}")
        started = time.perf_counter()
        response = client.get(f"/open311/v2/requests.json?{query}")
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.status_code
        if number >= 10:
            timings.append(elapsed)
    log(f"  Open311 requests: median {statistics.median(timings):.1f} ms, p95 {p95(timings):.1f} ms")
    return p95(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=REPORTS)
    parser.add_argument("--views", type=int, default=200)
    parser.add_argument("--lookups", type=int, default=1000)
    args = parser.parse_args()
    os.environ["RATELIMIT_ENABLED"] = "0"
    import logging

    logging.getLogger("app.access").setLevel(logging.WARNING)  # one line per request: noise here
    from app import create_app
    from app.extensions import db

    with pg_database(PG_DATABASE, PG_ADMIN_URL) as url, tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        app = create_app({"SQLALCHEMY_URL": url, "SECRET_KEY": "bench", "INSTANCE_DIR": tmp,
                          "MAIL_BACKEND": "memory", "RATELIMIT_ENABLED": False})
        try:
            planted = plant(app, args.reports)
            list_p95 = measure_list(app, args.views)
            print(f"reports_list_p95_ms: {list_p95:.1f}", flush=True)
            lookup_p95 = measure_duplicates(app, args.lookups)
            print(f"duplicate_lookup_ms: {lookup_p95:.2f}", flush=True)
            open311 = measure_open311(app, args.views, planted["now"])
            if open311 is None:
                print("open311_requests_p95_ms: n/a (Open311 not built)", flush=True)
            else:
                print(f"open311_requests_p95_ms: {open311:.1f}", flush=True)
            log("goals: " + ", ".join(f"{name} {goal}" for name, goal in GOALS.items()))
        finally:
            with app.app_context():
                db.session.remove()
                if db.engine is not None:
                    db.engine.dispose()


if __name__ == "__main__":
    main()
