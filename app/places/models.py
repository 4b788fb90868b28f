"""Places: the short-lived live cell of a person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index
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
