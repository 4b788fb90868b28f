from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Base
from app.models_common import UTCDateTime, utcnow

PUBLICATION_KINDS = ("news", "event", "offer", "poll")
PUBLICATION_STATUSES = ("draft", "published", "archived")
# An event without an end: still on (in feeds, near me, the agenda) this long after it starts.
EVENT_DEFAULT_DURATION = timedelta(hours=3)


class Publication(Base):
    """News, an event (start, end, place), an offer (validity window, optional place) or a poll
    (open from ``valid_from`` to ``valid_until``, optionally tied to a zone: app.polls)."""

    __tablename__ = "publication"
    __table_args__ = (
        Index("ix_publication_feed", "territory_id", "status", "published_at"),
        Index("ix_publication_agenda", "territory_id", "kind", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("actor.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(160))
    summary: Mapped[str] = mapped_column(String(280), default="")
    body_md: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="draft")
    # Set when a territory admin unpublishes it: hidden everywhere until the admin restores it.
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moderation_reason: Mapped[str] = mapped_column(String(280), default="")
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # events
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime)  # offers
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    place_name: Mapped[str] = mapped_column(String(160), default="")
    lat: Mapped[float | None] = mapped_column()
    lon: Mapped[float | None] = mapped_column()
    # Where it applies: a radius around (lat, lon), or a drawn polygon (GeoJSON geometry).
    radius_m: Mapped[int | None] = mapped_column(Integer)
    zone_geojson: Mapped[str | None] = mapped_column(Text)
    # Offers only: sent once to a person of these population types (csv) who enters the zone.
    is_welcome_offer: Mapped[bool] = mapped_column(Boolean, default=False)
    welcome_population_types: Mapped[str] = mapped_column(String(100), default="")
    # Polls (app.polls): open from ``valid_from`` to ``valid_until``; results shown to respondents
    # "live" or once "closed"; or, instead of questions, an invitation to an external survey
    # (a link, or embedded when its host is one the town allows).
    poll_results: Mapped[str] = mapped_column(String(10), default="live", server_default="live")
    survey_url: Mapped[str] = mapped_column(String(500), default="", server_default="")
    survey_embed: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Recurring events and opening times (the weekly market, the pool's hours): an RFC 5545
    # RRULE value ("FREQ=WEEKLY;BYDAY=SA;UNTIL=20271231T230000Z") from ``starts_at``, in the
    # territory's time zone; the occurrences taken out (EXDATE, JSON list of aware UTC ISO times);
    # an occurrence changed on its own is a publication of its own pointing at its series
    # (``recurrence_parent_id``) with the original start it replaces (``recurrence_id``).
    rrule: Mapped[str] = mapped_column(String(500), default="", server_default="")
    exdates_json: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    recurrence_parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("publication.id", ondelete="CASCADE"), index=True
    )
    recurrence_id: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # iCalendar: a stable UID (imported ones keep their source's) and the SEQUENCE, raised by each
    # change people must see (time, place, cancellation); a cancelled event stays listed as such.
    ical_uid: Mapped[str] = mapped_column(String(255), default="", server_default="")
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    image_media_id: Mapped[int | None] = mapped_column(ForeignKey("media.id", ondelete="SET NULL"))
    # What the image shows, for people who cannot see it (empty: the image is decorative).
    image_alt: Mapped[str] = mapped_column(String(250), default="", server_default="")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    actor = relationship("Actor", lazy="joined")
    hashtags = relationship("Hashtag", secondary="publication_hashtag", lazy="selectin")

    @property
    def welcome_population_type_list(self) -> list[str]:
        return [t for t in (self.welcome_population_types or "").split(",") if t]

    @property
    def is_visible(self) -> bool:
        """Shown to the public: published, not moderated, and its actor verified."""
        return (
            self.status == "published"
            and self.moderated_at is None
            and self.actor is not None
            and self.actor.status == "verified"
        )


class PublicationHashtag(Base):
    __tablename__ = "publication_hashtag"
    # The feed walks each hashtag's newest publications: (hashtag, publication) covers it.
    __table_args__ = (Index("ix_publication_hashtag_feed", "hashtag_id", "publication_id"),)

    publication_id: Mapped[int] = mapped_column(
        ForeignKey("publication.id", ondelete="CASCADE"), primary_key=True
    )
    hashtag_id: Mapped[int] = mapped_column(
        ForeignKey("hashtag.id", ondelete="CASCADE"), primary_key=True, index=True
    )
