"""Welcome offers in the background: a check-in that entered a welcome zone enqueues the
sending, which checks everything again and records the offer as sent once per person."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from app.accounts.models import User
from app.places.live import checked_in
from app.queue import app_context, huey
from app.territories.models import Territory
from app.welcome.services import send_welcome_offer, welcome_offers_at

log = logging.getLogger(__name__)


@huey.task(retries=2, retry_delay=5)
def send_welcome_offers(user_id: int, publication_ids: list[int]) -> int:
    """Send the welcome offers whose zone a person just entered (each once per person; see
    app.welcome.services.send_welcome_offer). Returns how many went to the delivery engine."""
    sent = 0
    with app_context():
        for publication_id in publication_ids:
            sent += bool(send_welcome_offer(user_id, publication_id))
    if sent:
        log.info("welcome offers sent", extra={"count": sent})
    return sent


@checked_in.connect
def _welcome_on_check_in(user: User, *, territory: Territory, lat: float, lon: float, cell: int,
                         at: datetime, **_extra: Any) -> None:
    """A check-in: the offers whose zone holds the exact point (no query unless it is in one)
    go to the sending task; the point itself goes no further."""
    offers = welcome_offers_at(user, territory, lat, lon, cell, at)
    if offers:
        send_welcome_offers(user.id, offers)
