"""What the links of a message record: its open and its first click, once each (conditional
updates: two at once record one); and whose message it was, for the links that act for them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from app.accounts.models import User
from app.campaigns.models import Delivery
from app.extensions import db
from app.models_common import utcnow
from app.territories.scoping import same_territory


def record_open(delivery_id: int, now: datetime | None = None) -> bool:
    """Set the delivery's opened_at, only the first time (a conditional update: two opens at
    once record one). The caller commits."""
    result = db.session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.opened_at.is_(None))
        .values(opened_at=now or utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def record_click(delivery_id: int, now: datetime | None = None) -> None:
    """The first click; a click is also an open."""
    now = now or utcnow()
    db.session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.clicked_at.is_(None))
        .values(clicked_at=now)
    )
    record_open(delivery_id, now)
    db.session.commit()


def delivery_user(delivery: Delivery) -> User | None:
    if delivery.user_id is None:
        return None
    user = db.session.get(User, delivery.user_id)
    return user if user is not None and same_territory(user, delivery) else None
