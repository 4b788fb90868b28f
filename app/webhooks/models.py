"""Webhooks out (Standard Webhooks): the endpoints a town registers, the messages sent to them
(a delivery log per endpoint), and the polls whose closing was already announced.

A message's ``payload`` is the exact JSON text sent: its bytes never change between attempts,
so each attempt's signature covers the same body, and ``id`` (``msg_…``) is the
``webhook-id`` receivers deduplicate on. Payloads are thin and hold no personal data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Base
from app.models_common import UTCDateTime, utcnow

EVENT_TYPES = ("publication.published", "report.status_changed", "poll.closed")
TEST_EVENT = "webhook.test"
MESSAGE_STATUSES = ("pending", "delivered", "failed", "gone")


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(String(200), default="", server_default="")
    event_types: Mapped[str] = mapped_column(String(300), default="", server_default="")  # space-separated
    # "whsec_" + base64 of 24 random bytes; the previous one also signs until previous_secret_until.
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str] = mapped_column(String(100), default="", server_default="")
    previous_secret_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str] = mapped_column(String(300), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def events(self) -> list[str]:
        return [event for event in self.event_types.split() if event in EVENT_TYPES]


class WebhookMessage(Base):
    __tablename__ = "webhook_message"
    # The sender's claim walks the due messages; the log pages walk an endpoint's newest.
    __table_args__ = (
        Index("ix_webhook_message_due", "status", "next_attempt_at"),
        Index("ix_webhook_message_endpoint", "endpoint_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # msg_<random>
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoint.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str] = mapped_column(String(300), default="", server_default="")
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookPollClosed(Base):
    """A poll whose closing was announced (once per poll, whatever the endpoints then)."""

    __tablename__ = "webhook_poll_closed"

    publication_id: Mapped[int] = mapped_column(ForeignKey("publication.id", ondelete="CASCADE"), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
