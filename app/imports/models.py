from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Base
from app.models_common import UTCDateTime, utcnow

# What a subscription reads: "auto" until the first fetch tells (then one of the others).
FEED_KINDS = ("auto", "ical", "openagenda", "rss", "atom")


class FeedSubscription(Base):
    """A calendar or news feed an actor publishes from (added by the actor, or by the town for it):
    fetched by the poller (app.imports.tasks) with the validators of the last answer (ETag,
    Last-Modified); a failure is kept as a code and a detail (shown translated) and the next
    fetch waits longer each time."""

    __tablename__ = "feed_subscription"
    __table_args__ = (Index("ix_feed_subscription_due", "active", "next_fetch_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actor.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12), default="auto")
    url: Mapped[str] = mapped_column(String(1000))
    hashtags: Mapped[str] = mapped_column(String(300), default="")  # given to every import
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    etag: Mapped[str] = mapped_column(String(255), default="")
    last_modified: Mapped[str] = mapped_column(String(64), default="")
    last_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_fetch_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error_code: Mapped[str] = mapped_column(String(40), default="")
    last_error_detail: Mapped[str] = mapped_column(String(300), default="")
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    # What the last import did (a 304 leaves them as they were).
    last_created: Mapped[int] = mapped_column(Integer, default=0)
    last_updated: Mapped[int] = mapped_column(Integer, default=0)
    last_withdrawn: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor = relationship("Actor", lazy="joined")


class FeedItem(Base):
    """One entry of a feed (its UID, and for a changed occurrence of a series its RECURRENCE-ID)
    and the publication made of it: a re-import finds it here and updates instead of adding,
    whatever the order of the feed."""

    __tablename__ = "feed_item"
    __table_args__ = (Index("ix_feed_item_source", "subscription_id", "source_uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("feed_subscription.id", ondelete="CASCADE"))
    source_uid: Mapped[str] = mapped_column(String(255))
    recurrence_id: Mapped[datetime | None] = mapped_column(UTCDateTime)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publication.id", ondelete="CASCADE"), index=True)
    source_sequence: Mapped[int] = mapped_column(Integer, default=0)
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    # Archived by the import because the entry left the feed: brought back if it returns.
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    publication = relationship("Publication", lazy="raise")
