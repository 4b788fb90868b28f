"""Background tasks of the delivery engine (Huey).

- ``drain_run(run_id)``: claims batches of a run's deliveries and sends them, until none is left;
  several run at once (in several worker processes too) without sending anything twice.
- ``requeue_due`` (every minute): drains again the runs with due retries, deferred deliveries
  (quiet hours over) or expired leases (a worker that died mid-batch).
- ``send_digests`` (every ten minutes): the daily digest, per territory from 18:00 local time.
- When a consumer starts, it requeues at once what a killed worker left (``on_startup``).
"""

from __future__ import annotations

import threading

from huey import crontab

from app.queue import app_context, huey


@huey.task(retries=2, retry_delay=5)
def drain_run(run_id: int) -> int:
    from app.delivery import services

    with app_context():
        return services.drain(run_id)


@huey.periodic_task(crontab(minute="*"))
def requeue_due() -> list[int]:
    from app.delivery import services

    with app_context():
        return services.requeue_due()


@huey.periodic_task(crontab(minute="*/10"))
@huey.lock_task("delivery-digests")
def send_digests() -> int:
    from app.delivery import services

    with app_context():
        return services.send_digests()


_started = threading.Lock()
_resumed = False


@huey.on_startup()
def _resume_after_restart() -> None:
    """A consumer (re)started: resume the runs a killed worker left, once per process."""
    global _resumed
    with _started:
        if _resumed:
            return
        _resumed = True
    requeue_due()  # enqueued, not run here: the workers pick it up
