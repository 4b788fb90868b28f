from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Base
from app.models_common import UTCDateTime, utcnow


def new_media_token() -> str:
    """192 random bits, URL-safe: a media's address cannot be guessed from another's."""
    return secrets.token_urlsafe(24)


class Media(Base):
    """An uploaded image, already checked and re-encoded; kept in the database so that every
    web process on every machine serves it without a shared disk."""

    __tablename__ = "media"

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key: territory.logo_media_id already points here, and a cycle of keys is a
    # burden on SQLite migrations; media of a deleted territory are removed with it by the service.
    territory_id: Mapped[int] = mapped_column(Integer, index=True)
    # Its URL names it by this token, never by its (sequential) id: a draft's image is not
    # found by counting (app.media.routes decides who may see it).
    token: Mapped[str] = mapped_column(String(32), unique=True, index=True, default=new_media_token)
    content_type: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
