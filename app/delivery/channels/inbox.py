"""The in-app inbox: one InboxItem per delivery (its unique ``delivery_id`` makes a second try
harmless: the insert does nothing)."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from app.delivery.channels import Item, Message, Outcome, sent
from app.delivery.models import InboxItem
from app.extensions import db
from app.models_common import utcnow


def insert_ignoring_duplicates(table, rows: list[dict]) -> None:  # type: ignore[no-untyped-def]
    """INSERT ... ON CONFLICT DO NOTHING (SQLite and PostgreSQL)."""
    if not rows:
        return
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(insert(table).on_conflict_do_nothing(), rows)


def local_path(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


class InboxChannel:
    name = "inbox"

    def send_batch(self, items: Sequence[Item]) -> list[Outcome]:
        outcomes = self.write(items)
        db.session.commit()
        return outcomes

    def write(self, items: Sequence[Item]) -> list[Outcome]:
        """The inbox items, in the caller's transaction (the drain writes them in the one that
        records the batch: one commit for both)."""
        now = utcnow()
        rows = []
        message: Message | None = None
        shared: dict[str, object] = {}
        for item in items:
            if item.message is not message:  # a batch is one run's: made once, not per item
                message = item.message
                shared = {
                    "territory_id": message.territory_id,
                    "campaign_id": message.campaign_id,
                    "actor_id": message.actor_id,
                    "kind": message.inbox_kind,
                    "title": message.title[:120],
                    "body": message.body,
                    "url": local_path(message.link)[:255],
                    "is_alert": message.is_alert,
                    "created_at": now,
                }
            rows.append({**shared, "user_id": item.user_id, "delivery_id": item.delivery_id})
        insert_ignoring_duplicates(InboxItem.__table__, rows)
        return [sent() for _ in items]
