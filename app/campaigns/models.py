"""Campaigns: an actor says *what* and *to whom, by criteria*; the platform delivers.

A ``Campaign`` is what the actor wrote and chose (text, link, criteria, channels, schedule). Each
time it goes out (once, or every week for a repeating one) is a ``CampaignRun``; the run's
recipients are materialised as ``Delivery`` rows (one per person and channel) in the same
transaction that moves the run to "sending"; the delivery engine (app.delivery) sends them. The
actor only ever sees aggregates of those rows (app.campaigns.stats), at or above the anonymity
floor.

Deliveries are the delivery engine's unit of work: the unique key makes materialising a run twice
harmless. A worker *claims* rows (status ``sending`` with a lease, ``lease_until``); a worker
killed mid-batch leaves rows whose lease expires, which another worker takes again with the same
``idempotency key`` (the push ``Topic`` and notification tag, the e-mail ``Message-ID``, the SMS
provider's idempotency key), so that a message in flight when the worker died is not shown twice.
After 90 days ``user_id`` is set to NULL (app.privacy retention): the counts stay, the link to
the person goes.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Base
from app.models_common import UTCDateTime, utcnow

CHANNELS = ("push", "email", "sms", "inbox")
# Channels that interrupt a person: the daily cap and quiet hours apply to them (not to the inbox).
INTERRUPTING_CHANNELS = ("push", "email", "sms")
CAMPAIGN_STATUSES = ("draft", "scheduled", "sending", "sent", "cancelled")
SCHEDULE_KINDS = ("now", "at", "weekly")
# Messages the platform sends to the few people a matter concerns (a street report's update to its
# reporter and followers, app.delivery.personal) travel as a campaign of their own kind so the
# engine's channels, caps, quiet hours and mutes apply; they are not the actor's campaigns: its
# lists, pages and statistics leave them out.
PERSONAL_KINDS = ("report",)
RUN_STATUSES = ("sending", "sent", "refused")

TITLE_MAX = 80
BODY_MAX = 500


class Campaign(Base):
    __tablename__ = "campaign"
    __table_args__ = (
        Index("ix_campaign_actor", "actor_id", "created_at"),
        Index("ix_campaign_due", "status", "next_run_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("actor.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    body: Mapped[str] = mapped_column(String(BODY_MAX), default="")
    # Where the message leads: one of the actor's publications, else the actor's page.
    publication_id: Mapped[int | None] = mapped_column(
        ForeignKey("publication.id", ondelete="SET NULL")
    )
    # The audience criteria (app.campaigns.criteria): {"match": "all", "rules": [{"kind": ...}, ...]}
    criteria_json: Mapped[str] = mapped_column(Text, default='{"match": "all", "rules": []}')
    channels_csv: Mapped[str] = mapped_column(String(40), default="push,email,sms,inbox")
    is_alert: Mapped[bool] = mapped_column(Boolean, default=False)  # civic alert (town service)
    schedule_kind: Mapped[str] = mapped_column(String(10), default="now")
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # "at", and first "weekly"
    repeat_weekday: Mapped[int | None] = mapped_column(Integer)  # 0 = Monday (weekly)
    repeat_time: Mapped[str | None] = mapped_column(String(5))  # "09:00", territory time
    repeat_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    actor = relationship("Actor")
    publication = relationship("Publication")
    runs: Mapped[list[CampaignRun]] = relationship(
        back_populates="campaign", order_by="CampaignRun.scheduled_for", cascade="all, delete-orphan"
    )

    @property
    def criteria(self) -> dict[str, Any]:
        return json.loads(self.criteria_json or "{}")

    @criteria.setter
    def criteria(self, value: dict[str, Any]) -> None:
        self.criteria_json = json.dumps(value, sort_keys=True)

    @property
    def channels(self) -> list[str]:
        return [c for c in self.channels_csv.split(",") if c]

    @channels.setter
    def channels(self, value: list[str]) -> None:
        self.channels_csv = ",".join(c for c in CHANNELS if c in value)


class CampaignRun(Base):
    """One sending of a campaign. Unique per (campaign, scheduled time): a scheduler that fires
    twice (two workers, a restart) cannot start the same occurrence twice."""

    __tablename__ = "campaign_run"
    __table_args__ = (UniqueConstraint("campaign_id", "scheduled_for"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"))
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="sending")
    # Internal: how many people matched at send time. Shown only rounded and above the floor.
    audience_size: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A paced run (app.delivery.drain, CAMPAIGN_SEND_RATE): when its last reserved batch may end,
    # in seconds since the epoch; its drains, in any process, reserve their batches one after the other.
    pace_clock: Mapped[float | None] = mapped_column(Float)

    campaign: Mapped[Campaign] = relationship(back_populates="runs")


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
