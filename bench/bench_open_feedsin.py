"""The feed import benchmark (issue 15, agenda and news in), on SQLite (a temporary file).

Prints exactly (each with its goal):
    ical_import_1000_s: N       a 1,000-event iCalendar feed (served by a local http.server)
                                fetched and imported into a fresh territory through
                                ``app.imports.services.fetch``: 850 single events, 100 weekly
                                series (each with two EXDATEs) and 50 changed occurrences of them
                                (RECURRENCE-ID), with descriptions in HTML (goal <= 10)
    ical_reimport_1000_s: N     the same feed fetched again without its ETag (read, parsed and
                                compared whole: nothing to change)
The 304 answer to an unchanged ETag and the counts go to stderr.

``--events N`` changes the size; ``--database-url`` runs it on PostgreSQL (for instance
postgresql+psycopg://postgres@127.0.0.1:5432/test): a database of its own is created there for
the run and dropped at the end (the one named is not touched).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build_calendar(events: int) -> bytes:
    """``events`` VEVENTs: 5 % changed occurrences, 10 % weekly series, the rest single dates."""
    start = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0) + timedelta(days=7)
    exceptions = events * 5 // 100
    series = events * 10 // 100
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Bench//Territory//EN"]

    def stamp(moment: datetime) -> str:
        return moment.strftime("%Y%m%dT%H%M%SZ")

    for i in range(events - exceptions):
        begins = start + timedelta(hours=7 * i)
        lines += ["BEGIN:VEVENT", f"UID:bench-{i}@agenda.example", f"SEQUENCE:{i % 3}",
                  f"SUMMARY:Event number {i}", f"DTSTART:{stamp(begins)}", f"DTEND:{stamp(begins + timedelta(hours=2))}",
                  f"DESCRIPTION:<p>Come to <b>event {i}</b>.</p><p><a href=\"https://agenda.example/{i}\">More</a></p>",
                  f"LOCATION:Hall {i % 40}", "GEO:44.93;6.72", f"URL:https://agenda.example/e/{i}"]
        if i < series:
            lines += ["RRULE:FREQ=WEEKLY;COUNT=30",
                      f"EXDATE:{stamp(begins + timedelta(weeks=2))},{stamp(begins + timedelta(weeks=5))}"]
        lines.append("END:VEVENT")
    for j in range(exceptions):
        i = j % series
        original = start + timedelta(hours=7 * i) + timedelta(weeks=3)
        lines += ["BEGIN:VEVENT", f"UID:bench-{i}@agenda.example", f"RECURRENCE-ID:{stamp(original)}", "SEQUENCE:1",
                  f"SUMMARY:Event number {i} (moved)", f"DTSTART:{stamp(original + timedelta(hours=2))}",
                  "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def serve(body: bytes) -> tuple[ThreadingHTTPServer, str]:
    etag = '"bench-1"'

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    host, port = httpd.server_address[:2]
    return httpd, f"{host}:{port}"


def make_app(database_url: str, instance: str, host_port: str) -> Any:
    os.environ["RATELIMIT_ENABLED"] = "0"
    from app import create_app

    return create_app({
        "SQLALCHEMY_URL": database_url, "SECRET_KEY": "bench", "INSTANCE_DIR": instance, "MAIL_BACKEND": "memory",
        "RATELIMIT_ENABLED": False, "ACCESS_LOG": False, "OUTBOUND_ALLOWED_PRIVATE": (host_port,),
    })


def own_database(server_url: str) -> tuple[str, Any]:
    """A fresh PostgreSQL database next to ``server_url``'s, and how to drop it."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"bench_feedsin_{os.getpid()}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(server_url).set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-feedsin-"))
    body = build_calendar(args.events)
    httpd, host_port = serve(body)
    drop_database = None
    if args.database_url:
        database_url, drop_database = own_database(args.database_url)
    else:
        database_url = f"sqlite:///{workdir / 'feedsin.db'}"
    app = make_app(database_url, str(workdir / "instance"), host_port)
    from sqlalchemy import func, select

    from app.actors.models import Actor
    from app.extensions import db
    from app.imports import services
    from app.models import Base
    from app.publications.models import Publication
    from app.territories.models import Territory, TerritoryHost

    try:
        with app.app_context():
            engine = db.engine
            assert engine is not None
            Base.metadata.create_all(engine)
            territory = Territory(slug="bench", name="Bench-les-Pins", center_lat=44.93, center_lon=6.72,
                                  timezone="Europe/Paris")
            territory.hosts = [TerritoryHost(hostname="localhost")]
            db.session.add(territory)
            db.session.flush()
            actor = Actor(territory_id=territory.id, name="Office de tourisme", slug="office", kind="tourism_office",
                          status="verified")
            db.session.add(actor)
            db.session.commit()
            subscription = services.subscribe(actor, f"http://{host_port}/agenda.ics", "ical")
            log(f"feed: {args.events} events, {len(body) // 1024} KiB")

            started = time.perf_counter()
            counts = services.fetch(subscription)
            first = time.perf_counter() - started
            assert counts is not None, subscription.last_error_code
            log(f"  first import: {counts.created} created, {counts.updated} updated")

            started = time.perf_counter()
            assert services.fetch(subscription) is None
            log(f"  unchanged (304): {(time.perf_counter() - started) * 1000:.1f} ms")

            subscription.etag = ""
            db.session.commit()
            started = time.perf_counter()
            again = services.fetch(subscription)
            second = time.perf_counter() - started
            assert again is not None and (again.created, again.updated, again.withdrawn) == (0, 0, 0), again
            total = db.session.scalar(select(func.count()).select_from(Publication))
            log(f"  re-import: nothing new; {total} publications")

            print(f"ical_import_1000_s: {first:.2f}")
            print(f"ical_reimport_1000_s: {second:.2f}")
            db.session.remove()
            engine.dispose()
    finally:
        if drop_database is not None:
            drop_database()
        httpd.shutdown()
        httpd.server_close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
