"""What a citizen chose about being notified: channels, limits, push subscriptions, mutes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Base
from app.models_common import UTCDateTime, utcnow

DEFAULT_DAILY_CAP = 3
MAX_DAILY_CAP = 10
DEFAULT_QUIET_START = "21:00"
DEFAULT_QUIET_END = "08:00"


class NotificationSettings(Base):
    """One row per person, created with the defaults on first use. The inbox is always on; each
    other channel is switched on separately (e-mail is off until the person ticks it)."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    push_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    email_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    sms_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164, set once confirmed
    pending_phone: Mapped[str | None] = mapped_column(String(20))
    phone_code_hash: Mapped[str | None] = mapped_column(String(64))
    phone_code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    phone_code_attempts: Mapped[int] = mapped_column(Integer, default=0)
    daily_cap: Mapped[int] = mapped_column(Integer, default=DEFAULT_DAILY_CAP)
    # None is "no quiet hours"; a new person gets the defaults from ``settings_of`` (a column
    # default here would also replace an explicit None at insert time)
    quiet_start: Mapped[str | None] = mapped_column(String(5))
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    # Unsubscribe links made before this stop working (app.delivery.tokens): set when the person
    # subscribes to e-mails again or changes their e-mail address or password.
    unsubscribe_links_revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PushSubscription(Base):
    """A browser's push subscription (endpoint and keys). A 404 or 410 from the push service
    deletes it."""

    __tablename__ = "push_subscription"
    __table_args__ = (UniqueConstraint("endpoint_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"))
    endpoint: Mapped[str] = mapped_column(Text)
    endpoint_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the endpoint, for lookups
    p256dh: Mapped[str] = mapped_column(String(120))
    auth: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Mute(Base):
    """A person does not want messages from an actor, or about a hashtag."""

    __tablename__ = "mute"
    __table_args__ = (
        UniqueConstraint("user_id", "actor_id"),
        UniqueConstraint("user_id", "hashtag_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("actor.id", ondelete="CASCADE"))
    hashtag_id: Mapped[int | None] = mapped_column(ForeignKey("hashtag.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
