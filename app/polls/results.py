"""A poll's results, every figure through the release engine (app.releases.engine).

- **Per option**: a multiple-choice question counts each option (how many chose it), never the
  combinations; a scale counts each value; a ranking, how many put each option at each place.
- **Cross-tables** by population type, neighbourhood, language or followed hashtag, from the
  answers of people who agreed to be counted in these groups ("not shared" is a group of its own).
- A figure under the floor, a group nobody is in, and a figure hidden to protect another are
  shown the same way ("—", an empty CSV value): nobody can tell them apart.
- **No subtraction**: where the figures of a row add up to a total that is shown (the options of
  a single-choice question and its number of answers; a cross-table's groups and the option's
  figure), visible figures are hidden, smallest first, while the total minus what is visible
  would be a small group (more than none, fewer than the floor) — so "total minus the rest"
  never points at a small group. The decision uses the released figures only (no exact count
  leaks through it).

Figures stand for a day while the poll is open (asking again the same day gives the same
answer) and for good once it has closed. They are released to the poll's actor, whoever looks,
so the public and the actor read the same numbers."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import format_number
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.charts import BarChart, Point, Series, bar_chart
from app.extensions import db
from app.models_common import utcnow
from app.polls.answers import NOT_GIVEN, is_closed, questions_of
from app.polls.models import ANSWERED, PollQuestion, PollTally, PollText
from app.publications.models import Publication
from app.releases.engine import DAY, FOREVER, Asker, Question, Released, release_many
from app.releases.floor import anonymity_floor
from app.territories.models import POPULATION_LABELS, POPULATION_TYPES, Territory
from app.territories.services import active_hashtags, neighbourhoods

BREAKDOWNS = ("population", "neighbourhood", "language", "hashtag")
PARTITIONS = ("population", "neighbourhood", "language")  # every answer is in exactly one group
TEXTS_SHOWN = 200
HIDDEN = "—"

Cell = tuple[int, int, int, str, str]  # question, option, value, dimension, group


def breakdown_label(dim: str) -> str:
    return {
        "population": _("Population type"), "neighbourhood": _("Neighbourhood"),
        "language": _("Language"), "hashtag": _("Followed hashtag"),
    }.get(dim, dim)


@dataclass
class Figure:
    """A figure as shown: ``value`` or None (hidden, under the floor or none: all alike)."""

    value: int | None

    def __str__(self) -> str:
        return format_number(self.value) if self.value is not None else HIDDEN

    @property
    def csv(self) -> str:
        return str(self.value) if self.value is not None else ""

    @property
    def point(self) -> Point:
        return Point(self.value, str(self), HIDDEN)


@dataclass
class ResultRow:
    label: str
    key: tuple[int, int]  # (option id, value)
    figure: Figure
    ranks: list[Figure] = field(default_factory=list)  # ranking: how many put it 1st, 2nd…


@dataclass
class CrossRow:
    label: str
    cells: list[Figure]


@dataclass
class CrossTable:
    dim: str
    columns: list[str]
    rows: list[CrossRow]


@dataclass
class QuestionResult:
    number: int
    question: PollQuestion
    answered: Figure
    rows: list[ResultRow]
    chart: BarChart | None
    cross: CrossTable | None = None
    texts: list[str] | None = None  # short texts, for the actor, from the floor up


@dataclass
class PollResults:
    publication: Publication
    respondents: Figure
    questions: list[QuestionResult]
    floor: int
    final: bool
    breakdown: str = ""

    @property
    def shown(self) -> bool:
        return self.respondents.value is not None


# --- which figures ---------------------------------------------------------------------------------


def _rows_of(question: PollQuestion) -> list[tuple[str, tuple[int, int]]]:
    if question.kind in ("single", "multiple"):
        return [(option.label, (option.id, 0)) for option in question.options]
    if question.kind == "ranking":
        return [(option.label, (option.id, 1)) for option in question.options]
    if question.kind == "scale":
        return [(str(value), (0, value)) for value in question.scale_values]
    return []


def groups_of_dim(territory: Territory, dim: str) -> list[tuple[str, str]]:
    """The columns of a cross-table: (group value, label)."""
    not_given = (NOT_GIVEN, _("Not shared"))
    if dim == "population":
        return [(kind, str(POPULATION_LABELS[kind])) for kind in POPULATION_TYPES] + [not_given]
    if dim == "neighbourhood":
        return [(str(hood.id), hood.name) for hood in neighbourhoods(territory)] + [not_given]
    if dim == "language":
        from app.i18n import LANGUAGE_NAMES

        return [(code, LANGUAGE_NAMES.get(code, code)) for code in territory.enabled_languages] + [not_given]
    if dim == "hashtag":
        return [(str(tag.id), tag.label) for tag in active_hashtags(territory)]
    return []


def protect(total: int | None, cells: list[int | None], floor: int) -> list[int | None]:
    """Hide visible cells, smallest first, while the shown ``total`` minus the visible cells
    would point at a small group (more than none, fewer than ``floor``); nothing to do when no
    cell is hidden or there is no total. Decided on released figures only."""
    cells = list(cells)
    if total is None:
        return cells
    while any(c is None for c in cells) and any(c is not None for c in cells):
        remainder = total - sum(c for c in cells if c is not None)
        if remainder <= 0 or remainder >= floor:
            break
        smallest = min((c, i) for i, c in enumerate(cells) if c is not None)[1]
        cells[smallest] = None
    return cells


# --- releasing ------------------------------------------------------------------------------------


def _exact_counts(publication: Publication) -> dict[Cell, int]:
    rows = db.session.execute(
        select(PollTally.question_id, PollTally.option_id, PollTally.value, PollTally.dim, PollTally.group,
               func.sum(PollTally.count))
        .where(PollTally.publication_id == publication.id, PollTally.counted.is_(True))
        .group_by(PollTally.question_id, PollTally.option_id, PollTally.value, PollTally.dim, PollTally.group)
    )
    return {(q, o, v, d, g): int(n or 0) for q, o, v, d, g, n in rows}


def release_cells(publication: Publication, cells: Sequence[Cell], now: datetime | None = None) -> dict[Cell, int | None]:
    """The released value of each cell (None under the floor), to the poll's actor."""
    now = now or utcnow()
    final = is_closed(publication, now)
    phase, window = ("final", FOREVER) if final else ("open", DAY)
    questions = {cell: Question("poll", (publication.id, *cell, phase), window=window, chosen=False)
                 for cell in dict.fromkeys(cells)}
    by_question = {question: cell for cell, question in questions.items()}
    exact: dict[Cell, int] = {}

    def counts(missing: list[Question]) -> dict[Question, int]:
        if not exact:
            exact.update(_exact_counts(publication))
        return {question: exact.get(by_question[question], 0) for question in missing}

    released: dict[Question, Released] = release_many(Asker.actor(publication.actor), list(questions.values()),
                                                     counts, now=now)
    return {cell: released[question].value for cell, question in questions.items()}


# --- the results page -----------------------------------------------------------------------------


def results(publication: Publication, territory: Territory, breakdown: str = "", texts: bool = False,
            now: datetime | None = None) -> PollResults:
    now = now or utcnow()
    floor = anonymity_floor(territory)
    questions = questions_of(publication)
    breakdown = breakdown if breakdown in BREAKDOWNS else ""
    columns = groups_of_dim(territory, breakdown) if breakdown else []
    cells: list[Cell] = [(0, 0, ANSWERED, "all", "")]
    for question in questions:
        cells.append((question.id, 0, ANSWERED, "all", ""))
        for _label, (option, value) in _rows_of(question):
            cells.append((question.id, option, value, "all", ""))
            if question.kind == "ranking":
                cells += [(question.id, option, rank, "all", "") for rank in range(2, len(question.options) + 1)]
            for group, _name in columns:
                cells.append((question.id, option, value, breakdown, group))
    released = release_cells(publication, cells, now)
    out = []
    for number, question in enumerate(questions, start=1):
        answered = released[(question.id, 0, ANSWERED, "all", "")]
        rows_of = _rows_of(question)
        values = [released[(question.id, o, v, "all", "")] for _l, (o, v) in rows_of]
        if question.kind != "multiple":  # the rows add up to the answers: no subtraction
            values = protect(answered, values, floor)
        rows = []
        for (label, key), value in zip(rows_of, values, strict=True):
            row = ResultRow(label, key, Figure(value))
            if question.kind == "ranking":
                row.ranks = [row.figure] + [
                    Figure(released[(question.id, key[0], rank, "all", "")])
                    for rank in range(2, len(question.options) + 1)
                ]
            rows.append(row)
        chart = None
        if rows:
            chart = bar_chart(
                f"q{question.id}-chart", question.text, [row.label for row in rows],
                [Series(_("Ranked first") if question.kind == "ranking" else _("Answers"),
                        tuple(row.figure.point for row in rows))],
                category_heading=_("Answer"), value_label=_("People"),
            )
        result = QuestionResult(number, question, Figure(answered), rows, chart)
        if breakdown and rows:
            cross_rows = []
            for (label, (option, value)), total in zip(rows_of, values, strict=True):
                row_total = released[(question.id, option, value, "all", "")]
                cells_of = [released[(question.id, option, value, breakdown, group)] for group, _n in columns]
                if total is None:  # the row's own figure is hidden: its groups would add up to it
                    cells_of = [None] * len(cells_of)
                elif breakdown in PARTITIONS:
                    cells_of = protect(row_total, cells_of, floor)
                cross_rows.append(CrossRow(label, [Figure(v) for v in cells_of]))
            result.cross = CrossTable(breakdown, [name for _g, name in columns], cross_rows)
        if question.kind == "text" and texts and answered is not None:
            result.texts = list(db.session.scalars(
                select(PollText.text).where(PollText.publication_id == publication.id,
                                            PollText.question_id == question.id, PollText.counted.is_(True))
                .order_by(PollText.id).limit(TEXTS_SHOWN)
            ))
        out.append(result)
    return PollResults(publication, Figure(released[(0, 0, ANSWERED, "all", "")]), out, floor,
                       is_closed(publication, now), breakdown)


# --- CSV ------------------------------------------------------------------------------------------

CSV_COLUMNS = ("poll", "question_number", "question", "question_kind", "answer", "rank", "breakdown",
               "group", "people", "floor", "figures")


def results_csv(found: PollResults) -> str:
    """Exactly the figures the page shows, one per line (README: templates/polls/csv_readme.txt)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    title = found.publication.title
    figures = "final" if found.final else "today"
    base = (found.publication.id,)

    def line(number: Any, question: str, kind: str, answer: str, rank: Any, dim: str, group: str, figure: Figure) -> None:
        writer.writerow([*base, number, _safe(question), kind, _safe(answer), rank, dim, _safe(group), figure.csv,
                         found.floor, figures])

    line("", _safe(title), "poll", "(answered)", "", "", "", found.respondents)
    for result in found.questions:
        question = result.question
        line(result.number, question.text, question.kind, "(answered)", "", "", "", result.answered)
        for row in result.rows:
            if question.kind == "ranking":
                for rank, figure in enumerate(row.ranks, start=1):
                    line(result.number, question.text, question.kind, row.label, rank, "", "", figure)
            else:
                line(result.number, question.text, question.kind, row.label, "", "", "", row.figure)
        if result.cross is not None:
            for row in result.cross.rows:
                for name, figure in zip(result.cross.columns, row.cells, strict=True):
                    line(result.number, question.text, question.kind, row.label, 1 if question.kind == "ranking" else "",
                         result.cross.dim, name, figure)
    return out.getvalue()


def _safe(text: str) -> str:
    """No cell starts like a formula (CSV injection in spreadsheets)."""
    text = str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# --- over time (the observatory of needs) ---------------------------------------------------------


@dataclass
class PollOverTime:
    publication: Publication
    weeks: list[str]  # ISO weeks, "2026-W49"
    figures: list[Figure]  # people who answered that week (as last changed), released
    total: Figure

    @property
    def chart(self) -> BarChart:
        return bar_chart(
            f"poll-{self.publication.id}-weeks", self.publication.title, self.weeks,
            [Series(_("People who answered"), tuple(f.point for f in self.figures))],
            category_heading=_("Week"), value_label=_("People"),
        )


def _iso_week(moment: datetime, territory: Territory) -> str:
    from app.timezones import zone as time_zone

    week = moment.astimezone(time_zone(territory)).isocalendar()
    return f"{week.year}-W{week.week:02d}"


def over_time(publication: Publication, territory: Territory, now: datetime | None = None,
              most_weeks: int = 26) -> PollOverTime:
    """How many people answered a poll each week it was open (the week of their last change),
    released like the poll's other figures."""
    from datetime import timedelta

    now = now or utcnow()
    start = publication.valid_from or publication.published_at or now
    end = min(now, publication.valid_until or now)
    weeks: list[str] = []
    moment = start
    while moment <= end + timedelta(days=6) and len(weeks) < most_weeks:
        week = _iso_week(moment, territory)
        if week not in weeks and moment <= max(end, start):
            weeks.append(week)
        moment += timedelta(days=7)
    if _iso_week(end, territory) not in weeks and len(weeks) < most_weeks:
        weeks.append(_iso_week(end, territory))
    cells: list[Cell] = [(0, 0, ANSWERED, "all", "")] + [(0, 0, ANSWERED, "week", w) for w in weeks]
    released = release_cells(publication, cells, now)
    total = released[(0, 0, ANSWERED, "all", "")]
    figures = protect(total, [released[(0, 0, ANSWERED, "week", w)] for w in weeks], anonymity_floor(territory))
    return PollOverTime(publication, weeks, [Figure(v) for v in figures], Figure(total))


def town_polls(territory: Territory, limit: int = 12) -> list[Publication]:
    """The town's latest visible polls (every actor's), newest first."""
    from app.actors.models import Actor
    from app.publications.services import visible_criteria

    return list(db.session.scalars(
        select(Publication).join(Actor, Actor.id == Publication.actor_id)
        .where(*visible_criteria(territory.id), Publication.kind == "poll")
        .order_by(Publication.published_at.desc()).limit(limit)
    ))
