"""The privacy centre's background tasks: data exports, and the hourly retention rules."""

from __future__ import annotations

import logging

from huey import crontab

from app.models_common import utcnow
from app.privacy import exports
from app.privacy.retention import run_retention
from app.queue import app_context, huey

log = logging.getLogger(__name__)


@huey.task()
def build_export(export_id: int) -> bool:
    """Build one person's data archive (app.privacy.exports.build_export)."""
    with app_context():
        return exports.build_export(export_id)


@huey.periodic_task(crontab(minute="23"))
@huey.lock_task("privacy-retention")
def enforce_retention() -> dict[str, int]:
    """Every hour: the retention rules (a run that overlaps the previous one is skipped)."""
    with app_context():
        counts = run_retention(utcnow())
    log.info("retention enforced", extra=counts)
    return counts
