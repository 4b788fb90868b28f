"""Writing a poll's questions (its frame is a publication: app.publications). Questions can be
changed until the first answer comes in; after that, changing them would change what people
answered, so the editor says so and keeps them."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.extensions import db
from app.polls.answers import has_answers, questions_of
from app.polls.models import QUESTIONS_MAX, PollOption, PollQuestion
from app.publications.models import Publication


class QuestionError(Exception):
    pass


def _editable(publication: Publication) -> None:
    if has_answers(publication):
        raise QuestionError(_("People have answered already: the questions can no longer change."))


def add_question(publication: Publication, kind: str, text: str, help_text: str, required: bool,
                 options: list[str], scale_max: int | None) -> PollQuestion:
    _editable(publication)
    count = db.session.scalar(select(func.count()).where(PollQuestion.publication_id == publication.id)) or 0
    if count >= QUESTIONS_MAX:
        raise QuestionError(_("A poll has at most %(max)d questions.", max=QUESTIONS_MAX))
    question = PollQuestion(publication_id=publication.id, position=count + 1, kind=kind)
    _fill(question, kind, text, help_text, required, options, scale_max)
    db.session.add(question)
    db.session.commit()
    return question


def update_question(publication: Publication, question: PollQuestion, kind: str, text: str, help_text: str,
                    required: bool, options: list[str], scale_max: int | None) -> PollQuestion:
    _editable(publication)
    question.kind = kind
    _fill(question, kind, text, help_text, required, options, scale_max)
    db.session.commit()
    return question


def _fill(question: PollQuestion, kind: str, text: str, help_text: str, required: bool, options: list[str],
          scale_max: int | None) -> None:
    question.text = text.strip()
    question.help_text = (help_text or "").strip()
    question.required = required
    question.scale_max = (scale_max if scale_max in (5, 10) else 5) if kind == "scale" else None
    labels = options if kind in ("single", "multiple", "ranking") else []
    existing = {option.label: option for option in question.options}
    question.options = [existing.get(label) or PollOption(label=label) for label in labels]
    for position, option in enumerate(question.options, start=1):
        option.position = position


def delete_question(publication: Publication, question: PollQuestion) -> None:
    _editable(publication)
    db.session.delete(question)
    db.session.flush()
    _renumber(publication)
    db.session.commit()


def move_question(publication: Publication, question: PollQuestion, step: int) -> None:
    questions = questions_of(publication)
    index = next(i for i, q in enumerate(questions) if q.id == question.id)
    target = index + step
    if 0 <= target < len(questions):
        questions[index], questions[target] = questions[target], questions[index]
        for position, item in enumerate(questions, start=1):
            item.position = position
    db.session.commit()


def _renumber(publication: Publication) -> None:
    for position, question in enumerate(questions_of(publication), start=1):
        question.position = position
