"""Deliveries: one row per (campaign run, person, channel), the unit of work of the workers.

The unique key makes materialising a run twice harmless. A worker *claims* rows (status
``sending`` with a lease, ``lease_until``); a worker killed mid-batch leaves rows whose lease
expires, which another worker takes again with the same ``idempotency key`` (the push ``Topic``
and notification tag, the e-mail ``Message-ID``, the SMS provider's idempotency key), so that a
message in flight when the worker died is not shown twice.

After 90 days ``user_id`` is set to NULL (app.privacy retention): the counts stay, the link to the
person goes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Base
from app.models_common import UTCDateTime, utcnow

# How long a delivery stays linked to its recipient (app.privacy.retention unlinks it after).
RECIPIENT_LINK_LIFETIME = timedelta(days=90)

DELIVERY_STATUSES = ("queued", "sending", "sent", "failed", "skipped", "deferred")
# Why a delivery was skipped or deferred.
DELIVERY_REASONS = ("cap", "quiet_hours", "no_channel", "muted", "unsubscribed", "gone", "digest")


class Delivery(Base):
    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("run_id", "user_id", "channel"),
        Index("ix_delivery_work", "status", "next_attempt_at"),
        Index("ix_delivery_run_status", "run_id", "status"),
        Index("ix_delivery_user_sent", "user_id", "sent_at"),
        # The retention task finds the deliveries still linked to a person after 90 days.
        Index("ix_delivery_linked_created", "created_at",
              postgresql_where=text("user_id IS NOT NULL"), sqlite_where=text("user_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("campaign_run.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), index=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="queued")
    reason: Mapped[str | None] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(80))  # a status code or error class, no data
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clicked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def idempotency_key(self) -> str:
        return f"d{self.id}"
