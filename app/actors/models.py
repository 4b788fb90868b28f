from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

# The exceptions to opening hours have a file of their own; named here, their table is in the
# metadata with the actors' (the factory imports each domain's ``models``).
from app.actors.hours_models import HoursException  # noqa: F401
from app.extensions import Base
from app.models_common import UTCDateTime, utcnow

ACTOR_KINDS = (
    "town_service",
    "association",
    "merchant",
    "culture",
    "tourism_office",
    "school",
    "sports_club",
)
# Kinds that carry powers (civic alerts past the cap and quiet hours; the tourism office's
# screens): only the town gives them.
POWERED_KINDS = ("town_service", "tourism_office")
# Kinds that are shops: they declare click-and-collect and delivery on their page and answer the
# commerce audit's self-assessment (app.audit).
SHOP_KINDS = ("merchant",)
ACTOR_STATUSES = ("pending", "verified", "rejected")
MEMBER_ROLES = ("owner", "editor")


class Actor(Base):
    """A local actor with its public page: a town service, association, shop, club..."""

    __tablename__ = "actor"
    __table_args__ = (
        UniqueConstraint("territory_id", "slug"),
        Index("ix_actor_territory_status", "territory_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(140))
    summary: Mapped[str] = mapped_column(String(280), default="")
    description_md: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(255), default="")
    lat: Mapped[float | None] = mapped_column()
    lon: Mapped[float | None] = mapped_column()
    neighbourhood_id: Mapped[int | None] = mapped_column(
        ForeignKey("neighbourhood.id", ondelete="SET NULL")
    )
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    website: Mapped[str] = mapped_column(String(255), default="")
    # {"mon": [["09:00", "12:00"], ["14:00", "19:00"]], "tue": [...], ...}; absent day: closed
    opening_hours_json: Mapped[str] = mapped_column(Text, default="{}")
    # What a shop declares on its page (shown in "open now" and Near me; the commerce audit
    # counts them): orders collected in the shop, and delivery, each with a short note (how,
    # where, from when).
    click_and_collect: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    click_and_collect_note: Mapped[str] = mapped_column(String(200), default="", server_default="")
    delivers: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    delivery_note: Mapped[str] = mapped_column(String(200), default="", server_default="")
    logo_media_id: Mapped[int | None] = mapped_column(ForeignKey("media.id", ondelete="SET NULL"))
    photo_media_id: Mapped[int | None] = mapped_column(ForeignKey("media.id", ondelete="SET NULL"))
    # What the photo shows, for people who cannot see it (empty: decorative).
    photo_alt: Mapped[str] = mapped_column(String(250), default="", server_default="")
    status: Mapped[str] = mapped_column(String(10), default="pending")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A verified actor's new name or kind waits for the town (the verified ones stay public).
    pending_name: Mapped[str | None] = mapped_column(String(120))
    pending_kind: Mapped[str | None] = mapped_column(String(20))

    hashtags = relationship("Hashtag", secondary="actor_hashtag", lazy="selectin")
    neighbourhood = relationship("Neighbourhood")

    @property
    def opening_hours(self) -> dict[str, list[list[str]]]:
        return json.loads(self.opening_hours_json or "{}")

    @opening_hours.setter
    def opening_hours(self, value: dict[str, Any]) -> None:
        self.opening_hours_json = json.dumps(value, sort_keys=True)

    @property
    def is_verified(self) -> bool:
        return self.status == "verified"

    @property
    def has_pending_change(self) -> bool:
        return self.pending_name is not None or self.pending_kind is not None


class ActorHashtag(Base):
    __tablename__ = "actor_hashtag"

    actor_id: Mapped[int] = mapped_column(ForeignKey("actor.id", ondelete="CASCADE"), primary_key=True)
    hashtag_id: Mapped[int] = mapped_column(
        ForeignKey("hashtag.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Membership(Base):
    """A person's role in an actor: owner (manages members) or editor (publishes)."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("actor_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actor.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(10), default="editor")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[Actor] = relationship()
    user = relationship("User")


class Invitation(Base):
    """An owner's invitation, by e-mail, to join an actor as editor or owner."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actor.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(10), default="editor")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    actor: Mapped[Actor] = relationship()


class Follow(Base):
    __tablename__ = "follow"
    # (actor, person): an actor's followers straight from the index (audiences, counts).
    __table_args__ = (Index("ix_follow_actor_user", "actor_id", "user_id"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    actor_id: Mapped[int] = mapped_column(
        ForeignKey("actor.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
