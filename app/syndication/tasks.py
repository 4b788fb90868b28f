"""Background work of feed subscriptions: the poller, and one feed fetched on request."""

from __future__ import annotations

from huey import crontab

from app.queue import app_context, huey
from app.syndication import services


@huey.periodic_task(crontab(minute="*/5"))
def poll_feeds() -> int:
    """Every five minutes: fetch the feeds that are due (each says when: an hour after a
    success, longer and longer after failures)."""
    with app_context():
        return services.poll_due()


@huey.task()
def fetch_feed(subscription_id: int) -> None:
    """One feed now ("fetch now", or just added)."""
    with app_context():
        services.fetch_by_id(subscription_id)
