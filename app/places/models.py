"""Places: the short-lived live cell of a person, and footfall: how many were present, by
neighbourhood and hour, kept as aggregates only."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Base
from app.models_common import UTCDateTime


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


class FootfallHour(Base):
    """How many people were present in one zone of a territory during one local hour, as sums of
    snapshots of the live cells taken before they expire (app.places.footfall): the average
    presence is ``presence_sum / samples``. Nobody is in it: no person, no cell, no time finer
    than the hour. Shown only through the release engine (the observatory of needs).

    ``zone`` is ``"town"`` (the whole territory) or ``"hood-<id>"`` (a neighbourhood, also named
    by ``neighbourhood_id`` so that it goes with it)."""

    __tablename__ = "footfall_hour"
    __table_args__ = (UniqueConstraint("territory_id", "zone", "local_date", "hour", name="uq_footfall_hour"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"))
    zone: Mapped[str] = mapped_column(String(20))
    neighbourhood_id: Mapped[int | None] = mapped_column(ForeignKey("neighbourhood.id", ondelete="CASCADE"))
    local_date: Mapped[date] = mapped_column(Date)
    hour: Mapped[int] = mapped_column(SmallInteger)  # 0-23, the territory's local time
    samples: Mapped[int] = mapped_column(Integer, default=0)
    presence_sum: Mapped[int] = mapped_column(Integer, default=0)
