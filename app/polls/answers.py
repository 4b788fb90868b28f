"""Answering a poll: once per person, changed or withdrawn until it closes, and never tied to
the person (app.polls.models says how the three tables stay apart; app.polls.keys how only the
person's browser finds their own answer).

An answer is a dict ``{question id: value}``: a list of option ids (single, multiple; ranking in
the order ranked), a number (scale) or a text. It is added to the counts (``PollTally``) of every
group the person is in — everybody, the week, and, only when they agreed to it for this answer,
their population type, neighbourhood, language and followed hashtags — and removed from the same
groups when it changes (the sealed sheet remembers which)."""

from __future__ import annotations

import re
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import bindparam, delete, exists, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.accounts.consents import has_profile_targeting_consent
from app.accounts.models import User, UserHashtag
from app.actors.models import Membership
from app.extensions import db
from app.models_common import utcnow
from app.polls import keys
from app.polls.models import (
    ANSWERED,
    TEXT_MAX,
    PollQuestion,
    PollRespondent,
    PollSheet,
    PollTally,
    PollText,
)
from app.publications.models import Publication
from app.releases.engine import established
from app.territories.models import Hashtag, Territory
from app.timezones import zone as time_zone

HASHTAGS_COUNTED = 20  # at most this many of a person's followed hashtags go into the counts
NOT_GIVEN = ""  # the group of people who did not share (or have no) population, neighbourhood, language


class AnswerError(Exception):
    """The answer could not be taken; ``str()`` says why, in the person's language."""


@dataclass
class Parsed:
    answer: dict[str, Any] = field(default_factory=dict)
    errors: dict[int, str] = field(default_factory=dict)


# --- state of a poll ------------------------------------------------------------------------------


def questions_of(publication: Publication) -> list[PollQuestion]:
    """The poll's questions in order, with their options (one query)."""
    return list(db.session.scalars(
        select(PollQuestion).options(joinedload(PollQuestion.options))
        .where(PollQuestion.publication_id == publication.id)
        .order_by(PollQuestion.position, PollQuestion.id)
    ).unique())


def is_open(publication: Publication, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (
        publication.kind == "poll" and publication.is_visible
        and (publication.valid_from is None or publication.valid_from <= now)
        and (publication.valid_until is None or now < publication.valid_until)
    )


def is_closed(publication: Publication, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return publication.valid_until is not None and publication.valid_until <= now


def has_answered(publication: Publication, user: Any) -> bool:
    return bool(db.session.scalar(select(exists().where(
        PollRespondent.publication_id == publication.id, PollRespondent.user_id == user.id
    ))))


def has_answers(publication: Publication) -> bool:
    return bool(db.session.scalar(select(exists().where(PollRespondent.publication_id == publication.id))))


# --- reading a form -------------------------------------------------------------------------------

_EMAIL = re.compile(r"[^\s@<>()\[\],;:\"']+@[^\s@<>()\[\],;:\"']+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\d(?:[\s.\-/()]*\d){7,14}(?!\w)")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def scrub(text: str) -> str:
    """A short text with e-mail addresses and phone numbers replaced, control characters gone."""
    text = _CONTROL.sub("", text or "").strip()
    text = _EMAIL.sub(_("[e-mail removed]"), text)
    return _PHONE.sub(_("[phone removed]"), text)


def parse(questions: list[PollQuestion], form: Any) -> Parsed:
    """The answer in ``form`` (fields ``q<id>``; ranking ``q<id>-<option id>`` = position), with a
    message per question that is not answered as it should be."""
    parsed = Parsed()
    for question in questions:
        name = f"q{question.id}"
        option_ids = {option.id for option in question.options}
        value: Any = None
        error: str | None = None
        if question.kind == "single":
            raw = form.get(name, "")
            if raw:
                chosen = _int(raw)
                if chosen in option_ids:
                    value = [chosen]
                else:
                    error = _("Choose one of the answers.")
        elif question.kind == "multiple":
            chosen_ids = [_int(raw) for raw in form.getlist(name)]
            if any(choice not in option_ids for choice in chosen_ids):
                error = _("Choose among the answers shown.")
            elif chosen_ids:
                value = sorted(set(chosen_ids))
        elif question.kind == "scale":
            raw = form.get(name, "")
            if raw != "":
                number = _int(raw)
                if number in question.scale_values:
                    value = number
                else:
                    error = _("Choose a value on the scale.")
        elif question.kind == "ranking":
            positions: dict[int, int] = {}
            for option in question.options:
                raw = form.get(f"{name}-{option.id}", "")
                if raw:
                    positions[option.id] = _int(raw)
            if positions:
                ranks = sorted(positions.values())
                if ranks != list(range(1, len(ranks) + 1)):
                    error = _("Give each ranked answer its own place: 1, 2, 3… with no gap.")
                else:
                    value = [option_id for option_id, _rank in sorted(positions.items(), key=lambda item: item[1])]
        elif question.kind == "text":
            raw = (form.get(name, "") or "").strip()
            if len(raw) > TEXT_MAX:
                error = ngettext("At most %(num)d character.", "At most %(num)d characters.", TEXT_MAX)
            elif raw:
                value = scrub(raw)
        if error is None and value is None and question.required:
            error = _("This question needs an answer.")
        if error is not None:
            parsed.errors[question.id] = error
        elif value is not None:
            parsed.answer[str(question.id)] = value
    if not parsed.errors and not parsed.answer:
        parsed.errors[questions[0].id if questions else 0] = _("Answer at least one question.")
    return parsed


def _int(raw: Any) -> int:
    try:
        return int(str(raw).strip())
    except ValueError:
        return -10**9


# --- the groups an answer is counted in ---------------------------------------------------------


def groups_of(user: User, territory: Territory, shared: bool, now: datetime) -> list[tuple[str, str]]:
    """Everybody and the week; with ``shared`` (and the profile consent), the person's population
    type, neighbourhood, language and followed hashtags; without, "not given" for the first three."""
    week = now.astimezone(time_zone(territory)).isocalendar()
    groups = [("all", ""), ("week", f"{week.year}-W{week.week:02d}")]
    if shared and has_profile_targeting_consent(user):
        groups += [
            ("population", user.population_type or NOT_GIVEN),
            ("neighbourhood", str(user.neighbourhood_id) if user.neighbourhood_id else NOT_GIVEN),
            ("language", user.language or NOT_GIVEN),
        ]
        hashtag_ids = db.session.scalars(
            select(UserHashtag.hashtag_id).join(Hashtag, Hashtag.id == UserHashtag.hashtag_id)
            .where(UserHashtag.user_id == user.id, Hashtag.territory_id == territory.id, Hashtag.active.is_(True))
            .order_by(UserHashtag.hashtag_id).limit(HASHTAGS_COUNTED)
        ).all()
        groups += [("hashtag", str(hashtag_id)) for hashtag_id in hashtag_ids]
    else:
        groups += [("population", NOT_GIVEN), ("neighbourhood", NOT_GIVEN), ("language", NOT_GIVEN)]
    return groups


def is_counted(user: User, publication: Publication, territory: Territory, now: datetime) -> bool:
    """Released figures count established accounts outside the poll's actor (as campaigns do)."""
    member = select(Membership.user_id).where(Membership.actor_id == publication.actor_id,
                                               Membership.user_id == user.id)
    return bool(db.session.scalar(
        select(exists().where(User.id == user.id, established(territory, now), ~User.id.in_(member)))
    ))


def _cells(answer: dict[str, Any], questions: dict[int, PollQuestion]) -> list[tuple[int, int, int]]:
    """(question, option, value) counted for an answer: each chosen option; the scale's value;
    each option ranked, at its rank; "answered" per question and for the poll."""
    cells: list[tuple[int, int, int]] = [(0, 0, ANSWERED)]
    for key, value in answer.items():
        question = questions.get(int(key))
        if question is None:
            continue
        cells.append((question.id, 0, ANSWERED))
        if question.kind in ("single", "multiple"):
            cells += [(question.id, option_id, 0) for option_id in value]
        elif question.kind == "ranking":
            cells += [(question.id, option_id, rank) for rank, option_id in enumerate(value, start=1)]
        elif question.kind == "scale":
            cells.append((question.id, 0, int(value)))
    return cells


def _add(publication_id: int, cells: list[tuple[int, int, int]], groups: list[tuple[str, str]],
         counted: bool, delta: int) -> None:
    counts = Counter((q, o, v, dim, group) for q, o, v in cells for dim, group in groups)
    if not counts:
        return
    connection = db.session.connection()
    sql, order = _tally_upsert(connection.dialect)
    rows = [(publication_id, q, o, v, dim, group, counted, n * delta) for (q, o, v, dim, group), n in counts.items()]
    # An answer adds to about a hundred counts: the statement is compiled once and the rows go
    # straight to the driver (SQLAlchemy's per-row parameter handling cost more than the writes).
    if order is None:
        connection.exec_driver_sql(sql, [dict(zip(_TALLY_COLUMNS, row, strict=True)) for row in rows])
    else:
        connection.exec_driver_sql(sql, rows if order == _TALLY_COLUMNS else
                                   [tuple(row[_TALLY_COLUMNS.index(name)] for name in order) for row in rows])


_TALLY_COLUMNS = ("publication_id", "question_id", "option_id", "value", "dim", "grp", "counted", "count")
_TALLY_UPSERTS: dict[str, tuple[str, tuple[str, ...] | None]] = {}


def _tally_upsert(dialect: Any) -> tuple[str, tuple[str, ...] | None]:
    """``INSERT … ON CONFLICT DO UPDATE SET count = count + excluded.count`` of a tally row, as the
    dialect's SQL, and the order of its positional parameters (None: the driver takes them by name)."""
    found = _TALLY_UPSERTS.get(dialect.name)
    if found is None:
        dialect_insert = postgresql_insert if dialect.name == "postgresql" else sqlite_insert
        table = PollTally.__table__
        statement = dialect_insert(table).values({name: bindparam(name) for name in _TALLY_COLUMNS})
        statement = statement.on_conflict_do_update(
            index_elements=[c.name for c in table.primary_key.columns],
            set_={"count": table.c.count + statement.excluded.count},
        )
        compiled = statement.compile(dialect=dialect)
        order = tuple(compiled.positiontup) if compiled.positiontup else None
        found = _TALLY_UPSERTS[dialect.name] = (str(compiled), order)
    return found


# --- answering, changing, withdrawing -------------------------------------------------------------


def own_sheet(publication: Publication, user: Any, key: bytes | None) -> tuple[bytes, PollSheet | None] | None:
    """The person's secret for this poll and their sealed sheet (None when they have not
    answered from this browser); None without a ballot key."""
    if key is None:
        return None
    secret = keys.poll_secret(key, publication.id, user.id)
    return secret, db.session.get(PollSheet, keys.sheet_name(secret))


def own_answer(publication: Publication, user: Any, key: bytes | None) -> dict[str, Any] | None:
    found = own_sheet(publication, user, key)
    if found is None or found[1] is None:
        return None
    secret, sheet = found
    return keys.unseal(secret, publication.id, sheet.sealed)


def submit(publication: Publication, territory: Territory, user: User, key: bytes, answer: dict[str, Any],
           shared: bool, now: datetime | None = None, questions: list[PollQuestion] | None = None) -> str:
    """Take (or change) the person's answer; returns "new" or "changed". Raises AnswerError when
    the poll is not open, or when they answered from another browser. ``questions``: the poll's,
    when the caller has them already (``questions_of``)."""
    now = now or utcnow()
    if not is_open(publication, now):
        raise AnswerError(_("This poll is not open for answers."))
    by_id = {question.id: question for question in (questions if questions is not None else questions_of(publication))}
    secret = keys.poll_secret(key, publication.id, user.id)
    name = keys.sheet_name(secret)
    sheet = db.session.get(PollSheet, name)
    answered = has_answered(publication, user)
    if answered and sheet is None:
        raise AnswerError(_("You have already answered this poll from another browser or device: "
                            "your answer can be changed there."))
    status = "changed" if sheet is not None else "new"
    if sheet is not None:
        _remove(publication, by_id, keys.unseal(secret, publication.id, sheet.sealed))
    groups = groups_of(user, territory, shared, now)
    counted = is_counted(user, publication, territory, now)
    for key_, value in answer.items():  # short texts are kept scrubbed, in their rows and the sheet
        question = by_id.get(int(key_))
        if question is not None and question.kind == "text":
            answer[key_] = scrub(str(value))[:TEXT_MAX]
    texts = [
        {"id": secrets.token_hex(16), "publication_id": publication.id, "question_id": question.id,
         "counted": counted, "text": value}
        for key_, value in answer.items()
        if (question := by_id.get(int(key_))) is not None and question.kind == "text"
    ]
    sealed = keys.seal(secret, publication.id, {
        "answer": answer, "groups": groups, "counted": counted, "texts": [text["id"] for text in texts],
        "shared": shared,
    })
    # Written with plain statements (no unit of work to plan for four rows).
    try:
        _add(publication.id, _cells(answer, by_id), groups, counted, +1)
        connection = db.session.connection()
        if texts:
            connection.execute(insert(PollText.__table__), texts)
        if sheet is None:
            connection.execute(insert(PollRespondent.__table__).values(publication_id=publication.id, user_id=user.id))
            connection.execute(insert(PollSheet.__table__).values(key_hash=name, publication_id=publication.id,
                                                                  sealed=sealed))
        else:
            db.session.execute(update(PollSheet).where(PollSheet.key_hash == name).values(sealed=sealed))
        db.session.commit()
    except IntegrityError:  # the same person answering twice at once: the first answer stands
        db.session.rollback()
        raise AnswerError(_("Your answer was already taken.")) from None
    return status


def _remove(publication: Publication, questions: dict[int, PollQuestion], data: dict[str, Any]) -> None:
    groups = [tuple(group) for group in data.get("groups", [])]
    _add(publication.id, _cells(data.get("answer", {}), questions), groups, bool(data.get("counted")), -1)  # type: ignore[arg-type]
    if data.get("texts"):
        db.session.execute(delete(PollText).where(PollText.publication_id == publication.id,
                                                  PollText.id.in_(data["texts"])))


def withdraw(publication: Publication, user: User, key: bytes | None, now: datetime | None = None) -> None:
    """Take the person's answer out of the counts and forget that they answered."""
    if not is_open(publication, now):
        raise AnswerError(_("This poll is closed: its answers can no longer change."))
    found = own_sheet(publication, user, key)
    if found is None or found[1] is None:
        raise AnswerError(_("Your answer can only be withdrawn from the browser or device you answered from."))
    secret, sheet = found
    _remove(publication, {q.id: q for q in questions_of(publication)}, keys.unseal(secret, publication.id, sheet.sealed))
    db.session.delete(sheet)
    db.session.execute(delete(PollRespondent).where(PollRespondent.publication_id == publication.id,
                                                    PollRespondent.user_id == user.id))
    db.session.commit()



# --- the order rows are stored in -----------------------------------------------------------------

APART_TABLES = ("poll_respondent", "poll_sheet", "poll_text", "poll_tally")


def reorder_stored_rows() -> bool:
    """PostgreSQL keeps a table's rows in the order they came until it is rewritten: rewrite the
    tables kept apart in the order of their keys (CLUSTER), so that the order of arrival — which
    would line the n-th respondent up with the n-th sheet — does not stay on disk. SQLite stores
    them by key already (WITHOUT ROWID). Returns whether anything was rewritten."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        return False
    db.session.commit()
    for table in APART_TABLES:
        db.session.execute(text(f"CLUSTER {table} USING {table}_pkey"))
    db.session.commit()
    return True
