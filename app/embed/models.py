"""What a territory lets other sites do with its widgets (app.embed)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Base
from app.models_common import UTCDateTime, utcnow


class EmbedSetting(Base):
    """The origins (``https://www.ville.fr``, one per line) allowed to frame the territory's
    embeddable pages; none: no site may (every page keeps refusing to be framed)."""

    __tablename__ = "embed_setting"

    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), primary_key=True)
    origins: Mapped[str] = mapped_column(Text, default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def origin_list(self) -> list[str]:
        return [line.strip() for line in (self.origins or "").splitlines() if line.strip()]
