"""The feed benchmark (issue 2): the "For you" page of a 100,000-citizen territory.

Prints exactly:
    feed_median_ms: N         server time of "For you" (Flask test client, hundreds of citizens)
    feed_p95_ms: N
    feed_req_per_s: N         "For you" under gunicorn with 2 workers, many different citizens
    feed_throughput_fraction: N   that figure / req/s of a trivial page, same server, same run
    worker_rss_mb: N          the largest gunicorn worker's RSS after the load
and, for each main page (issue 17) -- for_you, everything, near_me, actor, publication, inbox --
as a citizen (each request the next one), with the trivial page measured in the same run:
    trivial_req_per_s: N                      /healthz under the same gunicorn
    page_req_per_s_<page>: N                  the page under the same gunicorn
    page_trivial_req_per_s_<page>: N          /healthz again, just before that page
    page_throughput_fraction_<page>: N        the page's req/s / that trivial req/s (goal >= 0.33)
    page_server_cpu_ms_<page>: N              the gunicorn workers' CPU per request under that load
    page_cpu_fraction_<page>: N               the trivial page's worker CPU per request / the page's
                                              (what the fraction would be with the cores to itself)
    page_cpu_ms_<page>: N                     CPU per request in-process (Flask test client)
    page_queries_<page>: N                    SQL statements per request (in-process)
    load_average: N N N                       the machine's load average at the end of the run
Progress goes to stderr. Goals on a 2-core machine: median <= 20 ms, p95 <= 50 ms,
>= 150 req/s, fraction >= 0.1, RSS <= 150 MB.

The load generator shares the two cores with the server, so it is ``wrk`` (C, one thread, with
bench/rotate_cookies.lua sending each request as the next citizen; `make bench-feed` installs
it) when installed, else a single-process asyncio client, which costs the server about half of
its throughput on the trivial page.

Citizens are logged in as the app does it: an AuthSession row per citizen, and a Flask session
cookie signed with the app's SECRET_KEY that carries the session's token.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.feed_data import Parameters, ensure_database, log  # noqa: E402

SECRET_KEY = "bench-secret-key-not-for-production"


def make_app(db_path: Path, instance: str):  # type: ignore[no-untyped-def]
    os.environ["RATELIMIT_ENABLED"] = "0"
    from app import create_app

    return create_app(
        {
            "SQLALCHEMY_URL": f"sqlite:///{db_path}",
            "SECRET_KEY": SECRET_KEY,
            "INSTANCE_DIR": instance,
            "MAIL_BACKEND": "memory",
            "RATELIMIT_ENABLED": False,
            "ACCESS_LOG": False,
        }
    )


def log_in_citizens(app, user_ids: list[int]) -> list[str]:  # type: ignore[no-untyped-def]
    """One server-side session per citizen; returns their signed session cookies."""
    from sqlalchemy import delete, insert

    from app.accounts.models import AuthSession
    from app.extensions import db

    serializer = app.session_interface.get_signing_serializer(app)
    now = datetime.now(UTC)
    rows, cookies = [], []
    for user_id in user_ids:
        token = secrets.token_urlsafe(32)
        rows.append(
            {
                "token_hash": hashlib.sha256(token.encode()).hexdigest(),
                "user_id": user_id,
                "territory_id": 1,
                "acting_actor_id": None,
                "created_at": now,
                "last_seen_at": now,
                "revoked_at": None,
            }
        )
        # The CSRF secret is in the cookie from the start, as after a first visit: the pages
        # then leave the session unchanged and send no new cookie.
        cookies.append(
            serializer.dumps(
                {"_user_id": token, "_fresh": True, "csrf_token": secrets.token_hex(20)}
            )
        )
    with app.app_context():
        engine = db.engine
        with engine.begin() as connection:
            connection.execute(delete(AuthSession))
            connection.execute(insert(AuthSession), rows)
    return cookies


def measure_server_time(app, cookies: list[str], warmup: int = 30) -> list[float]:  # type: ignore[no-untyped-def]
    client = app.test_client()
    timings = []
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    for index, cookie in enumerate(cookies[:warmup] + cookies):
        client.set_cookie(cookie_name, cookie)
        started = time.perf_counter()
        response = client.get("/")
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200 or b"join-invitation" in response.data:
            raise SystemExit(f"the feed did not answer a logged-in citizen: {response.status_code}")
        if index >= warmup:
            timings.append(elapsed)
    return timings


PAGES = ("for_you", "everything", "near_me", "actor", "publication", "inbox")


def page_paths(app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The path of each main page: the actor with the most publications, its latest visible
    publication (not a poll: a poll's page is a redirect to where people answer it)."""
    from sqlalchemy import func, select

    from app.actors.models import Actor
    from app.extensions import db
    from app.publications.models import Publication

    with app.app_context():
        actor_id, _count = db.session.execute(
            select(Publication.actor_id, func.count())
            .where(Publication.territory_id == 1)
            .group_by(Publication.actor_id)
            .order_by(func.count().desc())
            .limit(1)
        ).one()
        actor = db.session.get(Actor, actor_id)
        publications = db.session.scalars(
            select(Publication)
            .where(Publication.actor_id == actor_id, Publication.kind != "poll")
            .order_by(Publication.id.desc())
            .limit(50)
        )
        publication_id = next(p.id for p in publications if p.is_visible)
        slug = actor.slug
    return {
        "for_you": "/",
        "everything": "/all",
        "near_me": "/near",
        "actor": f"/actors/{slug}",
        "publication": f"/p/{publication_id}",
        "inbox": "/me/inbox",
    }


def profile_pages(  # type: ignore[no-untyped-def]
    app, cookies: list[str], paths: dict[str, str], warmup: int = 10
) -> dict[str, tuple[float, float]]:
    """CPU milliseconds and SQL statements per request of each page, in-process (the Flask test
    client, each request as the next citizen): ``{page: (cpu_ms, queries)}``."""
    from sqlalchemy import event

    from app.extensions import db

    client = app.test_client(use_cookies=False)  # each request as the citizen its cookie says
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    statements = [0]

    def count(*_args: object) -> None:
        statements[0] += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    out: dict[str, tuple[float, float]] = {}
    try:
        for page, path in paths.items():
            for index, cookie in enumerate(cookies[:warmup] + cookies):
                if index == warmup:
                    statements[0] = 0
                    started = time.process_time()
                response = client.get(path, headers={"Cookie": f"{cookie_name}={cookie}"})
                if response.status_code != 200:
                    raise SystemExit(
                        f"{page} ({path}) answered {response.status_code} {response.location}"
                    )
            cpu = time.process_time() - started
            out[page] = (cpu * 1000 / len(cookies), statements[0] / len(cookies))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return out


def workers_cpu_seconds(process: subprocess.Popen[bytes]) -> float:
    import psutil

    total = 0.0
    for worker in psutil.Process(process.pid).children(recursive=True):
        try:
            times = worker.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(db_path: Path, instance: str, port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"sqlite:///{db_path}",
        SECRET_KEY=SECRET_KEY,
        INSTANCE_DIR=instance,
        RATELIMIT_ENABLED="0",
        ACCESS_LOG="0",
        MAIL_BACKEND="memory",
    )
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "app:create_app()",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not start")


def load(
    url: str, cookies: list[str], seconds: float, concurrency: int, cookie_name: str
) -> tuple[float, int]:
    """Requests per second over ``seconds`` with ``concurrency`` connections, each request as
    the next citizen; returns (req/s, errors). The load generator shares the machine's cores
    with the server, so it must stay lean: ``wrk`` (C, one thread) when installed, else a
    single-process asyncio client."""
    if shutil.which("wrk"):
        return _load_wrk(url, cookies, seconds, concurrency, cookie_name)
    return asyncio.run(_load_aiohttp(url, cookies, seconds, concurrency, cookie_name))


def _load_wrk(
    url: str, cookies: list[str], seconds: float, concurrency: int, cookie_name: str
) -> tuple[float, int]:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(cookies))
        cookie_file = handle.name
    try:
        result = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{concurrency}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "30s",
                "-s",
                str(ROOT / "bench" / "rotate_cookies.lua"),
                url,
                "--",
                cookie_name,
                cookie_file if cookies else "",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(cookie_file)
    for line in result.stdout.splitlines():
        if line.startswith("wrk-result "):
            requests, duration_us, failed, socket_errors = (int(v) for v in line.split()[1:])
            return (requests - failed) / (duration_us / 1e6), failed + socket_errors
    raise SystemExit(f"wrk gave no result: {result.stdout} {result.stderr}")


async def _load_aiohttp(
    url: str, cookies: list[str], seconds: float, concurrency: int, cookie_name: str
) -> tuple[float, int]:
    import aiohttp

    done = 0
    errors = 0
    counter = iter(range(10**9))
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=True)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(
        connector=connector, cookie_jar=aiohttp.DummyCookieJar(), timeout=timeout
    ) as session:

        async def worker() -> None:
            nonlocal done, errors
            while time.perf_counter() < deadline:
                cookie = cookies[next(counter) % len(cookies)] if cookies else None
                headers = {"Cookie": f"{cookie_name}={cookie}"} if cookie else {}
                try:
                    async with session.get(url, headers=headers) as response:
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


def worker_rss_mb(process: subprocess.Popen[bytes]) -> float:
    import psutil

    workers = psutil.Process(process.pid).children(recursive=True)
    return max(w.memory_info().rss for w in workers) / (1024 * 1024)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--samples", type=int, default=300, help="citizens timed in-process")
    parser.add_argument("--load-citizens", type=int, default=3000, help="citizens of the load test")
    parser.add_argument("--seconds", type=float, default=15.0, help="duration of the feed load")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--skip-load", action="store_true", help="only the in-process timings")
    parser.add_argument("--page-seconds", type=float, default=8.0, help="duration of each page's load")
    parser.add_argument("--profile-requests", type=int, default=100, help="requests profiled a page")
    args = parser.parse_args()

    params = Parameters()
    db_path = ensure_database(params)
    instance = tempfile.mkdtemp(prefix="bench-instance-")
    app = make_app(db_path, instance)
    rng = random.Random(7)
    user_ids = rng.sample(range(1, params.citizens + 1), args.samples + args.load_citizens)
    cookies = log_in_citizens(app, user_ids)
    sample_cookies, load_cookies = cookies[: args.samples], cookies[args.samples :]
    cookie_name = app.config["SESSION_COOKIE_NAME"]

    log(f"timing 'For you' in-process for {args.samples} citizens")
    timings = sorted(measure_server_time(app, sample_cookies))
    median = statistics.median(timings)
    p95 = timings[min(len(timings) - 1, int(round(0.95 * len(timings))) - 1)]
    print(f"feed_median_ms: {median:.1f}", flush=True)
    print(f"feed_p95_ms: {p95:.1f}", flush=True)

    paths = page_paths(app)
    log(f"profiling the main pages in-process: {paths}")
    profile = profile_pages(app, sample_cookies[: args.profile_requests], paths)
    for page in PAGES:
        cpu_ms, queries = profile[page]
        print(f"page_cpu_ms_{page}: {cpu_ms:.2f}", flush=True)
        print(f"page_queries_{page}: {queries:.1f}", flush=True)
    if args.skip_load:
        print("load_average: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()), flush=True)
        return

    # Fresh sessions for the load, as after a first visit: a session older than
    # app.accounts.sessions.TOUCH_EVERY would be written back at its first request.
    load_cookies = log_in_citizens(app, user_ids[args.samples :])
    port = free_port()
    server = start_gunicorn(db_path, instance, port)
    try:
        base = f"http://127.0.0.1:{port}"
        log(
            f"load generator: {'wrk' if shutil.which('wrk') else 'aiohttp (install wrk for a leaner one)'}"
        )
        log("warming up gunicorn")
        load(f"{base}/", load_cookies, 3.0, args.concurrency, cookie_name)
        log("trivial page load")
        trivial_rps, trivial_errors = load(
            f"{base}/healthz", [], 8.0, args.concurrency, cookie_name
        )
        log(f"  {trivial_rps:.0f} req/s, {trivial_errors} errors")
        log(
            f"'For you' load: {args.concurrency} connections, {args.seconds:.0f} s, {len(load_cookies)} citizens"
        )
        feed_rps, feed_errors = load(
            f"{base}/", load_cookies, args.seconds, args.concurrency, cookie_name
        )
        log(f"  {feed_rps:.0f} req/s, {feed_errors} errors")
        # Each page right after a trivial page's load of its own: on a shared machine the cores
        # left to the workers change from one minute to the next, so each fraction compares
        # figures measured a few seconds apart. The CPU per request does not depend on it.
        pages: dict[str, tuple[float, float, float, float]] = {}
        for page in PAGES:
            url = f"{base}{paths[page]}"
            cpu_before = workers_cpu_seconds(server)
            beside_rps, _errors = load(f"{base}/healthz", [], 3.0, args.concurrency, cookie_name)
            beside_cpu = workers_cpu_seconds(server) - cpu_before
            load(url, load_cookies, 1.0, args.concurrency, cookie_name)  # warm the caches
            cpu_before = workers_cpu_seconds(server)
            rps, errors = load(url, load_cookies, args.page_seconds, args.concurrency, cookie_name)
            cpu = workers_cpu_seconds(server) - cpu_before
            requests = max(1.0, rps * round(args.page_seconds))
            trivial_cpu_ms = beside_cpu * 1000 / max(1.0, beside_rps * 3)
            pages[page] = (rps, cpu * 1000 / requests, beside_rps, trivial_cpu_ms)
            log(f"  {page}: {rps:.0f} req/s (trivial page just before: {beside_rps:.0f}), {errors} errors")
            if errors:
                raise SystemExit(f"{page} ({paths[page]}) failed {errors} times under load")
        rss = worker_rss_mb(server)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"feed_req_per_s: {feed_rps:.0f}", flush=True)
    print(f"feed_throughput_fraction: {feed_rps / trivial_rps:.3f}", flush=True)
    print(f"worker_rss_mb: {rss:.0f}", flush=True)
    print(f"trivial_req_per_s: {trivial_rps:.0f}", flush=True)
    for page in PAGES:
        rps, server_cpu_ms, beside_rps, trivial_cpu_ms = pages[page]
        print(f"page_req_per_s_{page}: {rps:.0f}", flush=True)
        print(f"page_trivial_req_per_s_{page}: {beside_rps:.0f}", flush=True)
        fraction = rps / beside_rps if beside_rps else float("nan")
        print(f"page_throughput_fraction_{page}: {fraction:.3f}", flush=True)
        print(f"page_server_cpu_ms_{page}: {server_cpu_ms:.2f}", flush=True)
        cpu_fraction = trivial_cpu_ms / server_cpu_ms if server_cpu_ms else float("nan")
        print(f"page_cpu_fraction_{page}: {cpu_fraction:.3f}", flush=True)
    print("load_average: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()), flush=True)


if __name__ == "__main__":
    main()
