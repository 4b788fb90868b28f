"""The merchants' self-assessment: each shop's one current answer to a short questionnaire about
its own shopping journey, and whether the town may see it (off unless the shop says so)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Base
from app.models_common import UTCDateTime, utcnow

# The questions' options, in the order shown. ``listed_online`` and ``payment`` take several.
LISTED_ONLINE = ("own_site", "marketplace", "social", "none")
HOURS_UP_TO_DATE = ("yes", "sometimes", "no")
OFFER = ("yes", "planned", "no")  # click-and-collect, delivery
PAYMENT = ("cash", "card", "contactless", "mobile", "instant_transfer")
LOYALTY = ("card", "app", "none", "other")


class ShopAnswer(Base):
    """A shop's current answers (updated any time, with its date). ``town_may_see``: the shop's
    consent to the town seeing these answers as its own; without it the town sees them only inside
    aggregates (app.audit.services_shops)."""

    __tablename__ = "shop_answer"
    __table_args__ = (UniqueConstraint("actor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actor.id", ondelete="CASCADE"))
    # Several options: comma-separated codes of LISTED_ONLINE / PAYMENT.
    listed_online: Mapped[str] = mapped_column(String(80), default="")
    hours_up_to_date: Mapped[str] = mapped_column(String(20))
    click_and_collect: Mapped[str] = mapped_column(String(20))
    delivery: Mapped[str] = mapped_column(String(20))
    payment: Mapped[str] = mapped_column(String(120), default="")
    loyalty: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    town_may_see: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor = relationship("Actor")

    def codes(self, question: str) -> list[str]:
        value = getattr(self, question) or ""
        return [code for code in value.split(",") if code]
