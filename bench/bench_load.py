"""The load benchmark: 200, then 1,000 citizens browsing while a 20,000-recipient campaign sends.

Each phase (``--users 200,1000``: one after the other on the same territory and server; `make
bench-load` runs both) sends a campaign of its own once all the users are there. The 200-user
phase prints exactly:
    load_p95_ms: N          95th percentile of every page served during the run (goal <= 200)
    load_median_ms: N
    load_errors: N          requests that failed: not a 200, or a logged-out page (goal 0)
    load_req_per_s: N
    campaign_delivered: N   recipients (of 20,000) reached on all their channels (push and inbox)
    campaign_seconds: N     "send now" to the last delivery recorded (nan: not drained in time)
    rate_limits: disabled   (RATELIMIT_ENABLED=0: 200 citizens share one address here)
and, as every phase does, ``load_p95_quiet_ms`` and ``load_p95_sending_ms`` (the p95 of full load
without the campaign, and while it sends: from every request locust made), their ratio,
``load_generator_cpu_share`` (locust's CPU over the 2 cores' time) and ``load_load_average``.
The 1,000-user phase prints the same as ``load_1000_*`` (``load_1000_p95_ms``,
``load_1000_errors``: goals <= 200 and 0), and ``load_campaign_p95_ratio`` (goal <= 1.5).
Progress goes to stderr, with what a profile needs: each page's server time alone (in-process,
before the load), each page's figures under load, a timeline of the p95 marking when the
campaign was sending, and the CPU seconds each part took (gunicorn, delivery worker, push
service, PostgreSQL, locust) against what the two cores offered: when that sum is far below
it, the machine was busy with something else and the latencies are queueing, not cost.

The set-up is production's, on one machine: PostgreSQL (a database ``bench_load`` created for
the run and dropped at the end), Redis (db 7, flushed before and after: the Huey queue),
gunicorn with gunicorn_config.py (as `make run`: a process per core, 4 threads each), the delivery consumer (tests/support/delivery_worker.py, i.e.
``huey_consumer app.worker.huey`` with 2 worker processes plus the test-only switch that lets it
talk plain http to the local push service), and the local push service of bench-push
(tests/support/push_service.py, in a process of its own: it checks the VAPID tokens and decrypts
1 % of the messages with the subscribers' real P-256 keys). The push service stands for Google's,
Mozilla's and Apple's, which run on machines of their own: it runs at niceness 19 (``--push-nice``),
so that its work takes the cores only when the town's processes leave them idle; its CPU seconds
are still printed.

The territory is bench-audience's generator (20,000 citizens with hashtags, follows, consents,
mutes; 200 actors), completed here with bulk SQL: actors with a place and opening hours,
10,000 publications over the past year (news, events, offers, some located), everybody following
the town hall, push switched on with one subscription each. 200 citizens get a server-side
session (an AuthSession row and a signed cookie, as bench-feed does: no argon2 at log-in).

locust (bench/locustfile.py, FastHttpUser, one process: the machine has 2 cores and the load
generator shares them) runs each phase's users spawned at a tenth of them per second for 2 minutes, 1 to 5 s between pages.
Each user opens its first page at a random moment of the second it was spawned in: locust starts
each second's users at the same instant, and their first pages came as one burst of 100
requests, every second of the arrival (a median of 170-850 ms that no arrival of people gives).
A paced campaign (CAMPAIGN_SEND_RATE, 250 deliveries a second: 80 s for 20,000 people) makes the
phase longer: the load goes on for 30 s after the campaign's expected end.
Once they are all there, the town hall's campaign is sent through the service behind "Send now"
(app.campaigns.services.schedule_campaign) to push and the inbox.

    python bench/bench_load.py [--users 200,1000] [--seconds 120] [--citizens 20000] [--worker-nice 10]
                               [--push-nice 19] [--locust-processes 1] [--pages-only]

WEB_WORKERS, WEB_THREADS, WEB_WORKER_CLASS in the environment change gunicorn's settings
(gunicorn_config.py). One locust process holds 1,000 FastHttpUsers (a few % of a core);
``--locust-processes`` forks more.

BENCH_LOAD_KEEP=DIR keeps the run's files there (gunicorn's and the worker's logs, locust's
statistics and every request's sample, one file per phase) for a profile of the run; with
BENCH_LOAD_ACCESS_LOG=1 gunicorn's log also has the app's access log (each request's time in
the app, without the time it waited for a thread: set against locust's samples, the queueing).

The delivery worker runs at niceness 10 by default, as `make run` starts it: on a machine it
shares with the web processes, sending a campaign yields the CPU to the pages people wait for
(it is not slower for it: the pages leave the cores idle most of the time).
"""

from __future__ import annotations

import argparse
import atexit
import csv
import json
import math
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORKDIR = Path(tempfile.mkdtemp(prefix="bench-load-"))
REDIS_URL = os.environ.get("BENCH_LOAD_REDIS_URL", "redis://127.0.0.1:6379/7")
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_DATABASE = "bench_load"
PG_URL = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + PG_DATABASE
# Before app.queue makes its Huey (at import): Redis db 7, real consumers.
os.environ.update(
    INSTANCE_DIR=str(WORKDIR / "instance"), REDIS_URL=REDIS_URL, HUEY_IMMEDIATE="0", RATELIMIT_ENABLED="0"
)

from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from bench.bench_audience import generate as generate_people  # noqa: E402
from bench.bench_feed import SECRET_KEY, free_port, log_in_citizens  # noqa: E402
from bench.feed_data import log  # noqa: E402

CENTRE = (43.17, 5.60)
TOWN_HALL_ID = 1000  # the campaign's sender, followed by everybody (bench-audience's actors are 1..200)
KEY_POOL = 500
TITLE = "Travaux rue du Port : circulation alternée"
ENV = {
    "DATABASE_URL": PG_URL,
    "REDIS_URL": REDIS_URL,
    "SECRET_KEY": SECRET_KEY,
    "INSTANCE_DIR": str(WORKDIR / "instance"),
    "RATELIMIT_ENABLED": "0",
    "ACCESS_LOG": os.environ.get("BENCH_LOAD_ACCESS_LOG", "0"),
    "HUEY_IMMEDIATE": "0",
    "MAIL_BACKEND": "memory",
    "PREFERRED_URL_SCHEME": "http",
}
SHOP_HOURS = json.dumps(
    {d: [["08:00", "12:30"], ["14:00", "23:30"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    sort_keys=True,
)


# -- clean-up, whatever happens -----------------------------------------------------------------


class Cleanup:
    """Processes to stop, then the database to drop and Redis db 7 to flush; runs once, from
    ``finally``, atexit or a SIGTERM."""

    def __init__(self) -> None:
        self.processes: list[tuple[str, subprocess.Popen[Any]]] = []
        self.done = False

    def track(self, name: str, process: subprocess.Popen[Any]) -> subprocess.Popen[Any]:
        self.processes.append((name, process))
        return process

    def __call__(self) -> None:
        if self.done:
            return
        self.done = True
        for _name, process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for name, process in reversed(self.processes):
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                log(f"  {name} did not stop: killed")
                process.kill()
                process.wait(5)
        try:
            drop_database(attempts=15)
        except Exception as error:  # noqa: BLE001 - clean-up goes on
            log(f"  could not drop {PG_DATABASE}: {error}")
        try:
            flush_redis()
        except Exception as error:  # noqa: BLE001
            log(f"  could not flush {REDIS_URL}: {error}")
        if os.environ.get("BENCH_LOAD_KEEP"):
            shutil.copytree(WORKDIR, os.environ["BENCH_LOAD_KEEP"], dirs_exist_ok=True)
        shutil.rmtree(WORKDIR, ignore_errors=True)


def flush_redis() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    client.close()


def admin_execute(statement: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(statement))
    finally:
        admin.dispose()


def drop_database(attempts: int = 1) -> None:
    """Drop the run's database; with ``attempts``, wait for a PostgreSQL that restarts."""
    for attempt in range(attempts):
        try:
            admin_execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
            return
        except Exception:
            if attempt == attempts - 1:
                raise
            time.sleep(2)


# -- the territory --------------------------------------------------------------------------------


def mirror_defaults(engine: Any) -> None:
    """Create the schema, and give each column with a constant Python-side default the same
    default in the database: the bulk ``INSERT ... SELECT`` of the generators bypass
    SQLAlchemy's defaults, and must keep working when a model gains a column."""
    from app.models import Base

    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                default = column.default
                if column.server_default is not None or default is None or not default.is_scalar:
                    continue
                literal = column.type.literal_processor(engine.dialect)
                value = literal(default.arg) if literal else repr(default.arg)
                conn.execute(text(f'ALTER TABLE "{table.name}" ALTER COLUMN "{column.name}" SET DEFAULT {value}'))


def populate(citizens: int, push_origin: str, pool: list[Any]) -> dict[str, Any]:
    """bench-audience's people and actors, then what browsing and the campaign need. Returns
    what the locust file picks from (actor slugs, publication ids, points)."""
    from app.extensions import make_engine
    from app.notifications.models import PushSubscription
    from tests.support.push_service import pool_subscription

    engine = make_engine(PG_URL)
    now = datetime.now(UTC).replace(microsecond=0)
    started = time.perf_counter()
    try:
        mirror_defaults(engine)
        generate_people(engine, citizens)
        publications = citizens // 2
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL synchronous_commit = off"))
            conn.execute(
                text("INSERT INTO territory_host (territory_id, hostname) VALUES (1, 'localhost')")
            )
            # Actors with a place around the centre, opening hours (most open now), a summary.
            conn.execute(
                text(
                    "UPDATE actor SET lat = :lat + ((id * 37) % 101 - 50) / 4000.0,"
                    " lon = :lon + ((id * 53) % 101 - 50) / 3000.0, address = id || ' rue du Port',"
                    " summary = 'Un acteur local du territoire.', verified_at = created_at,"
                    " opening_hours_json = CASE WHEN id % 4 = 0 THEN '{}' ELSE :hours END"
                ),
                {"lat": CENTRE[0], "lon": CENTRE[1], "hours": SHOP_HOURS},
            )
            conn.execute(
                text(
                    "INSERT INTO actor (id, territory_id, kind, name, slug, summary, description_md,"
                    " address, phone, email, website, opening_hours_json, status, created_at, verified_at,"
                    " lat, lon) VALUES (:id, 1, 'town_service', 'Mairie de Bench', 'mairie', 'La mairie.',"
                    " '', 'Place de la Mairie', '', '', '', :hours, 'verified', :now, :now, :lat, :lon)"
                ),
                {"id": TOWN_HALL_ID, "hours": SHOP_HOURS, "now": now, "lat": CENTRE[0], "lon": CENTRE[1]},
            )
            conn.execute(
                text(
                    "INSERT INTO actor_hashtag (actor_id, hashtag_id)"
                    " SELECT id, 1 + (id * 7 + k * 41) % 150 FROM actor"
                    " CROSS JOIN (SELECT 0 AS k UNION ALL SELECT 1) AS ks WHERE territory_id = 1"
                )
            )
            # Publications over the past year, ids in publication order; events start within
            # 45 days of being announced, offers run 3 to 30 days; a third carry their own point.
            conn.execute(
                text(
                    "INSERT INTO publication (id, territory_id, actor_id, kind, title, summary, body_md,"
                    " status, moderation_reason, place_name, is_welcome_offer, welcome_population_types,"
                    " created_at, updated_at, published_at, starts_at, ends_at, valid_from, valid_until,"
                    " lat, lon)"
                    " SELECT i, 1, actor_id, kind, 'Publication ' || i || ' : une nouvelle du territoire',"
                    " 'Un court résumé de ce qui se passe, pour donner envie d''en savoir plus.',"
                    " 'Le texte complet de la publication.',"
                    " CASE WHEN i % 50 = 0 THEN 'draft' ELSE 'published' END, '',"
                    " CASE WHEN kind = 'event' THEN 'Salle des fêtes' ELSE '' END, false, '', at, at,"
                    " CASE WHEN i % 50 = 0 THEN NULL ELSE at END,"
                    " CASE WHEN kind = 'event' THEN at + (i % 45) * INTERVAL '1 day' + (i % 24) * INTERVAL '1 hour' END,"
                    " CASE WHEN kind = 'event' THEN at + (i % 45) * INTERVAL '1 day' + (i % 24 + 3) * INTERVAL '1 hour' END,"
                    " CASE WHEN kind = 'offer' THEN at END,"
                    " CASE WHEN kind = 'offer' THEN at + (3 + i % 28) * INTERVAL '1 day' END,"
                    " CASE WHEN i % 3 = 0 THEN :lat + ((i * 17) % 101 - 50) / 4000.0 END,"
                    " CASE WHEN i % 3 = 0 THEN :lon + ((i * 29) % 101 - 50) / 3000.0 END"
                    " FROM (SELECT i, 1 + FLOOR(200 * POWER(((i * 69621 + 7) % 2147483647) / 2147483647.0, 2))::int"
                    " AS actor_id, CASE WHEN i % 20 < 11 THEN 'news' WHEN i % 20 < 17 THEN 'event'"
                    " ELSE 'offer' END AS kind, :now - (:n - i) * INTERVAL '1 second' * (365 * 86400 / :n) AS at"
                    " FROM generate_series(1, :n) AS seq(i)) AS p"
                ),
                {"n": publications, "now": now, "lat": CENTRE[0], "lon": CENTRE[1]},
            )
            conn.execute(
                text(
                    "INSERT INTO publication_hashtag (publication_id, hashtag_id)"
                    " SELECT id, 1 + (id * 13 + k * 31) % 150 FROM publication"
                    " CROSS JOIN (SELECT 0 AS k UNION ALL SELECT 1) AS ks"
                )
            )
            # The campaign's audience: everybody follows the town hall, push on, no quiet hours.
            conn.execute(
                text("INSERT INTO follow (user_id, actor_id, created_at) SELECT id, :actor, :now"
                     " FROM user_account WHERE territory_id = 1"),
                {"actor": TOWN_HALL_ID, "now": now},
            )
            conn.execute(
                text(
                    "UPDATE user_account SET email_verified_at = :now, onboarded_at = :now,"
                    " display_name = 'Citoyen ' || id,"
                    # established (app.releases.engine.established): counted by the campaign's release
                    " created_at = LEAST(created_at, :now - INTERVAL '30 days') WHERE territory_id = 1"
                ),
                {"now": now},
            )
            conn.execute(
                text(
                    "INSERT INTO notification_settings (user_id, push_enabled, email_enabled, sms_enabled,"
                    " phone_code_attempts, daily_cap, quiet_start, quiet_end, updated_at)"
                    " SELECT id, true, false, false, 0, 10, NULL, NULL, :now FROM user_account"
                    " WHERE territory_id = 1"
                ),
                {"now": now},
            )
            user_ids = conn.scalars(text("SELECT id FROM user_account WHERE territory_id = 1 ORDER BY id")).all()
            rows = []
            for user_id in user_ids:
                sub = pool_subscription(push_origin, pool, user_id)
                rows.append(
                    {"user_id": user_id, "territory_id": 1, "endpoint": sub["endpoint"],
                     "endpoint_hash": f"{user_id:064x}", "p256dh": sub["keys"]["p256dh"],
                     "auth": sub["keys"]["auth"], "created_at": now}
                )
            conn.execute(insert(PushSubscription), rows)
            for table in ("actor", "publication", "territory", "user_account", "hashtag"):  # explicit ids
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
            visible = conn.scalars(
                text("SELECT id FROM publication WHERE status = 'published' ORDER BY id DESC LIMIT 2000")
            ).all()
            slugs = conn.scalars(text("SELECT slug FROM actor WHERE territory_id = 1 AND status = 'verified'")).all()
        log(f"  territory: {len(user_ids):,} citizens, {publications:,} publications, "
            f"{len(slugs)} actors ({time.perf_counter() - started:.1f} s)")
    finally:
        engine.dispose()
    points = [
        (CENTRE[0] + ((k * 37) % 41 - 20) / 2000.0, CENTRE[1] + ((k * 53) % 41 - 20) / 1500.0) for k in range(50)
    ]
    return {"publications": list(visible), "actors": list(slugs), "points": points}


# -- the processes ----------------------------------------------------------------------------------


def wait_for_http(url: str, process: subprocess.Popen[Any], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{what} did not start")


def start_gunicorn(cleanup: Cleanup, port: int) -> subprocess.Popen[Any]:
    process = cleanup.track("gunicorn", subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", str(ROOT / "gunicorn_config.py"), "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", "app:create_app()"],
        cwd=ROOT, env={**os.environ, **ENV},
        stdout=subprocess.DEVNULL, stderr=open(WORKDIR / "gunicorn.log", "w"),  # noqa: SIM115
    ))
    wait_for_http(f"http://127.0.0.1:{port}/healthz", process, "gunicorn")
    return process


def start_workers(cleanup: Cleanup, push_netloc: str, nice: int) -> subprocess.Popen[Any]:
    command = [sys.executable, "-m", "tests.support.delivery_worker", "--insecure-host", push_netloc,
               "--workers", "2", "--worker-type", "process"]
    if nice:
        command = ["nice", "-n", str(nice), *command]
    return cleanup.track("delivery worker", subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, **ENV}, stdout=subprocess.DEVNULL,
        stderr=open(WORKDIR / "worker.log", "w"),  # noqa: SIM115 - closed with the process
    ))


def start_locust(cleanup: Cleanup, port: int, users: int, seconds: int, processes: int) -> subprocess.Popen[Any]:
    extra = ["--processes", str(processes)] if processes != 1 else []
    return cleanup.track("locust", subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
         "-u", str(users), "-r", str(max(1, users // 10)), "-t", f"{seconds}s", "--host", f"http://127.0.0.1:{port}",
         "--csv", str(WORKDIR / "load"), "--csv-full-history", "--only-summary", "--stop-timeout", "10",
         "--loglevel", "WARNING", "--exit-code-on-error", "0", *extra],
        cwd=ROOT, env={**os.environ, "BENCH_LOAD_DATA": str(WORKDIR / "locust.json"),
                       "BENCH_LOAD_SAMPLES": str(WORKDIR / "samples")},
        stdout=open(WORKDIR / "locust.log", "w"), stderr=subprocess.STDOUT,  # noqa: SIM115
    ))


def cpu_seconds(pids: dict[str, list[int]]) -> dict[str, float]:
    """CPU used so far (user + system) by each group of processes: the roots, their children
    that ended (reaped: counted in the root's children times) and those still running."""
    import psutil

    totals: dict[str, float] = {}
    for name, roots in pids.items():
        total = 0.0
        for pid in roots:
            try:
                root = psutil.Process(pid)
                times = root.cpu_times()
                total += times.user + times.system + times.children_user + times.children_system
                for child in root.children(recursive=True):
                    times = child.cpu_times()
                    total += times.user + times.system
            except psutil.Error:
                continue
        totals[name] = total
    return totals


def postmaster_pid() -> list[int]:
    """PostgreSQL's main process (its backends are its children), when this user may see it."""
    import psutil

    for process in psutil.process_iter(["name", "ppid"]):
        if process.info["name"] in {"postgres", "postmaster"}:
            try:
                if psutil.Process(process.info["ppid"]).name() not in {"postgres", "postmaster"}:
                    return [process.pid]
            except psutil.Error:
                continue
    return []


def page_costs(app: Any, data: dict[str, Any], rounds: int = 20) -> None:
    """Each page's server time in this process, one request at a time (no load, no network):
    what a page costs by itself, to tell a slow page from a crowded machine."""
    import random
    import statistics

    rng = random.Random(7)
    client = app.test_client()
    cookie_name = data["cookie_name"]
    pages = {
        "/ (for you)": lambda: "/",
        "/?page=2 (htmx)": lambda: "/?page=2",
        "/all (everything)": lambda: "/all",
        "/p/[id]": lambda: f"/p/{rng.choice(data['publications'])}",
        "/near?lat&lon": lambda: "/near?lat={:.5f}&lon={:.5f}".format(*rng.choice(data["points"])),
        "/actors/[slug]": lambda: f"/actors/{rng.choice(data['actors'])}",
        "/me/inbox": lambda: "/me/inbox",
    }
    figures = []
    for name, path in pages.items():
        timings = []
        for index in range(rounds + 3):
            client.set_cookie(cookie_name, data["cookies"][index % len(data["cookies"])])
            started = time.perf_counter()
            response = client.get(path(), headers={"HX-Request": "true"} if "htmx" in name else {})
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{name}: status {response.status_code}")
            if index >= 3:
                timings.append(elapsed)
        figures.append(f"{name} {statistics.median(timings):.0f}")
    log("  server time of each page alone, median ms: " + ", ".join(figures))


# -- the campaign -------------------------------------------------------------------------------------


def make_app() -> Any:
    from app import create_app

    return create_app({**ENV, "SQLALCHEMY_URL": PG_URL, "RATELIMIT_ENABLED": False})


def send_campaign(app: Any) -> tuple[int, datetime]:
    """The town hall's campaign, sent as "Send now" sends it; returns (run id, when)."""
    from app.campaigns.models import Campaign
    from app.campaigns.services import schedule_campaign
    from app.extensions import db
    from app.models_common import utcnow

    with app.app_context():
        campaign = Campaign(
            territory_id=1, actor_id=TOWN_HALL_ID, title=TITLE, schedule_kind="now", status="draft",
            body="Du lundi au vendredi, de 8 h à 17 h. Merci de votre patience.",
            criteria_json='{"match": "all", "rules": [{"kind": "followers"}]}',
        )
        campaign.channels = ["push", "inbox"]
        db.session.add(campaign)
        db.session.commit()
        started_at = utcnow()
        began = time.perf_counter()
        run = schedule_campaign(campaign, started_at)
        assert run is not None and run.status == "sending", run and run.status
        log(f"  campaign sent now: {run.audience_size:,} people, run started in {time.perf_counter() - began:.1f} s")
        return run.id, started_at


def deliveries_left(app: Any, run_id: int) -> int:
    from app.campaigns.models import Delivery
    from app.extensions import db

    with app.app_context():
        return int(db.session.scalar(select(func.count()).where(
            Delivery.run_id == run_id, Delivery.status.in_(("queued", "sending"))
        )) or 0)


def campaign_progress(app: Any, run_id: int) -> tuple[int, int, int, datetime | None]:
    """(deliveries left, deliveries sent, people reached on all their channels, last sent_at)."""
    from app.campaigns.models import Delivery
    from app.extensions import db

    with app.app_context():
        counts = dict(db.session.execute(
            select(Delivery.status, func.count()).where(Delivery.run_id == run_id).group_by(Delivery.status)
        ).all())
        people = db.session.scalar(select(func.count(func.distinct(Delivery.user_id))).where(Delivery.run_id == run_id))
        not_reached = db.session.scalar(
            select(func.count(func.distinct(Delivery.user_id))).where(Delivery.run_id == run_id, Delivery.status != "sent")
        )
        last = db.session.scalar(select(func.max(Delivery.sent_at)).where(Delivery.run_id == run_id))
        left = counts.get("queued", 0) + counts.get("sending", 0)
        return left, counts.get("sent", 0), (people or 0) - (not_reached or 0), last


# -- locust's figures -----------------------------------------------------------------------------------


def read_stats() -> tuple[dict[str, str], list[dict[str, str]]]:
    with open(WORKDIR / "load_stats.csv") as handle:
        rows = list(csv.DictReader(handle))
    aggregated = next(r for r in rows if r["Name"] == "Aggregated")
    return aggregated, [r for r in rows if r["Name"] != "Aggregated"]


def timeline(started: float, campaign_window: tuple[float, float] | None) -> None:
    """Every 10 s of the run: users, req/s and the p95 of the last 10 s, and whether the
    campaign was sending (what the profile needs: does the campaign slow the pages?)."""
    path = WORKDIR / "load_stats_history.csv"
    if not path.exists():
        return
    with open(path) as handle:
        rows = [r for r in csv.DictReader(handle) if r["Name"] == "Aggregated" and r["95%"] not in ("N/A", "")]
    shown = -10.0
    for row in rows:
        at = float(row["Timestamp"]) - started
        if at - shown < 10:
            continue
        shown = at
        sending = campaign_window is not None and campaign_window[0] <= at <= campaign_window[1] + 10
        log(f"  t={at:5.0f} s  users {row['User Count']:>4}  {float(row['Requests/s']):6.1f} req/s"
            f"  p50 {row['50%']:>5} ms  p95 {row['95%']:>5} ms{'  (campaign sending)' if sending else ''}")


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def read_samples(load_started: float) -> list[tuple[float, float, bool]]:
    """Every request of the run from bench/locustfile.py's sample files (one per locust process):
    (seconds into the run at its start, response time in ms, succeeded)."""
    samples = []
    for path in WORKDIR.glob("samples-*.csv"):
        for line in path.read_text().splitlines():
            at, ms, ok = line.split(",")
            samples.append((float(at) - load_started, float(ms), ok == "1"))
        if os.environ.get("BENCH_LOAD_KEEP"):
            os.makedirs(os.environ["BENCH_LOAD_KEEP"], exist_ok=True)
            shutil.copy(path, Path(os.environ["BENCH_LOAD_KEEP"]) / f"{path.name}.{load_started:.0f}")
        path.unlink()
    return samples


def run_phase(app: Any, args: argparse.Namespace, port: int, users: int, groups: dict[str, list[int]],
              service: Any, cleanup: Cleanup) -> None:
    """``users`` citizens browsing for ``args.seconds`` while a campaign sends; prints the figures
    (``load_*`` for 200 users, ``load_<users>_*`` otherwise)."""
    prefix = "load" if users == 200 else f"load_{users}"
    spawn_rate = max(1, users // 10)
    ramp = users / spawn_rate + 2
    campaign_at = max(args.campaign_at, ramp + 20)  # some quiet time under full load first
    # A paced campaign (CAMPAIGN_SEND_RATE) sends for citizens / rate seconds: the load goes on
    # for 30 s after it too, so that the p95 without the campaign is not only the minutes just
    # after the users' arrival.
    rate = float(app.config.get("CAMPAIGN_SEND_RATE") or 0)
    seconds = max(args.seconds, math.ceil(campaign_at + args.citizens / rate + 30)) if rate else args.seconds
    log(f"phase: {users} users, {seconds} s, locust processes {args.locust_processes}, campaign at t={campaign_at:.0f} s"
        f"{f', paced at {rate:.0f} deliveries a second' if rate else ''}")
    cpu_before = cpu_seconds(groups)
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    loadavg_before = os.getloadavg()
    load_started = time.time()
    locust = start_locust(cleanup, port, users, seconds, args.locust_processes)
    time.sleep(campaign_at)
    run_id, campaign_started = send_campaign(app)
    campaign_began = time.time() - load_started
    campaign_done: float | None = None
    deadline = time.monotonic() + args.campaign_timeout
    loads = []
    # Until locust is done and the campaign drained (or its time is up).
    while locust.poll() is None or (campaign_done is None and time.monotonic() < deadline):
        if locust.poll() is None:
            loads.append(os.getloadavg()[0])
        if campaign_done is None:
            try:
                left = deliveries_left(app, run_id)
            except OperationalError:  # PostgreSQL restarting (another run's fault test)
                log("  PostgreSQL unreachable: waiting")
                left = -1
            if left == 0:
                campaign_done = time.time() - load_started
                log(f"  campaign drained at t={campaign_done:.0f} s")
        time.sleep(1)
    cpu_after = cpu_seconds(groups)
    # locust has ended and been waited for: the only child reaped since the phase began
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_after["locust"] = (children_after.ru_utime + children_after.ru_stime
                           - children_before.ru_utime - children_before.ru_stime)
    left, sent, reached, last_sent = campaign_progress(app, run_id)
    if locust.returncode not in (0, None):
        log((WORKDIR / "locust.log").read_text()[-3000:])
        raise SystemExit(f"locust exited with {locust.returncode}")

    aggregated, pages = read_stats()
    log("pages (requests, failures, median, p95 in ms):")
    for row in pages:
        log(f"  {row['Name']:22} {row['Request Count']:>6} {row['Failure Count']:>4} "
            f"{row['Median Response Time']:>6} {row['95%']:>6}")
    timeline(load_started, (campaign_began, campaign_done) if campaign_done else None)
    failures = WORKDIR / "load_failures.csv"
    if failures.exists() and int(aggregated["Failure Count"]):
        log("failures:\n" + failures.read_text()[:2000])
    server_log = (WORKDIR / "gunicorn.log").read_text(errors="replace").splitlines()
    errors = [line for line in server_log if " ERROR " in line]
    if errors:
        causes = sorted({line for line in server_log if line.startswith(("psycopg.", "sqlalchemy.", "redis."))})
        log(f"server errors logged so far: {len(errors)}; causes: {causes[:3]}")
    wall = time.time() - load_started
    used = {name: cpu_after[name] - cpu_before.get(name, 0) for name in cpu_after}
    log("CPU seconds over the phase (2 cores = " + f"{2 * wall:.0f} s available): " + ", ".join(
        f"{name} {value:.0f}" for name, value in used.items()))
    log(f"  load average: {loadavg_before[0]:.2f} before, {sum(loads) / max(1, len(loads)):.2f} mean during"
        f" the load, {max(loads, default=0):.2f} max")
    log(f"  deliveries sent: {sent:,}, left: {left:,}; push service: {service.stats()}")

    # The p95 without the campaign (full load, before it and after it drained) and while it sends.
    samples = read_samples(load_started)
    window_end = (campaign_done if campaign_done is not None else float("inf")) + 2
    quiet = [ms for at, ms, _ok in samples if at >= ramp and not campaign_began <= at <= window_end]
    sending = [ms for at, ms, _ok in samples if campaign_began <= at <= window_end]
    quiet_p95, sending_p95 = percentile(quiet, 0.95), percentile(sending, 0.95)
    log(f"  p95 without the campaign {quiet_p95:.0f} ms ({len(quiet)} requests), while it sends"
        f" {sending_p95:.0f} ms ({len(sending)} requests)")

    print(f"{prefix}_p95_ms: {float(aggregated['95%']):.0f}", flush=True)
    print(f"{prefix}_median_ms: {float(aggregated['Median Response Time']):.0f}", flush=True)
    print(f"{prefix}_errors: {int(aggregated['Failure Count'])}", flush=True)
    print(f"{prefix}_req_per_s: {float(aggregated['Requests/s']):.1f}", flush=True)
    print(f"{prefix}_p95_quiet_ms: {quiet_p95:.0f}", flush=True)
    print(f"{prefix}_p95_sending_ms: {sending_p95:.0f}", flush=True)
    ratio_name = "load_campaign_p95_ratio" if users == 1000 else f"load_campaign_p95_ratio_{users}"
    print(f"{ratio_name}: {sending_p95 / quiet_p95 if quiet_p95 > 0 else float('nan'):.2f}", flush=True)
    print(f"{prefix}_generator_cpu_share: {used['locust'] / (2 * wall):.2f}", flush=True)
    print(f"{prefix}_load_average: {sum(loads) / max(1, len(loads)):.2f}", flush=True)
    print(f"{prefix}_campaign_delivered: {reached}", flush=True)
    seconds = (last_sent - campaign_started).total_seconds() if last_sent and left == 0 else float("nan")
    print(f"{prefix}_campaign_seconds: {seconds:.1f}", flush=True)
    if users == 200:  # the names the 200-user run always printed
        print(f"campaign_delivered: {reached}", flush=True)
        print(f"campaign_seconds: {seconds:.1f}", flush=True)
        print("rate_limits: disabled", flush=True)


# -- the run -------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", default="200",
                        help="users of each phase, one after the other on the same territory: 200, 1000, 200,1000")
    parser.add_argument("--locust-processes", type=int, default=int(os.environ.get("BENCH_LOAD_LOCUST_PROCESSES", "1")),
                        help="locust worker processes (-1: one per core)")
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--citizens", type=int, default=20_000)
    parser.add_argument("--campaign-at", type=float, default=20.0, help="seconds into the run")
    parser.add_argument("--campaign-timeout", type=float, default=180.0)
    parser.add_argument("--worker-nice", type=int, default=int(os.environ.get("BENCH_LOAD_WORKER_NICE", "10")),
                        help="niceness of the delivery worker's processes")
    parser.add_argument("--push-nice", type=int, default=int(os.environ.get("BENCH_LOAD_PUSH_NICE", "19")),
                        help="niceness of the local push service (it stands for the push services' own machines)")
    parser.add_argument("--pages-only", action="store_true", help="only each page's server time, no load")
    args = parser.parse_args()
    phases = [int(users) for users in args.users.split(",")]

    from app.webpush import vapid_key
    from tests.support.push_service import SpawnedPushService, new_keys

    cleanup = Cleanup()
    atexit.register(cleanup)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    total_started = time.perf_counter()
    try:
        log(f"bench-load in {WORKDIR}; {os.cpu_count()} cores; rate limits disabled (RATELIMIT_ENABLED=0)")
        drop_database()
        admin_execute(f"CREATE DATABASE {PG_DATABASE}")
        flush_redis()
        pool = [new_keys() for _ in range(KEY_POOL)]
        service = SpawnedPushService(sample_every=100, nice=args.push_nice)
        cleanup.track("push service", service.process)
        service.set_key_pool(pool)
        service.configure(expect_title=TITLE)
        data = populate(args.citizens, service.origin, pool)

        app = make_app()
        with app.app_context():
            vapid_key()  # made once in the instance folder, before the workers look for it
        most = max(phases)
        user_ids = list(range(1, args.citizens + 1, max(1, args.citizens // most)))[:most]
        data["cookies"] = log_in_citizens(app, user_ids)
        data["cookie_name"] = app.config["SESSION_COOKIE_NAME"]
        (WORKDIR / "locust.json").write_text(json.dumps(data))
        page_costs(app, data)
        if args.pages_only:
            return

        port = free_port()
        gunicorn = start_gunicorn(cleanup, port)
        workers = start_workers(cleanup, service.netloc, args.worker_nice)
        time.sleep(2)  # the consumer is up and polling
        if workers.poll() is not None:
            raise SystemExit(f"the delivery worker exited: {(WORKDIR / 'worker.log').read_text()[-2000:]}")
        log(f"  ready in {time.perf_counter() - total_started:.0f} s"
            f"{f'; delivery worker nice {args.worker_nice}' if args.worker_nice else ''}")
        groups = {"gunicorn": [gunicorn.pid], "delivery worker": [workers.pid],
                  "push service": [service.process.pid], "postgres": postmaster_pid()}
        for users in phases:
            run_phase(app, args, port, users, groups, service, cleanup)
        log(f"total {time.perf_counter() - total_started:.0f} s")
    finally:
        cleanup()


if __name__ == "__main__":
    main()
