"""A campaign that is not urgent goes out at CAMPAIGN_SEND_RATE deliveries a second, in batches
of half a second's, its drains taking turns on the run's pace clock; a civic alert goes at once;
a drain that would wait while other tasks are queued hands its worker back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.campaigns.models import CampaignRun, Delivery
from app.delivery import drain as delivery_drain
from app.delivery import runs as delivery_runs
from app.extensions import db
from tests.delivery.conftest import make_campaign, make_citizens


class FakeTime:
    """The drain's clock, moved on by its own sleeps (and by the test)."""

    def __init__(self, at: datetime) -> None:
        self.at = at
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self.at

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.at += timedelta(seconds=seconds)


def _sent_push(run_id: int) -> list[datetime]:
    db.session.expire_all()
    return sorted(
        d.sent_at for d in db.session.scalars(
            select(Delivery).where(Delivery.run_id == run_id, Delivery.channel == "push", Delivery.status == "sent")
        )
    )


def _pace_clock(run_id: int) -> float | None:
    db.session.expire_all()
    return db.session.get(CampaignRun, run_id).pace_clock


def test_a_campaign_goes_out_at_its_rate_in_batches_of_half_a_second(app, territory, actor, push_service):
    make_citizens(territory, actor, 13, push_service=push_service)
    app.config["CAMPAIGN_SEND_RATE"] = 8  # 4 deliveries each half second: 4 batches of push rows
    started = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    fake = FakeTime(started)
    run = delivery_runs.start_run(make_campaign(actor), started, enqueue=False)

    delivery_drain.drain(run.id, clock=fake.now, sleep=fake.sleep)

    assert fake.slept == [0.5, 0.5, 0.5]  # none after the last, short, batch
    sent = _sent_push(run.id)
    assert len(sent) == 13 and len(push_service.received) == 13
    assert sorted(set(sent)) == [started + timedelta(seconds=s) for s in (0, 0.5, 1.0, 1.5)]
    assert [sent.count(at) for at in sorted(set(sent))] == [4, 4, 4, 1]
    # The clock holds the last batch's end.
    assert _pace_clock(run.id) == started.timestamp() + 2.0


def test_a_civic_alert_and_an_unpaced_instance_go_at_once(app, territory, actor, push_service):
    make_citizens(territory, actor, 12, push_service=push_service)
    app.config["CAMPAIGN_SEND_RATE"] = 8
    started = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    fake = FakeTime(started)
    alert = delivery_runs.start_run(make_campaign(actor, is_alert=True), started, enqueue=False)
    delivery_drain.drain(alert.id, clock=fake.now, sleep=fake.sleep)
    assert fake.slept == [] and _sent_push(alert.id) == [started] * 12
    assert _pace_clock(alert.id) is None

    app.config["CAMPAIGN_SEND_RATE"] = 0
    later = started + timedelta(minutes=5)
    fake.at = later
    run = delivery_runs.start_run(make_campaign(actor, title="Market moved"), later, enqueue=False)
    delivery_drain.drain(run.id, clock=fake.now, sleep=fake.sleep)
    assert fake.slept == [] and _sent_push(run.id) == [later] * 12


def test_drains_take_turns_on_the_pace_clock_and_a_late_clock_starts_now(app, territory, actor):
    make_citizens(territory, actor, 12)
    run = delivery_runs.start_run(make_campaign(actor), datetime(2026, 12, 6, 9, 0, tzinfo=UTC), enqueue=False)
    now = 1_796_547_600.0
    # Two drains (any process) reserve 4 deliveries at 8 a second, one after the other.
    assert delivery_drain.reserve_slot(run.id, 4, 8.0, now) == now
    assert delivery_drain.reserve_slot(run.id, 4, 8.0, now + 0.1) == now + 0.5
    assert delivery_drain.reserve_slot(run.id, 4, 8.0, now + 0.2) == now + 1.0
    assert _pace_clock(run.id) == now + 1.5
    # Nothing reserved for a while: the next batch starts at once, not in the past.
    assert delivery_drain.reserve_slot(run.id, 4, 8.0, now + 60) == now + 60
    assert delivery_drain.reserve_slot(run.id, 2, 8.0, now + 60) == now + 60.5
    assert delivery_drain.paced_batch_size(250, 500) == 125
    assert delivery_drain.paced_batch_size(0.5, 500) == 1
    assert delivery_drain.paced_batch_size(5000, 500) == 500


def test_a_drain_that_would_wait_while_others_are_queued_hands_its_worker_back(
    app, territory, actor, push_service
):
    make_citizens(territory, actor, 13, push_service=push_service)
    app.config["CAMPAIGN_SEND_RATE"] = 8
    started = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    fake = FakeTime(started)
    run = delivery_runs.start_run(make_campaign(actor), started, enqueue=False)
    resumed: list[float] = []

    processed = delivery_drain.drain(
        run.id, clock=fake.now, sleep=fake.sleep, others_waiting=lambda: True, resume=resumed.append
    )

    # Its first batch was due at once; the second one, half a second later, is left for later.
    assert processed == 8 and fake.slept == [] and resumed == [started.timestamp() + 0.5]
    assert len(_sent_push(run.id)) == 4
    clock_then = _pace_clock(run.id)

    # Run again at its slot, with the slot it had reserved: no second reservation for it.
    fake.at = started + timedelta(seconds=0.5)
    delivery_drain.drain(run.id, clock=fake.now, sleep=fake.sleep, slot=resumed[0])
    sent = _sent_push(run.id)
    assert len(sent) == 13 and sorted(set(sent)) == [started + timedelta(seconds=s) for s in (0, 0.5, 1.0, 1.5)]
    assert fake.slept == [0.5, 0.5] and _pace_clock(run.id) == clock_then + 1.0


def test_a_wait_longer_than_a_batch_hands_the_worker_back_and_the_periodic_task_leaves_a_paced_run_alone(
    app, territory, actor
):
    make_citizens(territory, actor, 12)
    app.config["CAMPAIGN_SEND_RATE"] = 8
    started = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    fake = FakeTime(started)
    run = delivery_runs.start_run(make_campaign(actor, channels=("inbox",)), started, enqueue=False)
    # Two other drains hold the next second.
    delivery_drain.reserve_slot(run.id, 4, 8.0, started.timestamp())
    delivery_drain.reserve_slot(run.id, 4, 8.0, started.timestamp())
    assert [r for r, _rows in delivery_drain.runs_with_due_work(started)] == []  # its drains are at work
    resumed: list[float] = []
    assert delivery_drain.drain(run.id, clock=fake.now, sleep=fake.sleep, resume=resumed.append) == 0
    assert resumed == [started.timestamp() + 1.0] and fake.slept == []
    # Its drains gone (a worker killed), the clock falls behind: the periodic task drains it again.
    assert [r for r, _rows in delivery_drain.runs_with_due_work(started + timedelta(seconds=5))] == [run.id]



def test_a_paced_drain_hands_its_worker_to_other_tasks_not_to_its_own_runs_drains(app):
    from app.delivery import tasks as delivery_tasks
    from app.queue import huey

    storage = huey.storage
    storage.flush_queue()
    try:
        assert not delivery_tasks.others_waiting(7)
        # Its own run's drains queued (the other drain, come back at its slot): nobody else waits.
        storage.enqueue(huey.serialize_task(delivery_tasks.drain_run.s(7)))
        storage.enqueue(huey.serialize_task(delivery_tasks.drain_run.s(7, 1_796_547_600.5)))
        assert huey.pending_count() == 2 and not delivery_tasks.others_waiting(7)
        # Another run's drain (an alert sent meanwhile) or another task: hand the worker back.
        assert delivery_tasks.others_waiting(8)
        storage.enqueue(huey.serialize_task(delivery_tasks.requeue_due.s()))
        assert delivery_tasks.others_waiting(7)
    finally:
        storage.flush_queue()
