"""Background work of campaigns: every minute, start the scheduled occurrences that are due."""

from __future__ import annotations

import logging

from huey import crontab

from app.campaigns.services import run_due_campaigns
from app.queue import app_context, huey

log = logging.getLogger(__name__)


@huey.periodic_task(crontab(minute="*"))
def start_due_campaigns() -> int:
    """Start each due occurrence once (app.campaigns.services.run_due_campaigns is safe when
    several workers run it at the same minute) and move weekly campaigns to their next one."""
    with app_context():
        started = run_due_campaigns()
    if started:
        log.info("started %d scheduled campaign runs", started)
    return started
