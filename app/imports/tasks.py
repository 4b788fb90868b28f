"""Background work of feed subscriptions: the poller."""

from __future__ import annotations

from huey import crontab
from huey.exceptions import TaskLockedException

from app.imports import services
from app.queue import app_context, huey


@huey.periodic_task(crontab(minute="*/5"))
def poll_feeds() -> int:
    """Every five minutes: fetch the feeds that are due (each says when: an hour after a
    success, longer and longer after failures)."""
    try:
        with huey.lock_task("imports-poll"), app_context():  # one poller at a time
            return services.poll_due()
    except TaskLockedException:
        return 0

