"""Background tasks of the delivery engine (Huey).

- ``drain_run(run_id)``: claims batches of a run's deliveries and sends them, until none is left;
  several run at once (in several worker processes too) without sending anything twice.
- ``requeue_due`` (every minute): drains again the runs with due retries, deferred deliveries
  (quiet hours over) or expired leases (a worker that died mid-batch).
- ``send_digests`` (every ten minutes): the daily digest, per territory from 18:00 local time.
- When a consumer starts, it requeues at once what a killed worker left (``on_startup``).
- When a person changes their quiet hours, what waited for the old ones is planned again and
  the drains of what became due are woken (``quiet_hours_changed``).
"""

from __future__ import annotations

import math
import time
from functools import partial
from typing import Any

from huey import crontab

from app.accounts.models import User
from app.delivery import digest
from app.delivery.drain import drain, replan_quiet_hours, runs_with_due_work
from app.delivery.links import setting
from app.notifications.services import quiet_hours_changed
from app.queue import app_context, huey, on_consumer_start


@huey.task(retries=2, retry_delay=5)
def drain_run(run_id: int, slot: float | None = None) -> int:
    """A paced run's drain that must wait for its next batch while other tasks are queued (or
    for longer than a batch takes) ends and comes back at its slot (app.delivery.drain)."""

    def resume(at: float) -> None:
        drain_run.schedule((run_id, at), delay=max(0.0, at - time.time()))

    with app_context():
        return drain(run_id, others_waiting=partial(others_waiting, run_id), resume=resume, slot=slot)


# How many queued tasks a paced drain looks at before it waits for its slot in place.
PEEK = 20


def others_waiting(run_id: int) -> bool:
    """Whether a task other than this run's own drains is queued (an alert's drain, a digest, a
    welcome offer's message): a paced drain hands its worker back to it. Its own run's drains
    do not count, or two of them would hand the workers to each other at every batch."""
    if not huey.pending_count():
        return False
    return any(
        not (isinstance(task, drain_run.task_class) and task.args and task.args[0] == run_id)
        for task in huey.pending(limit=PEEK)
    )


def enqueue_drains(run_id: int, rows: int | None = None) -> int:
    """Enqueue the drain tasks of a run: up to DELIVERY_DRAIN_TASKS, one per batch at most."""
    batch = max(1, int(setting("DELIVERY_BATCH_SIZE", 500)))
    wanted = max(1, int(setting("DELIVERY_DRAIN_TASKS", 2)))
    count = wanted if rows is None else max(1, min(wanted, math.ceil(rows / batch)))
    for _ in range(count):
        drain_run(run_id)
    return count


@huey.periodic_task(crontab(minute="*"))
def requeue_due() -> list[int]:
    """Enqueue drains for the runs with work due soon. Every minute, and when a consumer starts."""
    with app_context():
        due = runs_with_due_work()
        for run_id, rows in due:
            enqueue_drains(run_id, rows)
    return [run_id for run_id, _rows in due]


@quiet_hours_changed.connect
def _replan_after_quiet_hours_change(user: User, **_extra: Any) -> None:
    """Messages held for the old quiet hours wait for the new ones' end; those due now go out."""
    for run_id, rows in replan_quiet_hours(user.id).items():
        enqueue_drains(run_id, rows)


@huey.periodic_task(crontab(minute="*/10"))
@huey.lock_task("delivery-digests")
def send_digests() -> int:
    with app_context():
        return digest.send_digests()


# A consumer (re)started: resume the runs a killed worker left (enqueued, not run here: the
# workers pick it up).
on_consumer_start("requeue_due", requeue_due)
