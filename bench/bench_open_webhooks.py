"""The webhooks benchmark (issue 15): from an event's commit to its endpoint receiving it.

Prints exactly:
    webhook_p95_s: N     p95 over N_EVENTS events (publications published and street reports
                         changing status, paced at about 20 a second) of the time from the
                         commit of the change to a local receiving server getting the signed
                         POST, through the real path: the listener's row in the change's
                         transaction, the Huey task enqueued after the commit, a Huey consumer
                         (its own process, 2 worker threads) claiming and sending (goal <= 5)

The town lives in a PostgreSQL database bench_open_webhooks (created and dropped by the run),
the queue in a SQLite file of a temporary folder; the receiver is an http.server on 127.0.0.1
(allowed for this run only through OUTBOUND_ALLOWED_PRIVATE, set in the worker's app config).

    python bench/bench_open_webhooks.py [--events 300]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import log, p95, pg_database  # noqa: E402

WORKDIR = Path(tempfile.mkdtemp(prefix="bench-open-webhooks-"))
os.environ.setdefault("INSTANCE_DIR", str(WORKDIR / "instance"))  # before app.queue makes its Huey
os.environ["HUEY_IMMEDIATE"] = "0"
os.environ.pop("REDIS_URL", None)
os.environ["RATELIMIT_ENABLED"] = "0"


PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_DATABASE = "bench_open_webhooks"
SECRET_KEY = "bench-secret-key-not-for-production"


class Receiver:
    """Records when each event's POST arrived (by event type and object id)."""

    def __init__(self) -> None:
        self.arrived: dict[tuple[str, int], float] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                at = time.perf_counter()
                payload = json.loads(body)
                with receiver.lock:
                    receiver.arrived.setdefault((payload["type"], payload["data"]["id"]), at)
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def run_worker(allowed: str) -> None:
    """``--worker``: a Huey consumer whose app may reach the local receiver."""
    import logging

    from app import create_app, queue

    overrides = {"OUTBOUND_ALLOWED_PRIVATE": (allowed,), "SECRET_KEY": SECRET_KEY}
    queue._worker_app = create_app(overrides)
    logging.getLogger("huey").setLevel(logging.WARNING)
    consumer = queue.huey.create_consumer(workers=2, worker_type="thread", periodic=True,
                                          initial_delay=0.05, max_delay=0.5)
    consumer.run()


def bench(events: int) -> float:
    from app import create_app
    from app.actors.models import Actor
    from app.extensions import db
    from app.models import Base
    from app.publications import services as publication_services
    from app.reports import services as report_services
    from app.reports.models import Report, ReportCategory
    from app.territories.models import Territory, TerritoryHost
    from app.webhooks.models import EVENT_TYPES, WebhookEndpoint
    from app.webhooks.signing import new_secret

    receiver = Receiver()
    with pg_database(PG_DATABASE, PG_ADMIN_URL) as url:
        app = create_app({"SQLALCHEMY_URL": url, "SECRET_KEY": SECRET_KEY})
        with app.app_context():
            Base.metadata.create_all(db.engine)
            territory = Territory(slug="bench", name="Bench", center_lat=43.17, center_lon=5.60)
            territory.hosts = [TerritoryHost(hostname="localhost")]
            db.session.add(territory)
            db.session.flush()
            actor = Actor(territory_id=territory.id, name="Boulangerie", slug="boulangerie", kind="merchant",
                          status="verified")
            category = ReportCategory(territory_id=territory.id, service_code="pothole", name="Pothole")
            db.session.add_all([actor, category])
            db.session.flush()
            db.session.add(WebhookEndpoint(territory_id=territory.id, url=f"http://127.0.0.1:{receiver.port}/hooks",
                                           event_types=" ".join(EVENT_TYPES), secret=new_secret(), active=True))
            db.session.commit()
            reports = []
            for i in range(events // 2):
                report, _ = report_services.file_report(territory, None, report_services.NewReport(
                    category=category, lat=43.17, lon=5.60, description=f"Trou {i}"))
                reports.append(report.id)
            actor_id = actor.id

        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "HUEY_IMMEDIATE": "0",
               "MAIL_BACKEND": "memory"}
        worker = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--worker",
                                   f"127.0.0.1:{receiver.port}"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(4)  # the consumer is up and polling
            committed: dict[tuple[str, int], float] = {}
            with app.app_context():
                actor = db.session.get(Actor, actor_id)
                for i in range(events):
                    if i % 2 == 0:
                        publication = publication_services.create_publication(
                            actor, "news", title=f"Nouvelle {i}", status="published")
                        committed[("publication.published", publication.id)] = time.perf_counter()
                    else:
                        report = db.session.get(Report, reports[i // 2])
                        report_services.change_status(report, "acknowledged", "Vu.")
                        committed[("report.status_changed", report.id)] = time.perf_counter()
                    time.sleep(0.05)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and len(receiver.arrived) < len(committed):
                time.sleep(0.1)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    missing = set(committed) - set(receiver.arrived)
    if missing:
        log(f"  {len(missing)} events never arrived")
    latencies = [receiver.arrived[key] - at if key in receiver.arrived else float("inf")
                 for key, at in committed.items()]
    return p95(latencies)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--worker", metavar="HOST:PORT")
    args = parser.parse_args()
    if args.worker:
        run_worker(args.worker)
        return
    log(f"webhooks: {args.events} events through a Huey consumer to a local receiver...")
    print(f"webhook_p95_s: {bench(args.events):.2f}")


if __name__ == "__main__":
    main()
