"""Exceptions to an actor's weekly opening hours: holidays and special days, entered by the actor
(app.actors.hours reads them with the weekly hours)."""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Base
from app.models_common import UTCDateTime, utcnow


class HoursException(Base):
    """From ``starts_on`` to ``ends_on`` (local dates, both included) the actor is closed all
    day (``closed``) or keeps the special hours ``hours_json`` ([["10:00", "13:00"]], the
    weekly hours' format) instead of its weekly ones; ``label`` says why ("Christmas")."""

    __tablename__ = "actor_hours_exception"
    __table_args__ = (Index("ix_actor_hours_exception_actor_dates", "actor_id", "ends_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actor.id", ondelete="CASCADE"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    closed: Mapped[bool] = mapped_column(Boolean, default=True)
    hours_json: Mapped[str] = mapped_column(Text, default="[]")
    label: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def hours(self) -> list[list[str]]:
        return [] if self.closed else json.loads(self.hours_json or "[]")

    def covers(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on
