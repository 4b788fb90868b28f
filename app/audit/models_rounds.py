"""The commerce audit's rounds: the town's own list of journey steps, its rounds (a title, a
date, a status), each round's assessments (a step under an angle: a maturity, evidence, notes,
attachments), the accounts the town invited to take part, the town's choice to compare its
rounds anonymously, and the action plan. Every row belongs to one territory."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.audit.journey import DEFAULT_STEPS
from app.extensions import Base
from app.models_common import UTCDateTime, utcnow

ROUND_STATUSES = ("draft", "in_progress", "completed")
ACTION_STATUSES = ("planned", "in_progress", "done", "dropped")


class AuditStep(Base):
    """A step of the town's journey (a default one, renamed or not, or its own). A retired step
    leaves new rounds but stays in the rounds that assessed it."""

    __tablename__ = "audit_step"
    __table_args__ = (UniqueConstraint("territory_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    # The town's own name for the step; empty: the default step's name, in the reader's language.
    name: Mapped[str] = mapped_column(String(120), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    retired: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    @property
    def label(self) -> str:
        return self.name or str(dict(DEFAULT_STEPS).get(self.code, self.code))


class AuditSettings(Base):
    """The town's choice: compare its rounds anonymously with the other towns that chose it too."""

    __tablename__ = "audit_settings"

    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), primary_key=True)
    compare_opt_in: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class AuditRound(Base):
    __tablename__ = "audit_round"
    __table_args__ = (Index("ix_audit_round_territory_status", "territory_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(120))
    held_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="draft")
    # The steps assessed in this round, their ids comma-separated in the journey's order, fixed
    # when the round starts: retiring or adding a step later does not change a past round.
    step_ids: Mapped[str] = mapped_column(Text, default="")
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def step_id_list(self) -> list[int]:
        return [int(part) for part in self.step_ids.split(",") if part]


class AuditScore(Base):
    """One step under one angle in a round; ``maturity`` None: not assessed yet."""

    __tablename__ = "audit_score"
    __table_args__ = (UniqueConstraint("round_id", "step_id", "angle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("audit_round.id", ondelete="CASCADE"))
    step_id: Mapped[int] = mapped_column(ForeignKey("audit_step.id", ondelete="CASCADE"))
    angle: Mapped[str] = mapped_column(String(20))
    maturity: Mapped[int | None] = mapped_column(Integer)
    evidence: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AuditAttachment(Base):
    """A file given as evidence of a step (an image, re-encoded, or a PDF), served only to the
    people who may edit the town's audit."""

    __tablename__ = "audit_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("audit_round.id", ondelete="CASCADE"), index=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("audit_step.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditInvitation(Base):
    """An account of the territory the town invited to edit its audit rounds (its commerce
    manager, a merchants' association's member); deleted when revoked."""

    __tablename__ = "audit_invitation"
    __table_args__ = (UniqueConstraint("territory_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditAction(Base):
    """An action of the plan, tied to a weak link (a step under an angle) of a round."""

    __tablename__ = "audit_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("audit_round.id", ondelete="CASCADE"), index=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("audit_step.id", ondelete="CASCADE"))
    angle: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str] = mapped_column(String(120), default="")  # a service or a partner, free text
    budget_eur: Mapped[float | None] = mapped_column(Numeric(12, 2, asdecimal=False))
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="planned")
    indicator: Mapped[str] = mapped_column(String(30), default="")  # app.audit.indicators code; "": none
    baseline: Mapped[float | None] = mapped_column(Numeric(12, 2, asdecimal=False))  # None: under the floor
    baseline_text: Mapped[str] = mapped_column(String(60), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
