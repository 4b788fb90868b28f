"""Polls: a publication of kind "poll" with its questions, and the answers, kept so that nobody,
not even whoever reads the database, can tie an answer to the person who gave it.

Three things are stored apart, and no column, key or order joins them:

- **who has answered** (``PollRespondent``): the poll and the person, nothing else (no time, no
  answer), so that nobody answers twice;
- **the answers as counts** (``PollTally``, ``PollText``): for each question, option (or scale
  value, or rank) and group (all, the week, and — only for people who agreed — population type,
  neighbourhood, language, each followed hashtag), how many; the short texts as rows of their
  own under a random key. No person, no time finer than the week;
- **each person's own copy** (``PollSheet``), sealed (AES-GCM) with a key derived from a secret
  only the person's browser holds (app.polls.keys) and filed under a hash of that secret: it lets
  the person see, change or withdraw their answer until the poll closes, and is useless to anyone
  else.

Tables whose rows could be ordered by arrival are stored by a random or natural key instead
(SQLite ``WITHOUT ROWID``): the n-th respondent is not next to the n-th sheet.
"""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Base

QUESTION_KINDS = ("single", "multiple", "scale", "ranking", "text")
CHOICE_KINDS = ("single", "multiple", "ranking")
SCALES = (5, 10)  # 1–5 or 0–10
RESULTS_SHOWN = ("live", "closed")  # to respondents: as they come, or once the poll has closed
TEXT_MAX = 500
OPTIONS_MAX = 12
QUESTIONS_MAX = 20
# The groups answers are counted in ("all" and "week" for everybody, the others only with consent).
DIMENSIONS = ("population", "neighbourhood", "language", "hashtag")


class PollQuestion(Base):
    __tablename__ = "poll_question"
    __table_args__ = (Index("ix_poll_question_poll", "publication_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publication.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(String(300))
    help_text: Mapped[str] = mapped_column(String(300), default="", server_default="")
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    scale_max: Mapped[int | None] = mapped_column(SmallInteger)  # 5 (1–5) or 10 (0–10)

    options: Mapped[list[PollOption]] = relationship(
        order_by="PollOption.position", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def scale_values(self) -> list[int]:
        if self.kind != "scale":
            return []
        return list(range(0, 11)) if self.scale_max == 10 else list(range(1, 6))


class PollOption(Base):
    __tablename__ = "poll_option"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("poll_question.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    label: Mapped[str] = mapped_column(String(160))


class PollRespondent(Base):
    """Who has answered a poll: nothing else (no time, no answer, no key of the sheet)."""

    __tablename__ = "poll_respondent"
    __table_args__ = {"sqlite_with_rowid": False}

    publication_id: Mapped[int] = mapped_column(
        ForeignKey("publication.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class PollSheet(Base):
    """A respondent's own copy of their answer, sealed with a key only their browser can derive;
    filed under the SHA-256 of a secret only their browser holds."""

    __tablename__ = "poll_sheet"
    __table_args__ = {"sqlite_with_rowid": False}

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publication.id", ondelete="CASCADE"), index=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)


ANSWERED = -1  # a tally's ``value`` for "answered this question" (option 0)


class PollTally(Base):
    """How many answers chose ``option_id`` (or gave the scale value / rank ``value``; or, with
    ``value`` ANSWERED, answered at all) to a question, in one group: ``dim`` "all", "week" (``group`` an ISO week), or, for people who
    agreed to it, "population", "neighbourhood", "language", "hashtag". ``counted``: the answer
    came from an established account outside the poll's actor (only those are released)."""

    __tablename__ = "poll_tally"
    __table_args__ = {"sqlite_with_rowid": False}

    publication_id: Mapped[int] = mapped_column(
        ForeignKey("publication.id", ondelete="CASCADE"), primary_key=True
    )
    # 0 with ``value`` ANSWERED: the poll as a whole (how many people answered it)
    question_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    option_id: Mapped[int] = mapped_column(Integer, primary_key=True, default=0)
    value: Mapped[int] = mapped_column(Integer, primary_key=True, default=0)
    dim: Mapped[str] = mapped_column(String(16), primary_key=True)
    group: Mapped[str] = mapped_column("grp", String(40), primary_key=True, default="")
    counted: Mapped[bool] = mapped_column(Boolean, primary_key=True, default=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class PollText(Base):
    """A short-text answer, under a random key, with e-mail addresses and phone numbers removed."""

    __tablename__ = "poll_text"
    __table_args__ = (
        Index("ix_poll_text_question", "question_id"),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publication.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("poll_question.id", ondelete="CASCADE"))
    counted: Mapped[bool] = mapped_column(Boolean, default=True)
    text: Mapped[str] = mapped_column(Text)
