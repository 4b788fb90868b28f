"""A town's own text of a legal page (terms, privacy notice, legal notice, accessibility
statement) in one language; where it has none, the app's default text is shown."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Base
from app.models_common import UTCDateTime, utcnow


class LegalText(Base):
    """One page kind in one language, as the town wrote it. ``body`` is Markdown, or None once
    the town went back to the default text (the row stays: its version keeps counting)."""

    __tablename__ = "legal_text"
    __table_args__ = (UniqueConstraint("territory_id", "kind", "language", name="uq_legal_text"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # terms | privacy | notice | accessibility
    language: Mapped[str] = mapped_column(String(5))
    body: Mapped[str | None] = mapped_column(Text)
    # The page's version after this change: one counter per page kind, across its languages.
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
