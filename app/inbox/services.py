"""The in-app inbox: a person's messages, newest first; opening one marks it read and records
the open of its delivery (once)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app import changes
from app.accounts.models import User
from app.actors.models import Actor
from app.delivery.models import InboxItem
from app.delivery.tracking import record_open
from app.extensions import db
from app.models_common import utcnow
from app.territories.scoping import belongs, same_territory, territory_id_of


@lru_cache(maxsize=2)
def _items_statement(before: bool) -> Any:
    """Built once (building it cost more than running it, on every opening of the inbox)."""
    query = (
        select(InboxItem)
        .options(selectinload(InboxItem.actor))
        .where(
            InboxItem.user_id == bindparam("user_id"),
            InboxItem.territory_id == bindparam("territory_id"),
        )
        .order_by(InboxItem.created_at.desc(), InboxItem.id.desc())
        .limit(bindparam("limit"))
    )
    return query.where(InboxItem.id < bindparam("before_id")) if before else query


def inbox_items(user: User, limit: int = 50, before_id: int | None = None) -> list[InboxItem]:
    parameters = {"user_id": user.id, "territory_id": territory_id_of(user), "limit": limit}
    if before_id is not None:
        parameters["before_id"] = before_id
    return list(db.session.scalars(_items_statement(before_id is not None), parameters))


def unread_count(user: User) -> int:
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(InboxItem)
            .where(InboxItem.user_id == user.id, InboxItem.read_at.is_(None))
        )
        or 0
    )


def inbox_item_of(user: User, item_id: int) -> InboxItem | None:
    """One of the person's own items; anybody else's is not found."""
    item = db.session.get(InboxItem, item_id)
    if item is None or item.user_id != user.id or not same_territory(item, user):
        return None
    return item


def open_inbox_item(item: InboxItem, now: datetime | None = None) -> bool:
    """Mark the item read and record the open of its delivery (once). True if it was unread."""
    now = now or utcnow()
    was_unread = item.read_at is None
    if was_unread:
        # Written as the person's own (app.changes.concerning): only their unread count is read again.
        db.session.execute(
            update(InboxItem)
            .where(InboxItem.id == item.id)
            .values(read_at=now)
            .execution_options(**changes.concerning("inbox", [item.user_id]), synchronize_session=False)
        )
        set_committed_value(item, "read_at", now)
    if item.delivery_id is not None:
        record_open(item.delivery_id, now)
    db.session.commit()
    return was_unread


def mark_all_read(user: User, now: datetime | None = None) -> int:
    now = now or utcnow()
    # Marking everything read is not opening each message: the deliveries' opens stay unrecorded.
    result = db.session.execute(
        update(InboxItem)
        .where(InboxItem.user_id == user.id, InboxItem.read_at.is_(None))
        .values(read_at=now)
        .execution_options(**changes.concerning("inbox", [user.id]))
    )
    db.session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def digest_actors(item: InboxItem) -> list[Actor]:
    """The verified actors a digest names, of its territory, once each, in their order."""
    ids = list(dict.fromkeys(int(e["actor_id"]) for e in item.entries if e.get("actor_id")))
    if not ids:
        return []
    found = {a.id: a for a in db.session.scalars(
        select(Actor).where(Actor.id.in_(ids), belongs(Actor, item.territory_id), Actor.status == "verified"))}
    return [found[i] for i in ids if i in found]
