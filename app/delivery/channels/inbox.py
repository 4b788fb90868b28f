"""The in-app inbox: one InboxItem per delivery (its unique ``delivery_id`` makes a second try
harmless: the insert does nothing)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Select, bindparam, literal
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app import changes
from app.delivery.channels import Item, Message, Outcome, sent
from app.delivery.models import InboxItem
from app.extensions import db
from app.models_common import UTCDateTime, utcnow


def _insert(table: Any) -> Any:
    postgres = db.session.get_bind().dialect.name == "postgresql"
    return (postgresql_insert if postgres else sqlite_insert)(table)


def insert_ignoring_duplicates(table, rows: list[dict], options: dict | None = None) -> None:  # type: ignore[no-untyped-def]
    """INSERT ... ON CONFLICT DO NOTHING (SQLite and PostgreSQL), with the execution ``options``."""
    if not rows:
        return
    db.session.execute(_insert(table).on_conflict_do_nothing(), rows, execution_options=options or {})


def local_path(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _item_fields(message: Message) -> dict[str, Any]:
    """What an inbox item of ``message`` holds besides its person, delivery and time."""
    return {
        "territory_id": message.territory_id,
        "campaign_id": message.campaign_id,
        "actor_id": message.actor_id,
        "kind": message.inbox_kind,
        "title": message.title[:120],
        "body": message.body,
        "url": local_path(message.link)[:255],
        "is_alert": message.is_alert,
    }


class InboxChannel:
    name = "inbox"

    def __init__(self) -> None:
        self._selected: tuple[Message, Select[Any], Any] | None = None  # write_selected's last statement

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
                shared = {**_item_fields(message), "created_at": now}
            rows.append({**shared, "user_id": item.user_id, "delivery_id": item.delivery_id})
        insert_ignoring_duplicates(
            InboxItem.__table__, rows, changes.concerning("inbox", (item.user_id for item in items))
        )
        return [sent() for _ in items]

    def write_selected(
        self, message: Message, deliveries: Select[Any], values: dict[str, Any] | None = None,
        people: Iterable[int] | None = None,
    ) -> None:
        """The inbox items of ``deliveries`` (a SELECT of user ids and delivery ids, with its
        bound ``values``), in one ``INSERT ... SELECT`` in the caller's transaction: the
        database makes the rows, no round trip per row. The statement is built once per message
        and SELECT (a drain runs it for every batch), the time bound at each execution.
        ``people``: whose deliveries these may be (app.changes.concerning: only their kept unread
        counts are read again)."""
        if self._selected is None or self._selected[0] is not message or self._selected[1] is not deliveries:
            fields = _item_fields(message)
            table = InboxItem.__table__
            columns = [*fields, "created_at", "user_id", "delivery_id"]
            rows = deliveries.add_columns(
                *(literal(value, table.c[name].type) for name, value in fields.items()),
                bindparam("b_created_at", type_=UTCDateTime()),
            )
            selected = [*rows.selected_columns]
            rows = rows.with_only_columns(*selected[2:], *selected[:2], maintain_column_froms=True)
            self._selected = (message, deliveries, _insert(table).from_select(columns, rows).on_conflict_do_nothing())
        db.session.connection().execute(
            self._selected[2],
            {**(values or {}), "b_created_at": utcnow()},
            execution_options=changes.concerning("inbox", people) if people is not None else {},
        )
