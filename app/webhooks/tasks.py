"""Background work of webhooks (Huey).

- ``send_webhooks``: sends the due messages; enqueued after each commit that adds some.
- ``requeue_webhooks`` (every minute, and when a consumer starts): sends what is due if a
  wake-up was lost, retries that came due, leases a killed worker left expired.
- ``announce_closed_polls`` (every minute): polls whose answers closed, once each.
- ``prune_webhook_log`` (daily): the delivery log keeps WEBHOOK_LOG_DAYS days.
"""

from __future__ import annotations

from huey import crontab

from app.queue import app_context, huey, on_consumer_start
from app.webhooks import sender, services
from app.webhooks.events import use_waker


@huey.task(retries=2, retry_delay=5)
def send_webhooks() -> int:
    with app_context():
        return sender.send_due()


def _wake() -> None:
    """After a commit that added messages. In immediate mode (tests) the task would run inside
    the commit itself: the messages wait for an explicit ``send_due`` instead."""
    if not huey.immediate:
        send_webhooks()


use_waker(_wake)


@huey.periodic_task(crontab(minute="*"))
def requeue_webhooks() -> bool:
    with app_context():
        due = sender.has_due()
    if due:
        send_webhooks()
    return due


@huey.periodic_task(crontab(minute="*"))
@huey.lock_task("webhooks-closed-polls")
def announce_closed_polls() -> int:
    with app_context():
        return services.announce_closed_polls()


@huey.periodic_task(crontab(hour="3", minute="41"))
def prune_webhook_log() -> int:
    with app_context():
        return sender.prune()


# A consumer (re)started: send again what a killed worker left.
on_consumer_start("requeue_webhooks", requeue_webhooks)
