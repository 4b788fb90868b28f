"""A worker killed in the middle of a campaign, then restarted: every recipient got the message
exactly once (SQLite by default; PostgreSQL and Redis with TEST_DATABASE_URL / TEST_REDIS_URL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from huey import RedisHuey, SqliteHuey
from sqlalchemy import func, select

from app.campaigns.models import Delivery
from app.config import ROOT
from app.delivery import runs as delivery_runs
from app.delivery import tasks as delivery_tasks
from app.extensions import db
from app.models_common import utcnow
from app.notifications.models import PushSubscription
from app.queue import huey
from tests.delivery.conftest import make_campaign, make_citizens

RECIPIENTS = 300
BATCH = 20
CONCURRENCY = 10
DRAINS = 2


def _worker(env: dict[str, str], insecure_host: str, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.delivery_worker", "--insecure-host", insecure_host, "--workers", str(DRAINS)],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)


def _counts(run_id: int) -> dict[str, int]:
    db.session.expire_all()
    db.session.commit()
    return dict(
        db.session.execute(
            select(Delivery.status, func.count()).where(Delivery.run_id == run_id).group_by(Delivery.status)
        ).all()
    )


@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_killed_worker_then_restarted_sends_each_message_exactly_once(
    app, territory, actor, push_service, database_url, redis_url, tmp_path
):
    people = make_citizens(territory, actor, RECIPIENTS, push_service=push_service)
    campaign = make_campaign(actor, channels=("push",), title="Market day", body="Saturday, 8 to 13.")
    run = delivery_runs.start_run(campaign, utcnow(), enqueue=False)
    assert _counts(run.id) == {"queued": RECIPIENTS}
    push_service.delay = 0.05  # a 50 ms round trip: the worker is killed with pushes in flight

    instance = tmp_path / "worker-instance"
    instance.mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "INSTANCE_DIR": str(instance),
        "HUEY_IMMEDIATE": "0",
        "REDIS_URL": redis_url,
        "MAIL_BACKEND": "memory",
        "TEST_SECRET_KEY": app.config["SECRET_KEY"],
        "DELIVERY_BATCH_SIZE": str(BATCH),
        "DELIVERY_DRAIN_TASKS": str(DRAINS),
        "PUSH_CONCURRENCY": str(CONCURRENCY),
        "DELIVERY_LEASE_SECONDS": "3",
        "DELIVERY_MAX_WAIT_SECONDS": "10",
        "PREFERRED_URL_SCHEME": "https",
    }
    shared = RedisHuey("territory", url=redis_url) if redis_url else SqliteHuey("territory", filename=str(instance / "huey.db"))
    # Enqueue the drains as start_run does, on the storage the workers read.
    saved = (huey._immediate, huey.storage)
    huey._immediate, huey.storage = False, shared.storage
    try:
        shared.storage.flush_queue()
        delivery_tasks.enqueue_drains(run.id, RECIPIENTS)
    finally:
        huey._immediate, huey.storage = saved

    log = tmp_path / "worker.log"
    first = _worker(env, push_service.netloc, log)
    try:
        deadline = time.monotonic() + 60
        while len(push_service.received) < RECIPIENTS // 3 and time.monotonic() < deadline:
            time.sleep(0.005)
        _kill(first)
        received_at_kill = len(push_service.received)
        in_flight = _counts(run.id).get("sending", 0)
        assert RECIPIENTS // 3 <= received_at_kill < RECIPIENTS, log.read_text()[-3000:]
        assert 0 < in_flight <= DRAINS * BATCH  # the dead worker's claimed, unrecorded rows

        time.sleep(0.3)  # anything the dead process had on the wire has arrived
        second = _worker(env, push_service.netloc, log)
        restarted = time.monotonic()
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if _counts(run.id) == {"sent": RECIPIENTS}:
                    db.session.refresh(run)
                    if run.status == "sent":  # the drain that saw nothing left closed the run
                        break
                time.sleep(0.1)
        finally:
            print(f"crash: recovered in {time.monotonic() - restarted:.1f}s")
            _kill(second)
    finally:
        _kill(first)
        if redis_url:
            shared.storage.flush_all()

    assert _counts(run.id) == {"sent": RECIPIENTS}, log.read_text()[-3000:]
    received = push_service.received
    assert push_service.errors == []
    topics = Counter(r.topic for r in received)
    endpoint_of = dict(db.session.execute(select(PushSubscription.user_id, PushSubscription.endpoint)).all())
    deliveries = dict(db.session.execute(select(Delivery.user_id, Delivery.id).where(Delivery.run_id == run.id)).all())
    # One distinct message per recipient, at its own endpoint, with its own topic and tag...
    assert len(topics) == RECIPIENTS
    for person in people:
        mine = push_service.received_for(endpoint_of[person.id])
        assert {m.topic for m in mine} == {f"d{deliveries[person.id]}"}
        assert {m.json["tag"] for m in mine} == {f"d{deliveries[person.id]}"}
        assert {m.json["title"] for m in mine} == {"Market day"}
    # ...and raw duplicates only among what was in flight when the worker died.
    duplicates = len(received) - len(topics)
    print(f"crash: received_at_kill={received_at_kill} in_flight={in_flight} raw={len(received)} duplicates={duplicates}")
    assert duplicates <= in_flight
    sent_once = db.session.scalar(select(func.count()).where(Delivery.run_id == run.id, Delivery.sent_at.is_not(None)))
    assert sent_once == RECIPIENTS
    db.session.refresh(run)
    assert run.status == "sent"
