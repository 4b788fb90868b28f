"""Releases: each count of people that left the platform, as it left (noised), so that the same
question gets the same answer and the privacy each asker spends is counted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Base
from app.models_common import UTCDateTime, utcnow


class CountRelease(Base):
    """One released count: who asked (an actor, the town, the public), the question's canonical
    digest and the window it stands for, the noisy value shown (never the true count) and the
    privacy it cost (epsilon; 0 for the questions nobody chooses, see app.releases.engine)."""

    __tablename__ = "count_release"
    __table_args__ = (
        UniqueConstraint("territory_id", "asker_kind", "asker_id", "question", "window_start"),
        Index("ix_count_release_budget", "asker_kind", "asker_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"))
    asker_kind: Mapped[str] = mapped_column(String(10))  # actor | town | public
    asker_id: Mapped[int] = mapped_column(Integer, default=0)  # the actor's id; 0 for the others
    question: Mapped[str] = mapped_column(String(64))  # sha256 of the canonical question
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    noisy: Mapped[int] = mapped_column(Integer)
    epsilon: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
