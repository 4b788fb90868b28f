"""A campaign that goes through everything at once: sent from a real web process, drained by a
real Huey worker, it survives the worker killed with SIGKILL, the web process killed with SIGKILL,
PostgreSQL restarted (PostgreSQL runs only), a push service answering 500, then 429 with
``Retry-After: 1``, then 410 for some subscriptions. After recovery every person still subscribed
got the message exactly once, the dropped subscriptions are gone, every delivery is final, and the
web process serves again.

SQLite by default; PostgreSQL and Redis with TEST_DATABASE_URL / TEST_REDIS_URL. The PostgreSQL
restart (``pg_ctlcluster 15 main restart``) disturbs every other user of the cluster: the test
waits for it to accept connections again and leaves it running."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from app.actors.models import Actor
from app.campaigns.models import Campaign, CampaignRun, Delivery
from app.config import ROOT
from app.delivery import drain as delivery_drain
from app.delivery import runs as delivery_runs
from app.delivery.models import InboxItem
from app.extensions import db
from app.models_common import utcnow
from app.notifications.models import PushSubscription
from app.territories.models import Territory
from tests.delivery.conftest import make_campaign, make_citizens
from tests.factories import login_as, make_member, make_user
from tests.support.csrf import csrf_from
from tests.support.parallel import free_port
from tests.support.push_service import PushService

RECIPIENTS = 400  # enough that the faults all land before the run ends, on a fast day too
UNSUBSCRIBED = 12  # subscriptions that answer 410 near the end of the run
BATCH = 10
DRAINS = 2
CONCURRENCY = 3
ROUND_TRIP = 0.1  # the push service's simulated latency: about 50 pushes a second in all
OUTAGE = 30  # requests answered 500
RATE_LIMITED = 30  # requests answered 429, Retry-After: 1
TITLE = "Market day"
PG_CLUSTER = ("15", "main")


# --- processes ---------------------------------------------------------------------------------


def _spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True
    )


def _kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process and its children (gunicorn's worker, Huey's threads)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)


def _worker(env: dict[str, str], push: PushService, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "tests.support.delivery_worker", "--insecure-host", push.netloc]
    return _spawn([*command, "--workers", str(DRAINS)], env, log)


def _web(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    options = ["--graceful-timeout", "1", "--no-control-socket"]  # no socket shared in ~/.gunicorn
    return _spawn([*command, *options, "app:create_app()"], env, log)


def _until(condition: Callable[[], bool], timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-4000:] if log else ""
            raise AssertionError(f"timed out waiting for {what}\n{tail}")
        time.sleep(0.05)


# --- PostgreSQL --------------------------------------------------------------------------------


def _postgres_ready() -> bool:
    return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"], check=False).returncode == 0


def _checkpoint() -> threading.Thread:
    """A checkpoint now, in the background, keeps the restart's own short (the shutdown writes
    what every database of the cluster changed since the last one: on a busy machine, half a
    minute without PostgreSQL for everyone)."""

    def run(engine: Any) -> None:
        with engine.connect() as connection:
            connection.execute(text("CHECKPOINT"))

    thread = threading.Thread(target=run, args=(db.engine,), name="checkpoint")
    thread.start()
    return thread


def _restart_postgres() -> None:
    subprocess.run(["pg_ctlcluster", *PG_CLUSTER, "restart"], check=True, timeout=120)
    _until(_postgres_ready, 60, "PostgreSQL to accept connections again")


def _leave_postgres_running() -> None:
    if not _postgres_ready():
        subprocess.run(["pg_ctlcluster", *PG_CLUSTER, "start"], check=False, timeout=120)
        _until(_postgres_ready, 60, "PostgreSQL to start")


def _read(query: Callable[[], Any]) -> Any:
    """A read of the test's own session that outlives a database restart (pre-ping reconnects
    once the server is back)."""
    for _ in range(200):
        try:
            db.session.expire_all()
            result = query()
            db.session.commit()
            return result
        except OperationalError:
            db.session.rollback()
            time.sleep(0.25)
    raise AssertionError("the database did not come back")


# --- the web process, as the actor's browser ---------------------------------------------------


class Browser:
    """The actor's browser on the web process: the territory's host name and the session cookie
    (the server keeps the session: it outlives the web process)."""

    def __init__(self, port: int, cookie: str) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.cookie = cookie

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        response = requests.request(
            method,
            self.base + path,
            headers={"Host": "localhost", "Cookie": f"session={self.cookie}", "Accept-Language": "en"},
            allow_redirects=False,
            timeout=30,
            **kwargs,
        )
        self.cookie = response.cookies.get("session", self.cookie)
        return response

    def get(self, path: str) -> requests.Response:
        return self._request("GET", path)

    def post(self, path: str, data: dict[str, Any]) -> requests.Response:
        return self._request("POST", path, data=data)

    def serves(self, path: str) -> bool:
        try:
            return self.get(path).status_code == 200
        except requests.ConnectionError:
            return False


def _actor_browser(app: Flask, territory: Territory, actor: Actor, port: int) -> Browser:
    """The actor's editor, logged in: a server-side session acting as the actor and its signed
    cookie, as the log-in form and the role switcher leave them."""
    editor = make_user(territory, "editor@example.org")
    make_member(editor, actor, role="editor")
    client = app.test_client()
    login_as(client, editor, acting_actor=actor)
    cookie = client.get_cookie("session", domain="localhost")
    assert cookie is not None
    return Browser(port, cookie.value)


def _send_campaign(browser: Browser) -> requests.Response:
    token = csrf_from(browser.get("/manage/campaigns/new").text)
    return browser.post(
        "/manage/campaigns/new",
        {
            "csrf_token": token,
            "title": TITLE,
            "body": "Saturday, 8 to 13, on the harbour.",
            "link": "page",
            "followers": "y",
            "hashtag_mode": "any",
            "channels": ["push", "inbox"],
            "when": "now",
            "action": "send",
        },
    )


# --- the test ----------------------------------------------------------------------------------


def _statuses(run_id: int) -> dict[tuple[str, str], int]:
    rows = db.session.execute(
        select(Delivery.channel, Delivery.status, func.count())
        .where(Delivery.run_id == run_id)
        .group_by(Delivery.channel, Delivery.status)
    ).all()
    return {(channel, status): count for channel, status, count in rows}


def _run_finished(run_id: int) -> bool:
    statuses = _statuses(run_id)
    pending = sum(n for (_c, status), n in statuses.items() if status in ("queued", "sending", "deferred"))
    run = db.session.get(CampaignRun, run_id)
    return pending == 0 and run is not None and run.status == "sent"


@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_a_campaign_survives_killed_processes_a_database_restart_and_a_failing_push_service(
    app, territory, actor, push_service, database_url, redis_url, others_paused, tmp_path
):
    postgres = database_url.startswith("postgresql")
    restart_postgres = postgres and shutil.which("pg_ctlcluster") is not None
    people = make_citizens(territory, actor, RECIPIENTS, push_service=push_service)
    endpoint_of = dict(db.session.execute(select(PushSubscription.user_id, PushSubscription.endpoint)).all())
    push_service.delay = ROUND_TRIP

    instance = tmp_path / "instance"
    instance.mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "INSTANCE_DIR": str(instance),
        "HUEY_IMMEDIATE": "0",
        "REDIS_URL": redis_url,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "TEST_SECRET_KEY": app.config["SECRET_KEY"],
        "MAIL_BACKEND": "memory",
        "RATELIMIT_ENABLED": "0",
        "PREFERRED_URL_SCHEME": "https",
        "DELIVERY_BATCH_SIZE": str(BATCH),
        "DELIVERY_DRAIN_TASKS": str(DRAINS),
        "PUSH_CONCURRENCY": str(CONCURRENCY),
        "DELIVERY_LEASE_SECONDS": "3",
        "DELIVERY_RETRY_BASE_SECONDS": "0.2",
        "DELIVERY_MAX_WAIT_SECONDS": "10",
    }
    if redis_url:
        from huey import RedisHuey

        RedisHuey("territory", url=redis_url).storage.flush_all()
    port = free_port()
    worker_log, web_log = tmp_path / "worker.log", tmp_path / "web.log"
    browser = _actor_browser(app, territory, actor, port)
    faults: Counter[str] = Counter()
    checkpoint = _checkpoint() if restart_postgres else None
    processes: dict[str, subprocess.Popen[bytes]] = {}

    def delivered() -> int:
        return push_service.status_counts.get(201, 0)

    try:
        processes["worker"] = _worker(env, push_service, worker_log)
        processes["web"] = _web(env, port, web_log)
        _until(lambda: browser.serves("/manage/campaigns"), 60, "the web process", web_log)

        if checkpoint is not None:  # before the run: it must not go on while the disk is busy
            checkpoint.join(120)
        # The actor sends the campaign through the web process.
        response = _send_campaign(browser)
        assert response.status_code == 303, response.text[-2000:]
        campaign_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
        run_id = _read(lambda: db.session.scalar(select(CampaignRun.id).where(CampaignRun.campaign_id == campaign_id)))
        assert run_id is not None

        # The worker dies with pushes in flight, and starts again.
        _until(lambda: delivered() >= 40, 60, "the first pushes", worker_log)
        _kill(processes["worker"])
        faults["worker kills"] += 1
        in_flight = _read(lambda: _statuses(run_id).get(("push", "sending"), 0))
        time.sleep(0.3)  # what the dead process had on the wire has arrived
        processes["worker"] = _worker(env, push_service, worker_log)

        # The web process dies too, and serves again (the actor's session survives it).
        _kill(processes["web"])
        faults["web kills"] += 1
        assert not browser.serves(f"/manage/campaigns/{campaign_id}")
        processes["web"] = _web(env, port, web_log)
        _until(lambda: browser.serves(f"/manage/campaigns/{campaign_id}"), 60, "the web process again", web_log)

        # PostgreSQL restarts while the new worker sends.
        _until(lambda: delivered() >= 90, 60, "the restarted worker", worker_log)
        if restart_postgres:
            in_flight += _read(lambda: _statuses(run_id).get(("push", "sending"), 0))
            with others_paused():  # the other workers' tests would lose their connections
                _restart_postgres()
            faults["pg restarts"] += 1
            _until(lambda: delivered() >= 130, 90, "the worker after the PostgreSQL restart", worker_log)

        # The push service fails: an outage, then a rate limit, then some browsers unsubscribe.
        push_service.fail_next(OUTAGE, 500)
        _until(lambda: push_service.faults_pending == 0, 60, "the outage to be hit", worker_log)
        push_service.fail_next(RATE_LIMITED, 429, {"Retry-After": "1"})
        _until(lambda: push_service.faults_pending == 0, 60, "the rate limit to be hit", worker_log)
        # the last push deliveries still waiting in the queue: no request of theirs is in flight
        last_queued = _read(
            lambda: list(
                db.session.scalars(
                    select(Delivery.user_id)
                    .where(Delivery.run_id == run_id, Delivery.channel == "push", Delivery.status == "queued")
                    .order_by(Delivery.id.desc())
                    .limit(UNSUBSCRIBED)
                )
            )
        )
        assert len(last_queued) == UNSUBSCRIBED, "the run went too fast for the faults"
        unsubscribed = {user_id: endpoint_of[user_id] for user_id in last_queued}
        push_service.unsubscribe(list(unsubscribed.values()))

        _until(lambda: _read(lambda: _run_finished(run_id)), 120, "the run to finish", worker_log)
        assert browser.serves(f"/manage/campaigns/{campaign_id}")
    finally:
        for process in processes.values():
            _kill(process)
        if checkpoint is not None:
            checkpoint.join(120)
        if restart_postgres:
            _leave_postgres_running()
        if redis_url:
            from huey import RedisHuey

            RedisHuey("territory", url=redis_url).storage.flush_all()

    # Every delivery is final: pushes sent, but to the unsubscribed; the inbox to everyone.
    eligible = RECIPIENTS - UNSUBSCRIBED
    statuses = _read(lambda: _statuses(run_id))
    assert statuses == {("push", "sent"): eligible, ("push", "failed"): UNSUBSCRIBED, ("inbox", "sent"): RECIPIENTS}
    deliveries = dict(
        db.session.execute(
            select(Delivery.user_id, Delivery.id).where(Delivery.run_id == run_id, Delivery.channel == "push")
        ).all()
    )
    # The unsubscribed: their subscription is deleted, their push failed as "gone", never sent.
    gone = db.session.execute(
        select(Delivery.user_id, Delivery.status, Delivery.reason, Delivery.sent_at).where(
            Delivery.run_id == run_id, Delivery.channel == "push", Delivery.user_id.in_(unsubscribed)
        )
    ).all()
    assert {(row.status, row.reason, row.sent_at) for row in gone} == {("failed", "gone", None)}
    assert len(gone) == UNSUBSCRIBED
    left = set(db.session.scalars(select(PushSubscription.user_id)))
    assert left == {person.id for person in people} - set(unsubscribed)
    for endpoint in unsubscribed.values():
        assert push_service.delivered_for(endpoint) == []
        assert {r.status for r in push_service.received_for(endpoint)} == {410}
    # Everyone else got the message exactly once: one distinct message (tag, Topic) at their
    # endpoint; a raw copy only for what was on the wire when the worker was killed or, if the
    # database stayed away longer than a lease, when it restarted (the same Topic, which a push
    # service collapses).
    assert push_service.errors == []
    raw = 0
    for person in people:
        if person.id in unsubscribed:
            continue
        mine = push_service.delivered_for(endpoint_of[person.id])
        key = f"d{deliveries[person.id]}"
        assert {m.json["tag"] for m in mine} == {key}
        assert {m.topic for m in mine} == {key}
        assert {m.json["title"] for m in mine} == {TITLE}
        raw += len(mine)
    duplicates = raw - eligible
    assert duplicates <= in_flight
    # The inbox: one item per person, unsubscribed or not.
    inbox = Counter(db.session.scalars(select(InboxItem.user_id).where(InboxItem.campaign_id == campaign_id)))
    assert inbox == Counter({person.id: 1 for person in people})
    campaign = db.session.get(Campaign, campaign_id)
    assert campaign is not None and campaign.status == "sent"

    answers = push_service.status_counts
    retries = db.session.scalar(
        select(func.sum(Delivery.attempts - 1)).where(Delivery.run_id == run_id, Delivery.attempts > 1)
    ) or 0
    http = {code: answers.get(code, 0) for code in (500, 429, 410)}
    assert http[500] == OUTAGE and http[429] == RATE_LIMITED and http[410] >= UNSUBSCRIBED
    messages = eligible + RECIPIENTS  # one push to each person still subscribed, one inbox item each
    total = sum(faults.values()) + sum(http.values())
    print(
        f"faults: messages={messages}, retries={retries}, faults={total} "
        f"(worker kills={faults['worker kills']}, web kills={faults['web kills']}, "
        f"pg restarts={faults['pg restarts']}, http500={http[500]}, http429={http[429]}, http410={http[410]})"
    )
    print(
        f"faults: pushes on the wire={sum(answers.values())}, raw duplicates={duplicates} "
        f"(in flight at the kill and the restart: {in_flight})"
        + ("" if restart_postgres else "; PostgreSQL restart skipped: SQLite run")
    )


def test_outcomes_of_pushes_already_sent_wait_for_the_database_instead_of_being_sent_again(
    app, territory, actor, push_service, monkeypatch
):
    people = make_citizens(territory, actor, 12, push_service=push_service)
    run = delivery_runs.start_run(make_campaign(actor, channels=("push",), title=TITLE), utcnow(), enqueue=False)
    record, failures = delivery_drain.record, []

    def record_after_a_restart(*args: Any, **kwargs: Any) -> dict[str, int]:
        if not failures:  # the database restarts while the batch is on the wire
            failures.append(1)
            raise OperationalError("UPDATE delivery ...", {}, ConnectionError("server closed the connection"))
        return record(*args, **kwargs)

    monkeypatch.setattr(delivery_drain, "record", record_after_a_restart)
    delivery_drain.drain(run.id)

    assert failures == [1]
    assert _read(lambda: _statuses(run.id)) == {("push", "sent"): len(people)}
    assert Counter(r.endpoint for r in push_service.received) == Counter(
        db.session.scalars(select(PushSubscription.endpoint))
    )  # one request per subscription: nothing sent twice
