"""The geo benchmark (issue 4): zone look-ups on a 100,000-citizen territory, and the check-in.

Prints exactly:
    presence_count_median_ms: N   count of people present in a drawn zone now (goal <= 20)
    zone_estimate_median_ms: N    count of people living in a drawn zone (goal <= 50)
    checkin_req_per_s: N          POST /near/checkin under gunicorn with 2 workers, many
                                  different logged-in citizens (goal >= 500)
Progress goes to stderr. The database (SQLite, in a temporary folder) holds 100,000 citizens,
90 % with a residence cell and the rest with only a neighbourhood, and 10,000 live cells seen
over the last 90 minutes (so about two thirds are still fresh). Each timing includes turning the
zone into cells (H3 polyfill) and the indexed count.

The load generator is ``wrk`` with bench/checkin.lua when installed (`make wrk`), else a
single-process asyncio client.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_feed import SECRET_KEY, free_port, log_in_citizens, make_app, start_gunicorn  # noqa: E402
from bench.feed_data import log  # noqa: E402

CITIZENS = 100_000
LIVE_CELLS = 10_000
CENTRE = (43.17, 5.60)
BOX = (43.14, 5.55, 43.20, 5.65)  # min lat, min lon, max lat, max lon
GRID = 4  # neighbourhoods: a 4 x 4 grid over the box
BATCH = 5000


def boundary() -> dict:
    min_lat, min_lon, max_lat, max_lon = BOX
    return {"type": "Polygon", "coordinates": [[[min_lon, min_lat], [max_lon, min_lat],
            [max_lon, max_lat], [min_lon, max_lat], [min_lon, min_lat]]]}


def random_home(rng: random.Random) -> tuple[float, float]:
    """People cluster around the centre (a town), clipped to the box."""
    min_lat, min_lon, max_lat, max_lon = BOX
    lat = min(max(rng.gauss(CENTRE[0], 0.012), min_lat + 1e-4), max_lat - 1e-4)
    lon = min(max(rng.gauss(CENTRE[1], 0.016), min_lon + 1e-4), max_lon - 1e-4)
    return lat, lon


def generate(app, rng: random.Random) -> list[int]:  # type: ignore[no-untyped-def]
    """Fill the database; returns the ids of citizens who consented to live location."""
    from sqlalchemy import insert

    from app import geo
    from app.accounts.models import Consent, User
    from app.extensions import db
    from app.models import Base
    from app.places.models import LiveCell
    from app.territories.models import Neighbourhood, Territory, TerritoryHost

    now = datetime.now(UTC)
    with app.app_context():
        engine = db.engine
        Base.metadata.create_all(engine)
        territory = Territory(slug="bench", name="Bench Town", center_lat=CENTRE[0], center_lon=CENTRE[1],
                              boundary_geojson=json.dumps(boundary()))
        territory.hosts = [TerritoryHost(hostname="bench.localhost")]
        db.session.add(territory)
        min_lat, min_lon, max_lat, max_lon = BOX
        d_lat, d_lon = (max_lat - min_lat) / GRID, (max_lon - min_lon) / GRID
        for i in range(GRID):
            for j in range(GRID):
                a, b = min_lat + i * d_lat, min_lon + j * d_lon
                ring = [[b, a], [b + d_lon, a], [b + d_lon, a + d_lat], [b, a + d_lat], [b, a]]
                db.session.add(Neighbourhood(territory=territory, name=f"N{i}{j}", slug=f"n{i}{j}",
                                             geojson=json.dumps({"type": "Polygon", "coordinates": [ring]})))
        db.session.commit()
        hood_ids = [h.id for h in territory.neighbourhoods]
        users = []
        for n in range(CITIZENS):
            lat, lon = random_home(rng)
            i = min(int((lat - min_lat) / d_lat), GRID - 1)
            j = min(int((lon - min_lon) / d_lon), GRID - 1)
            has_cell = rng.random() < 0.9
            users.append({
                "territory_id": territory.id, "email": f"citizen{n}@bench.example",
                "password_hash": "!unusable", "display_name": "", "is_admin": False,
                "neighbourhood_id": hood_ids[i * GRID + j],
                "residence_cell": geo.cell_of(lat, lon, geo.RESIDENCE_RESOLUTION) if has_cell else None,
                "population_type": rng.choice(["resident", "tourist", "day_visitor", "second_home"]),
                "created_at": now, "email_verified_at": now, "onboarded_at": now,
            })
        with engine.begin() as connection:
            for start in range(0, len(users), BATCH):
                connection.execute(insert(User), users[start:start + BATCH])
        user_ids = list(range(1, CITIZENS + 1))
        consenting = rng.sample(user_ids, LIVE_CELLS + 5000)
        live = []
        for user_id in consenting[:LIVE_CELLS]:
            lat, lon = random_home(rng)
            live.append({"user_id": user_id, "territory_id": territory.id,
                         "cell": geo.cell_of(lat, lon, geo.LIVE_RESOLUTION),
                         "seen_at": now - timedelta(minutes=rng.uniform(0, 90))})
        consents = [{"user_id": u, "purpose": "live_location", "channel": None, "detail": "bench",
                     "granted_at": now, "withdrawn_at": None} for u in consenting]
        with engine.begin() as connection:
            connection.execute(insert(LiveCell), live)
            for start in range(0, len(consents), BATCH):
                connection.execute(insert(Consent), consents[start:start + BATCH])
            connection.exec_driver_sql("ANALYZE")
    return consenting


def random_zone(rng: random.Random, radius_m: tuple[float, float]):  # type: ignore[no-untyped-def]
    """A drawn zone: an irregular polygon of 12 corners around a point near the centre."""
    from shapely.geometry import Polygon

    lat, lon = random_home(rng)
    r = rng.uniform(*radius_m)
    corners = []
    for k in range(12):
        angle = 2 * math.pi * k / 12
        rr = r * rng.uniform(0.7, 1.0)
        corners.append((lon + rr * math.cos(angle) / (111_320 * math.cos(math.radians(lat))),
                        lat + rr * math.sin(angle) / 111_320))
    return Polygon(corners)


def median_ms(function, zones) -> tuple[float, list[int]]:  # type: ignore[no-untyped-def]
    timings, counts = [], []
    for zone in zones[:10]:  # warm-up
        function(zone)
    for zone in zones:
        started = time.perf_counter()
        counts.append(function(zone))
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), counts


def checkin_citizens(app, user_ids: list[int]) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Signed session cookies (as the app makes them) and their CSRF header tokens."""
    from itsdangerous import URLSafeTimedSerializer

    cookies = log_in_citizens(app, user_ids)
    serializer = app.session_interface.get_signing_serializer(app)
    csrf = URLSafeTimedSerializer(SECRET_KEY, salt="wtf-csrf-token")
    return [(cookie, csrf.dumps(serializer.loads(cookie)["csrf_token"])) for cookie in cookies]


def load_checkins(url: str, citizens: list[tuple[str, str]], seconds: float, concurrency: int,
                  cookie_name: str) -> tuple[float, int]:
    if shutil.which("wrk"):
        return _load_wrk(url, citizens, seconds, concurrency, cookie_name)
    return asyncio.run(_load_aiohttp(url, citizens, seconds, concurrency, cookie_name))


def _load_wrk(url: str, citizens: list[tuple[str, str]], seconds: float, concurrency: int,
              cookie_name: str) -> tuple[float, int]:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(f"{cookie} {token}" for cookie, token in citizens))
        citizen_file = handle.name
    try:
        result = subprocess.run(
            ["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--timeout", "30s",
             "-s", str(ROOT / "bench" / "checkin.lua"), url, "--", cookie_name, citizen_file,
             " ".join(str(v) for v in BOX)],
            capture_output=True, text=True, check=True,
        )
    finally:
        os.unlink(citizen_file)
    for line in result.stdout.splitlines():
        if line.startswith("wrk-result "):
            requests, duration_us, failed, socket_errors = (int(v) for v in line.split()[1:])
            return (requests - failed) / (duration_us / 1e6), failed + socket_errors
    raise SystemExit(f"wrk gave no result: {result.stdout} {result.stderr}")


async def _load_aiohttp(url: str, citizens: list[tuple[str, str]], seconds: float,
                        concurrency: int, cookie_name: str) -> tuple[float, int]:
    import aiohttp

    done = errors = 0
    counter = iter(range(10**9))
    rng = random.Random(42)
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar(),
                                     timeout=aiohttp.ClientTimeout(total=30)) as session:

        async def worker() -> None:
            nonlocal done, errors
            while time.perf_counter() < deadline:
                cookie, token = citizens[next(counter) % len(citizens)]
                body = {"lat": rng.uniform(BOX[0], BOX[2]), "lon": rng.uniform(BOX[1], BOX[3])}
                headers = {"Cookie": f"{cookie_name}={cookie}", "X-CSRFToken": token}
                try:
                    async with session.post(url, json=body, headers=headers) as response:
                        await response.read()
                        if response.status == 200:
                            done += 1
                        else:
                            errors += 1
                except aiohttp.ClientError:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return done / elapsed, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--zones", type=int, default=200, help="drawn zones timed per figure")
    parser.add_argument("--load-citizens", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--skip-load", action="store_true")
    args = parser.parse_args()

    rng = random.Random(11)
    workdir = Path(tempfile.mkdtemp(prefix="bench-geo-"))
    db_path = workdir / "geo.db"
    instance = str(workdir / "instance")
    app = make_app(db_path, instance)
    log(f"generating {CITIZENS} citizens and {LIVE_CELLS} live cells in {db_path}")
    consenting = generate(app, rng)

    from app.extensions import db
    from app.places import live, residence
    from app.territories.models import Territory

    with app.app_context():
        territory = db.session.query(Territory).one()
        now = datetime.now(UTC)
        presence_zones = [random_zone(rng, (300, 1000)) for _ in range(args.zones)]
        presence, counts = median_ms(lambda z: live.count_present(territory, z, now), presence_zones)
        log(f"present in zone: median {statistics.median(counts):.0f} people")
        print(f"presence_count_median_ms: {presence:.1f}", flush=True)
        estimate_zones = [random_zone(rng, (500, 2000)) for _ in range(args.zones)]
        estimate, counts = median_ms(lambda z: residence.count_residents(territory, z), estimate_zones)
        log(f"lives in zone: median {statistics.median(counts):.0f} people")
        print(f"zone_estimate_median_ms: {estimate:.1f}", flush=True)
    if args.skip_load:
        shutil.rmtree(workdir, ignore_errors=True)
        return

    citizens = checkin_citizens(app, consenting[: args.load_citizens])
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    port = free_port()
    server = start_gunicorn(db_path, instance, port)
    try:
        url = f"http://127.0.0.1:{port}/near/checkin"
        log(f"load generator: {'wrk' if shutil.which('wrk') else 'aiohttp (install wrk for a leaner one)'}")
        log("warming up gunicorn")
        load_checkins(url, citizens, 3.0, args.concurrency, cookie_name)
        from bench.bench_feed import load

        trivial_rps, _errors = load(f"http://127.0.0.1:{port}/healthz", [], 5.0, args.concurrency, cookie_name)
        log(f"  trivial page (same server, same run, for scale): {trivial_rps:.0f} req/s")
        log(f"check-in load: {args.concurrency} connections, {args.seconds:.0f} s, {len(citizens)} citizens")
        rps, errors = load_checkins(url, citizens, args.seconds, args.concurrency, cookie_name)
        log(f"  {rps:.0f} req/s, {errors} errors ({rps / trivial_rps:.2f} of the trivial page)")
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"checkin_req_per_s: {rps:.0f}", flush=True)


if __name__ == "__main__":
    main()
