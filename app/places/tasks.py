"""Background work of places: forgetting live cells once they are an hour old, and sending
the welcome offers a check-in found."""

from __future__ import annotations

import logging

from huey import crontab

from app.queue import app_context, huey

log = logging.getLogger(__name__)


@huey.periodic_task(crontab(minute="*/5"))
def purge_live_cells() -> int:
    """Every 5 minutes: delete the live cells older than 60 minutes (queries already ignore
    them; this makes sure they are gone)."""
    from app.places.services import purge_expired_live_cells

    with app_context():
        deleted = purge_expired_live_cells()
    if deleted:
        log.info("purged %d expired live cells", deleted)
    return deleted


@huey.task(retries=2, retry_delay=5)
def send_welcome_offers(user_id: int, publication_ids: list[int]) -> int:
    """Send the welcome offers whose zone a person just entered (each once per person; see
    app.places.services.send_welcome_offer). Returns how many went to the delivery engine."""
    from app.places.services import send_welcome_offer

    sent = 0
    with app_context():
        for publication_id in publication_ids:
            sent += bool(send_welcome_offer(user_id, publication_id))
    if sent:
        log.info("welcome offers sent", extra={"count": sent})
    return sent
