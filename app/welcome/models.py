"""The welcome offers already sent: each reaches a person once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Base
from app.models_common import UTCDateTime, utcnow


class WelcomeSent(Base):
    """A welcome offer already sent to a person: each welcome offer reaches a person once."""

    __tablename__ = "welcome_sent"
    __table_args__ = (UniqueConstraint("user_id", "publication_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    publication_id: Mapped[int] = mapped_column(
        ForeignKey("publication.id", ondelete="CASCADE"), index=True
    )
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
