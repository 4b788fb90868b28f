"""Background work of places: forgetting live cells once they are an hour old, and counting
footfall from them before they go."""

from __future__ import annotations

import logging

from huey import crontab

from app.places.footfall import record_all
from app.places.live import purge_expired_live_cells
from app.queue import app_context, huey

log = logging.getLogger(__name__)


@huey.periodic_task(crontab(minute="*/5"))
def purge_live_cells() -> int:
    """Every 5 minutes: delete the live cells older than 60 minutes (queries already ignore
    them; this makes sure they are gone)."""
    with app_context():
        deleted = purge_expired_live_cells()
    if deleted:
        log.info("purged %d expired live cells", deleted)
    return deleted


@huey.periodic_task(crontab(minute="*/15"))
def snapshot_footfall() -> int:
    """Every 15 minutes: add who is present, by neighbourhood, to the hour's footfall sums
    (app.places.footfall), before the live cells expire."""
    with app_context():
        return record_all()
