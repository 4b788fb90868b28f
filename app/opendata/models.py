"""What a town publishes as open data: its choice of datasets, their licence and the
catalogue's contact address (the town's, not a person's). One row per territory; no row, or
no dataset chosen: nothing is published."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Base
from app.models_common import UTCDateTime, utcnow


class OpenDataCatalogue(Base):
    __tablename__ = "open_data_catalogue"

    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), primary_key=True)
    published: Mapped[str] = mapped_column(String(200), default="", server_default="")  # dataset ids, comma-separated
    licence: Mapped[str] = mapped_column(String(20), default="etalab-2.0", server_default="etalab-2.0")
    contact_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
