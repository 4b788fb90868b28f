"""Background work of polls: keeping the order of arrival off the disk."""

from __future__ import annotations

from huey import crontab

from app.polls.answers import reorder_stored_rows
from app.queue import app_context, huey


@huey.periodic_task(crontab(minute="7"))
def reorder_poll_rows() -> bool:
    """Every hour: rewrite the poll tables kept apart in the order of their keys (PostgreSQL)."""
    with app_context():
        return reorder_stored_rows()
