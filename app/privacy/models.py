"""The privacy centre's data exports: one row per archive a person asked for."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Base
from app.models_common import UTCDateTime, utcnow

EXPORT_STATUSES = ("queued", "running", "ready", "failed")


class DataExport(Base):
    """An archive of everything the platform holds about one person, built in the background.

    The file lives in ``INSTANCE_DIR/exports/`` under a random name (never the person's id or
    e-mail); it is served only to its owner, until ``expires_at`` (seven days after it is
    ready), and then deleted with its row by ``purge_expired_exports``."""

    __tablename__ = "data_export"
    __table_args__ = (Index("ix_data_export_user", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10), default="queued")
    progress: Mapped[int] = mapped_column(Integer, default=0)  # 0-100
    file_name: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int | None] = mapped_column(Integer)  # bytes, once ready
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    @property
    def in_progress(self) -> bool:
        return self.status in ("queued", "running")

    def is_downloadable(self, now: datetime) -> bool:
        return self.status == "ready" and self.expires_at is not None and now < self.expires_at
