"""The push benchmark (issue 3): fan-out to 100,000 subscribers, and a 100,000-recipient campaign.

Prints exactly:
    push_msgs_per_s: N             the platform's sender (app.delivery.channels.push.PushSender)
    push_naive_msgs_per_s: N       a loop calling pywebpush.webpush() per subscriber
    push_msgs_per_s_50ms: N        the same two with a simulated 50 ms round trip
    push_naive_msgs_per_s_50ms: N
    campaign_100k_seconds: N       start_run to the last delivery recorded, SQLite, real workers
    push_crypto_ceiling_msgs_per_s: N   the RFC 8291 encryption alone, messages per second per core
    push_sender_cpu_us: N          the platform sender's CPU per message (no delay, whole fan-out)
    push_cpu_vs_crypto: N          push_sender_cpu_us / the encryption's cost per message (goal <= 2.0)
    campaign_vs_fanout_rate: N     the campaign's push rate / the bare fan-out's (goal >= 0.8)
Progress and details go to stderr. Goals on 2 cores: >= 4,000 msg/s without delay and >= 6x the
naive loop; >= 2,000 msg/s with 50 ms; <= 60 s for the campaign.

- Subscribers have REAL P-256 keys: a pool of 1,000 key pairs (and auth secrets) generated with
  ``ec.generate_private_key``, reused cyclically; every subscriber has its own endpoint, and every
  message is encrypted for its subscriber with a fresh ephemeral key (RFC 8291, http_ece).
- The push service (tests/support/push_service.py) runs in a process of its own (HTTP/2 with
  h2, as the sender speaks it by default; HTTP/1.1 keep-alive with aiohttp for
  BENCH_PUSH_HTTP2=0, the sender's fall-back): it verifies every VAPID token (each distinct token once), decrypts 1% of
  the messages with the subscriber's private key and checks the title; the run fails otherwise.
- The platform's sender runs as in production: one sender per worker process
  (``huey_consumer -k process -w N``), N = the number of cores (BENCH_PUSH_PROCESSES to change
  it), each with its connection pool, its VAPID header signed once, 200 requests in flight.
- The naive loop is measured on a 2,000-subscriber sample (BENCH_NAIVE_SAMPLE) in one process.
- The campaign: 100,000 citizens following an actor, each with push on and a subscription; the
  campaign goes to push and the in-app inbox (200,000 deliveries); two Huey consumer processes
  (tests/support/delivery_worker.py = ``huey_consumer app.worker.huey`` plus the test-only
  insecure-host switch) drain it; the clock stops at the last delivery recorded.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORKDIR = Path(tempfile.mkdtemp(prefix="bench-push-"))
os.environ["INSTANCE_DIR"] = str(WORKDIR / "instance")  # before app.queue makes its Huey
os.environ["HUEY_IMMEDIATE"] = "0"
os.environ.pop("REDIS_URL", None)
os.environ["RATELIMIT_ENABLED"] = "0"

def _recipients_option() -> int:
    """``--recipients N`` (or BENCH_PUSH_SUBSCRIBERS): the fan-out's and the campaign's size,
    100,000 by default (``make bench-push``); smaller when the shared machine is busy."""
    import argparse

    parser = argparse.ArgumentParser(description="the push benchmark")
    parser.add_argument("--recipients", type=int, default=int(os.environ.get("BENCH_PUSH_SUBSCRIBERS", "100000")))
    return max(1000, parser.parse_args().recipients)


SUBSCRIBERS = _recipients_option()
CRYPTO_SAMPLE = int(os.environ.get("BENCH_CRYPTO_SAMPLE", "5000"))
NAIVE_SAMPLE = int(os.environ.get("BENCH_NAIVE_SAMPLE", "2000"))
PROCESSES = int(os.environ.get("BENCH_PUSH_PROCESSES", str(os.cpu_count() or 2)))
HTTP2 = os.environ.get("BENCH_PUSH_HTTP2", "1") != "0"  # 0: the platform's sender on HTTP/1.1
KEY_POOL = 1000
CONCURRENCY = 200
TITLE = "Marché de Noël ce samedi"
SECRET_KEY = "bench-secret-key-not-for-production"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def make_app(db_path: Path) -> Any:
    from app import create_app

    return create_app(
        {
            "SQLALCHEMY_URL": f"sqlite:///{db_path}",
            "SECRET_KEY": SECRET_KEY,
            "INSTANCE_DIR": str(WORKDIR / "instance"),
            "MAIL_BACKEND": "memory",
            "PREFERRED_URL_SCHEME": "https",
        }
    )


def sample_payload(app: Any) -> bytes:
    """A realistic payload, built by the channel's own code for one delivery."""
    from app.delivery.channels import Item, Message
    from app.delivery.channels.push import action_labels, build_payload

    message = Message(
        campaign_id=1, run_id=1, actor_id=1, actor_name="Comité des fêtes", title=TITLE,
        body="Chalets, vin chaud et chorale de l'école sur le port, de 10 h à 20 h. "
        "Navette gratuite depuis la gare toutes les 20 minutes.",
        link="https://laciotat.example/p/1234", is_alert=False, territory_id=1,
        territory_name="La Ciotat", base_url="https://laciotat.example",
        icon_url="https://laciotat.example/icons/192.png", badge_url="https://laciotat.example/icons/192.png",
    )
    with app.app_context(), app.test_request_context():
        return build_payload(Item(123456, 654321, "push", 1, message, "fr"), action_labels("fr"))


# -- the platform's sender, one per process -----------------------------------------------------


def _sender_process(requests: list[Any], netloc: str, key_pem: bytes, subject: str, barrier: Any, results: Any) -> None:

    from py_vapid import Vapid02

    from app.delivery.channels.push import PushSender, new_runner
    from app.webpush import VapidSigner

    signer = VapidSigner(Vapid02.from_pem(key_pem), subject)
    sender = PushSender(signer, (), (netloc,), concurrency=CONCURRENCY, http2=HTTP2)
    runner = new_runner()
    barrier.wait()
    started, cpu = time.perf_counter(), time.process_time()
    outcomes = runner.run(sender.send_all(requests))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    runner.run(sender.aclose())
    runner.close()
    results.put((sum(1 for o in outcomes if o.kind == "sent"), elapsed, signer.signatures, cpu))


def platform(
    service: Any, subscriptions: list[dict[str, Any]], payload: bytes, key_pem: bytes, subject: str
) -> tuple[float, float]:
    """(messages per second, sender CPU seconds per message)."""
    from app.delivery.channels.push import PushRequest

    requests = [
        PushRequest(s["endpoint"], s["keys"]["p256dh"], s["keys"]["auth"], payload, topic=f"d{i}", ttl=86400)
        for i, s in enumerate(subscriptions)
    ]
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(PROCESSES + 1)
    results = context.Queue()
    processes = [
        context.Process(
            target=_sender_process,
            args=(requests[i::PROCESSES], service.netloc, key_pem, subject, barrier, results),
        )
        for i in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    service_cpu = service.cpu_seconds()
    barrier.wait()
    started = time.perf_counter()
    reports = [results.get() for _ in processes]
    service_cpu = service.cpu_seconds() - service_cpu
    elapsed = time.perf_counter() - started
    for process in processes:
        process.join()
    sent = sum(r[0] for r in reports)
    signatures = sum(r[2] for r in reports)
    if sent != len(requests):
        raise SystemExit(f"the platform's sender sent {sent} of {len(requests)}")
    sender_cpu = sum(r[3] for r in reports)
    log(
        f"  platform: {sent} in {elapsed:.1f} s, {PROCESSES} processes, {signatures} VAPID signatures; "
        f"CPU per message: sender {sender_cpu / sent * 1e6:.0f} us, push service {service_cpu / sent * 1e6:.0f} us"
    )
    return sent / elapsed, sender_cpu / sent


def crypto_ceiling(subscriptions: list[dict[str, Any]], payload: bytes) -> float:
    """The encryption's own cost: seconds of CPU per message for exactly what the sender does to
    encrypt (``app.delivery.channels.push.encrypt``: a fresh P-256 key, ECDH, the HKDFs,
    AES-GCM), in a tight loop in this process, over the same subscriptions (best of three)."""
    from app.delivery.channels.push import encrypt

    sample = [(s["keys"]["p256dh"], s["keys"]["auth"]) for s in subscriptions[:KEY_POOL]]
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        for i in range(CRYPTO_SAMPLE):
            p256dh, auth = sample[i % len(sample)]
            encrypt(payload, p256dh, auth)
        best = min(best, (time.process_time() - started) / CRYPTO_SAMPLE)
    log(f"  encryption alone: {best * 1e6:.0f} us of CPU per message ({1 / best:.0f} per second per core)")
    return best


def naive(service: Any, subscriptions: list[dict[str, Any]], payload: bytes, key_pem: bytes, subject: str) -> float:
    from py_vapid import Vapid02
    from pywebpush import webpush

    vapid = Vapid02.from_pem(key_pem)  # loaded once: the loop is naive, not careless
    data = payload.decode()
    service_cpu = service.cpu_seconds()
    started, cpu = time.perf_counter(), time.process_time()
    for index, subscription in enumerate(subscriptions):
        response = webpush(
            subscription,
            data=data,
            vapid_private_key=vapid,
            vapid_claims={"sub": subject},
            ttl=86400,
            headers={"Urgency": "normal", "Topic": f"n{index}"},
            timeout=20,
        )
        if response.status_code != 201:
            raise SystemExit(f"naive loop: status {response.status_code}")
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    service_cpu = service.cpu_seconds() - service_cpu
    count = len(subscriptions)
    log(
        f"  naive: {count} in {elapsed:.1f} s; CPU per message: sender {cpu / count * 1e6:.0f} us, "
        f"push service {service_cpu / count * 1e6:.0f} us"
    )
    return len(subscriptions) / elapsed


def check_service(service: Any, expected: int) -> None:
    stats = service.stats()
    log(f"  push service: {stats}")
    if stats["count"] != expected or stats["errors"] or stats["decrypt_failures"]:
        raise SystemExit(f"the push service saw problems: {stats}")
    if stats["decrypted"] < expected // 100:
        raise SystemExit(f"the push service decrypted too few samples: {stats}")


# -- the campaign -------------------------------------------------------------------------------


def populate(app: Any, service: Any, pool: list[Any]) -> tuple[int, int]:
    """100,000 citizens following one actor, push on, one subscription each. Returns the
    campaign's id and the territory's."""
    from sqlalchemy import insert

    from app.accounts.models import User
    from app.actors.models import Actor, Follow
    from app.campaigns.models import Campaign
    from app.extensions import db
    from app.models import Base
    from app.models_common import utcnow
    from app.notifications.models import NotificationSettings, PushSubscription
    from app.territories.models import Territory, TerritoryHost
    from tests.support.push_service import pool_subscription

    with app.app_context():
        Base.metadata.create_all(db.engine)
        territory = Territory(slug="laciotat", name="La Ciotat", timezone="UTC", center_lat=43.17, center_lon=5.6)
        db.session.add(territory)
        db.session.flush()
        db.session.add(TerritoryHost(territory_id=territory.id, hostname="laciotat.example"))
        actor = Actor(territory_id=territory.id, name="Comité des fêtes", slug="comite", kind="association", status="verified")
        db.session.add(actor)
        db.session.commit()
        now = utcnow()
        joined = now - timedelta(days=90)  # established accounts: the release engine counts them
        chunk = 10_000
        for start in range(0, SUBSCRIBERS, chunk):
            ids = range(start + 1, min(SUBSCRIBERS, start + chunk) + 1)
            db.session.execute(
                insert(User),
                [
                    {"id": i, "territory_id": territory.id, "email": f"c{i}@example.org", "password_hash": "x",
                     "email_verified_at": joined, "language": "fr", "created_at": joined}
                    for i in ids
                ],
            )
            db.session.execute(insert(Follow), [{"user_id": i, "actor_id": actor.id} for i in ids])
            db.session.execute(
                insert(NotificationSettings),
                [{"user_id": i, "push_enabled": True, "daily_cap": 10, "quiet_start": None, "quiet_end": None} for i in ids],
            )
            rows = []
            for i in ids:
                sub = pool_subscription(service.origin, pool, i)
                rows.append(
                    {"user_id": i, "territory_id": territory.id, "endpoint": sub["endpoint"],
                     "endpoint_hash": f"{i:064x}", "p256dh": sub["keys"]["p256dh"], "auth": sub["keys"]["auth"]}
                )
            db.session.execute(insert(PushSubscription), rows)
            db.session.commit()
        campaign = Campaign(
            territory_id=territory.id, actor_id=actor.id, title=TITLE, body="Chalets et vin chaud sur le port.",
            criteria_json='{"match": "all", "rules": [{"kind": "followers"}]}', status="scheduled",
        )
        campaign.channels = ["push", "inbox"]
        db.session.add(campaign)
        db.session.commit()
        return campaign.id, territory.id


def campaign_100k(service: Any, pool: list[Any], sender_cpu: float) -> float:
    from sqlalchemy import func, select, text

    from app.campaigns.models import Campaign, CampaignRun, Delivery
    from app.delivery import runs as delivery_runs
    from app.extensions import db
    from app.models_common import utcnow

    db_path = WORKDIR / "campaign.db"
    app = make_app(db_path)
    log(f"  populating {SUBSCRIBERS} citizens...")
    campaign_id, _territory_id = populate(app, service, pool)
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db_path}",
        "INSTANCE_DIR": str(WORKDIR / "instance"),
        "SECRET_KEY": SECRET_KEY,
        "HUEY_IMMEDIATE": "0",
        "MAIL_BACKEND": "memory",
        "PREFERRED_URL_SCHEME": "https",
        "DELIVERY_DRAIN_TASKS": str(PROCESSES),
        # The engine's own cost against the bare fan-out: unpaced (a campaign's pace,
        # CAMPAIGN_SEND_RATE, is a policy that leaves the cores to the pages; no page is served here).
        "CAMPAIGN_SEND_RATE": "0",
        "PUSH_CONCURRENCY": str(CONCURRENCY),
    }
    worker_log = WORKDIR / "worker.log"  # the drains' closing lines: where their time went
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.support.delivery_worker", "--insecure-host", service.netloc,
         "--workers", str(PROCESSES), "--worker-type", "process"],
        cwd=ROOT, env=env, stderr=worker_log.open("w"), stdout=subprocess.DEVNULL,
    )
    try:
        time.sleep(3)  # the consumer is up and polling
        service.configure(delay=0.0, reset=True, expect_title=TITLE)
        with app.app_context():
            campaign = db.session.get(Campaign, campaign_id)
            started_at = utcnow()
            started = time.perf_counter()
            run = delivery_runs.start_run(campaign, started_at)
            run_id = run.id
            log(f"  start_run: {time.perf_counter() - started:.1f} s, {run.audience_size} people")
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                db.session.commit()
                # Whether any is left, not how many: counting 200,000 index entries five times a
                # second took CPU from the cores the drains share.
                left = db.session.scalar(
                    select(Delivery.id)
                    .where(Delivery.run_id == run_id, Delivery.status.in_(("queued", "sending")))
                    .limit(1)
                )
                if left is None:
                    break
                time.sleep(0.2)
            db.session.commit()
            last = db.session.scalar(select(func.max(Delivery.sent_at)).where(Delivery.run_id == run_id))
            first = db.session.scalar(select(func.min(Delivery.sent_at)).where(Delivery.run_id == run_id))
            log(f"  first delivery recorded {(first - started_at).total_seconds():.1f} s after start_run began")
            for channel in ("push", "inbox"):
                channel_last = db.session.scalar(
                    select(func.max(Delivery.sent_at)).where(Delivery.run_id == run_id, Delivery.channel == channel)
                )
                log(f"  last {channel} delivery recorded at {(channel_last - started_at).total_seconds():.1f} s")
            counts = dict(db.session.execute(
                select(Delivery.status, func.count()).where(Delivery.run_id == run_id).group_by(Delivery.status)
            ).all())
            inbox = db.session.scalar(text("SELECT count(*) FROM inbox_item"))
            status = ""
            for _ in range(150):  # the drain that finds nothing left closes the run
                db.session.commit()
                status = db.session.get(CampaignRun, run_id).status
                if status == "sent":
                    break
                db.session.expire_all()
                time.sleep(0.2)
        log(f"  deliveries: {counts}, inbox items: {inbox}, run: {status}")
        if counts != {"sent": 2 * SUBSCRIBERS} or inbox != SUBSCRIBERS:
            raise SystemExit("the campaign did not deliver everything")
        check_service(service, SUBSCRIBERS)
        return (last - started_at).total_seconds()
    finally:
        workers_cpu = process_tree_cpu(worker.pid)
        worker.terminate()
        worker.wait(30)
        log_phases(worker_log, sender_cpu)
        log(
            f"  the consumer's processes: {workers_cpu:.2f} s of CPU in all, "
            f"{workers_cpu / SUBSCRIBERS * 1e6:.0f} us per push message (the bare sender's: {sender_cpu * 1e6:.0f} us)"
        )


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and its descendants so far, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total = (int(fields[11]) + int(fields[12])) / ticks
        children = " ".join(path.read_text() for path in Path(f"/proc/{pid}/task").glob("*/children"))
    except OSError:
        return 0.0
    return total + sum(process_tree_cpu(int(child)) for child in children.split())


def log_phases(worker_log: Path, sender_cpu: float) -> None:
    """The drains' per-phase seconds (their "drain finished" log lines), summed over workers, and
    their CPU per push message against the bare sender's (CPU is steadier than the clock on a
    shared machine)."""
    import re

    totals: dict[str, float] = {}
    drains = 0
    for line in worker_log.read_text(errors="replace").splitlines():
        if "drain finished" not in line:
            continue
        drains += 1
        for name, seconds in re.findall(r"(\w+)=([\d.]+)s", line):
            totals[name] = totals.get(name, 0.0) + float(seconds)
    phases = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in totals.items())
    log(f"  drains: {drains}; time per phase, summed over the drains: {phases}")
    if "cpu" in totals:
        per_push = totals["cpu"] / SUBSCRIBERS
        log(
            f"  drains' CPU per push message (with its inbox delivery): {per_push * 1e6:.0f} us; "
            f"the bare sender's: {sender_cpu * 1e6:.0f} us (ratio {sender_cpu / per_push:.2f})"
        )


def main() -> None:
    from cryptography.hazmat.primitives import serialization

    from app.webpush import vapid_key
    from tests.support.push_service import SpawnedPushService, new_keys, pool_subscription

    app = make_app(WORKDIR / "sender.db")
    log(f"bench-push in {WORKDIR}; {os.cpu_count()} cores")
    started = time.perf_counter()
    pool = [new_keys() for _ in range(KEY_POOL)]
    log(f"  {KEY_POOL} P-256 key pairs in {time.perf_counter() - started:.2f} s (reused cyclically)")
    service = SpawnedPushService(sample_every=100)
    try:
        service.set_key_pool(pool)
        service.configure(expect_title=TITLE)
        subscriptions = [pool_subscription(service.origin, pool, i) for i in range(SUBSCRIBERS)]
        with app.app_context():
            key = vapid_key()
            key_pem = key.private_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            subject = app.config["VAPID_SUBJECT"]
        payload = sample_payload(app)
        log(f"  payload: {len(payload)} bytes of JSON")
        log(f"  load average: {os.getloadavg()}")
        figures: dict[str, float] = {}
        crypto = crypto_ceiling(subscriptions, payload)
        for delay, suffix in ((0.0, ""), (0.05, "_50ms")):
            log(f"round trip {delay * 1000:.0f} ms:")
            service.configure(delay=delay, reset=True)
            rate, cpu = platform(service, subscriptions, payload, key_pem, subject)
            figures[f"push_msgs_per_s{suffix}"] = rate
            figures[f"push_sender_cpu{suffix}"] = cpu
            check_service(service, SUBSCRIBERS)
            service.configure(reset=True)
            figures[f"push_naive_msgs_per_s{suffix}"] = naive(service, subscriptions[:NAIVE_SAMPLE], payload, key_pem, subject)
            check_service(service, NAIVE_SAMPLE)
        print(f"push_msgs_per_s: {figures['push_msgs_per_s']:.0f}", flush=True)
        print(f"push_naive_msgs_per_s: {figures['push_naive_msgs_per_s']:.0f}", flush=True)
        print(f"push_msgs_per_s_50ms: {figures['push_msgs_per_s_50ms']:.0f}", flush=True)
        print(f"push_naive_msgs_per_s_50ms: {figures['push_naive_msgs_per_s_50ms']:.0f}", flush=True)
        print(f"push_crypto_ceiling_msgs_per_s: {1 / crypto:.0f}", flush=True)
        print(f"push_sender_cpu_us: {figures['push_sender_cpu'] * 1e6:.0f}", flush=True)
        print(f"push_cpu_vs_crypto: {figures['push_sender_cpu'] / crypto:.2f}", flush=True)
        log(f"campaign ({SUBSCRIBERS} recipients):")
        seconds = campaign_100k(service, pool, figures["push_sender_cpu"])
        print(f"campaign_100k_seconds: {seconds:.1f}", flush=True)
        # the campaign's push messages per second against the bare fan-out's, same run and size
        print(f"campaign_vs_fanout_rate: {SUBSCRIBERS / seconds / figures['push_msgs_per_s']:.2f}", flush=True)
        log(f"  recipients: {SUBSCRIBERS}; load average: {os.getloadavg()}")
    finally:
        service.stop()
        import shutil

        shutil.rmtree(WORKDIR, ignore_errors=True)


if __name__ == "__main__":
    main()
