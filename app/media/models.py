from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Base
from app.models_common import UTCDateTime, utcnow


class Media(Base):
    """An uploaded image, already checked and re-encoded; kept in the database so that every
    web process on every machine serves it without a shared disk."""

    __tablename__ = "media"

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key: territory.logo_media_id already points here, and a cycle of keys is a
    # burden on SQLite migrations; media of a deleted territory are removed with it by the service.
    territory_id: Mapped[int] = mapped_column(Integer, index=True)
    content_type: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
