"""Street reports ("Dans ma rue"): a resident reports a problem in the street (a category of the
town's list, a place, a description, up to 3 photos) and follows it to its resolution.

- ``ReportCategory``: the town's list; each names the service (a town-service actor) that handles
  it, an Open311 ``service_code`` and an expected resolution time.
- ``Report``: one problem. ``reporter_id`` is never shown to anyone but the reporter (agents reply
  through the platform; Open311 never exposes it). ``idempotency_key`` makes a report sent twice
  from an offline phone one report.
- ``ReportFollower``: people who said "me too": they are told of changes, like the reporter.
- ``ReportUpdate``: the public history: each status change with its public note.
- ``ReportNotice``: which report a personal message of the delivery engine tells about (a status
  change, a reopening, a merge sent to the reporter and followers): its link leads to the report.
- ``ReportMessage``: the private thread between the service's agents and the reporter (the agent
  never sees the reporter's e-mail or phone; the reporter's answers come back to the queue).
- ``ReportPhoto``: the photos, re-encoded without their metadata (app.media), public after
  moderation.
- ``Open311Key``: the keys the town issues to Open311 clients that post requests.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Base
from app.models_common import UTCDateTime, utcnow

STATUSES = ("received", "acknowledged", "in_progress", "resolved", "not_ours", "merged")
OPEN_STATUSES = ("received", "acknowledged", "in_progress")
CLOSED_STATUSES = ("resolved", "not_ours", "merged")
PHOTOS_MAX = 3
REOPEN_DAYS = 30
DUPLICATE_RADIUS_M = 50


class ReportCategory(Base):
    __tablename__ = "report_category"
    __table_args__ = (UniqueConstraint("territory_id", "service_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    service_code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(300), default="")
    # The town service that handles it (its members are the agents of its queue).
    service_actor_id: Mapped[int | None] = mapped_column(ForeignKey("actor.id", ondelete="SET NULL"))
    expected_days: Mapped[int] = mapped_column(Integer, default=7)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    service_actor = relationship("Actor", lazy="joined")


class Report(Base):
    __tablename__ = "report"
    __table_args__ = (
        Index("ix_report_area", "territory_id", "lat", "lon"),
        Index("ix_report_queue", "territory_id", "status", "created_at"),
        Index("ix_report_category", "category_id", "status", "lat", "lon"),
        UniqueConstraint("territory_id", "idempotency_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"))
    category_id: Mapped[int] = mapped_column(ForeignKey("report_category.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(16), default="received")
    description: Mapped[str] = mapped_column(Text, default="")
    # No point (both None): a report placed by an address alone that no geocoder found (see
    # app.reports.geocoding); an agent places it on the map later. Its neighbourhood is unknown.
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(200), default="")
    neighbourhood_id: Mapped[int | None] = mapped_column(ForeignKey("neighbourhood.id", ondelete="SET NULL"))
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    # Who sent it when it came through Open311 (the client's label, never a person).
    source: Mapped[str] = mapped_column(String(60), default="app")
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("report.id", ondelete="SET NULL"))
    not_ours_service: Mapped[str] = mapped_column(String(200), default="")
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expected_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    category: Mapped[ReportCategory] = relationship(lazy="joined")
    photos: Mapped[list[ReportPhoto]] = relationship(
        order_by="ReportPhoto.id", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def has_point(self) -> bool:
        return self.lat is not None and self.lon is not None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, now: datetime) -> bool:
        return self.is_open and self.expected_by is not None and self.expected_by < now


class ReportPhoto(Base):
    __tablename__ = "report_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    media_id: Mapped[int] = mapped_column(ForeignKey("media.id", ondelete="CASCADE"))
    # Shown to the public once an agent approved it (the reporter and agents see it at once).
    approved: Mapped[bool] = mapped_column(Boolean, default=False)


class ReportFollower(Base):
    __tablename__ = "report_follower"

    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportUpdate(Base):
    """A public step of a report's history: a status (or a reopening) and its public note."""

    __tablename__ = "report_update"
    __table_args__ = (Index("ix_report_update_report", "report_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    by: Mapped[str] = mapped_column(String(10), default="service")  # service | reporter | follower
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportNotice(Base):
    """The report a personal message (a campaign of kind "report", app.delivery.personal) is about."""

    __tablename__ = "report_notice"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)


class ReportMessage(Base):
    """The private thread between the service and the reporter, through the platform."""

    __tablename__ = "report_message"
    __table_args__ = (Index("ix_report_message_report", "report_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"))
    from_service: Mapped[bool] = mapped_column(Boolean)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Open311Key(Base):
    """An API key the town issues to an Open311 client (only its SHA-256 is kept)."""

    __tablename__ = "open311_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(60))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
