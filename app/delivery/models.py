"""The in-app inbox's messages: what the inbox channel delivers (a campaign's message) and the
daily digest of what the cap held back. Read by the person in their inbox (app.inbox)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.actors.models import Actor
from app.extensions import Base
from app.models_common import UTCDateTime, utcnow


class InboxItem(Base):
    """A message in a person's in-app inbox: a campaign, or the daily digest of what the cap held."""

    __tablename__ = "inbox_item"
    __table_args__ = (
        Index("ix_inbox_user_unread", "user_id", "read_at"),
        UniqueConstraint("delivery_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"))
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("delivery.id", ondelete="SET NULL"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id", ondelete="SET NULL"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("actor.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(10), default="message")  # message | digest
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(255), default="")
    is_alert: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A digest's entries: [{"actor_id", "actor_name", "title", "url"}] (the body is their text).
    entries_json: Mapped[str | None] = mapped_column(Text)
    # Who sent it: shown with the message, with a way to mute it.
    actor: Mapped[Actor | None] = relationship(Actor, lazy="select")

    @property
    def entries(self) -> list[dict[str, Any]]:
        return json.loads(self.entries_json) if self.entries_json else []
