"""Places: the short-lived live cell of a person, the welcome offers already sent, and the
tokens of the tourism office's screens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Base
from app.models_common import UTCDateTime, utcnow


class LiveCell(Base):
    """Where a person who opted in is now: one coarse H3 cell and when, never coordinates.

    One row per person at most (the primary key is the person): a check-in overwrites it, so
    there is never a history. A row older than ``LIVE_CELL_LIFETIME`` no longer counts and is
    deleted by the purge task; withdrawing the consent deletes it at once."""

    __tablename__ = "live_cell"
    __table_args__ = (Index("ix_live_cell_zone", "territory_id", "cell", "seen_at"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"))
    cell: Mapped[int] = mapped_column(BigInteger)  # H3 index, resolution 9
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class WelcomeSent(Base):
    """A welcome offer already sent to a person: each welcome offer reaches a person once."""

    __tablename__ = "welcome_sent"
    __table_args__ = (UniqueConstraint("user_id", "publication_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    publication_id: Mapped[int] = mapped_column(
        ForeignKey("publication.id", ondelete="CASCADE"), index=True
    )
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class KioskToken(Base):
    """The secret link of a tourism office's screen (``/kiosk/<token>``); only its hash is kept."""

    __tablename__ = "kiosk_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("actor.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    actor = relationship("Actor")

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
