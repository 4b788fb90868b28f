"""The town's data inventory for the commerce audit: one row per data source the town (or a
partner) holds — parking sensors, bus ridership, the town's Wi-Fi… — with what it measures, its
format and freshness, its legal basis under the GDPR, whether it is open data, and the steps of
the shopping journey (app.audit.journey codes) it informs. The platform's own sources are not
stored: they are computed (app.audit.services_inventory)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Base
from app.models_common import UTCDateTime, utcnow

FORMATS = ("csv", "api", "spreadsheet", "database", "paper", "sensor", "other")
FRESHNESS = ("real_time", "daily", "weekly", "monthly", "yearly", "one_off")
LEGAL_BASES = ("none", "consent", "contract", "legal_obligation", "public_task", "legitimate_interest")


class AuditDataSource(Base):
    __tablename__ = "audit_data_source"
    __table_args__ = (Index("ix_audit_data_source_territory", "territory_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    owner: Mapped[str] = mapped_column(String(120), default="", server_default="")
    measures: Mapped[str] = mapped_column(String(500), default="", server_default="")
    format: Mapped[str] = mapped_column(String(20), default="other", server_default="other")
    freshness: Mapped[str] = mapped_column(String(20), default="one_off", server_default="one_off")
    last_updated: Mapped[date | None] = mapped_column(Date)
    legal_basis: Mapped[str] = mapped_column(String(20), default="none", server_default="none")
    legal_note: Mapped[str] = mapped_column(String(300), default="", server_default="")
    personal_data: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    open_data: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    open_data_url: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # The journey steps it informs: codes of app.audit.journey.DEFAULT_STEPS, comma-separated.
    steps_text: Mapped[str] = mapped_column(String(300), default="", server_default="")
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def steps(self) -> list[str]:
        return [code for code in self.steps_text.split(",") if code]

    @steps.setter
    def steps(self, codes: list[str]) -> None:
        self.steps_text = ",".join(dict.fromkeys(code for code in codes if code))
