"""The datasets a town may publish: what each one is (its metadata, for the catalogue and
DCAT-AP), its columns (a Table Schema) and its rows, built from the public data only.

What a row may hold: an actor's public fields (never its phone or e-mail, which may be a
person's), a visible publication's public fields, and figures that are already releases of the
release engine (street reports' statistics, closed polls' results, the observatory's published
tables). No count of people is computed here: every figure is read from an existing release,
and a hidden figure is an empty cell (None in JSON), never a zero."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from babel.numbers import NumberFormatError, parse_decimal
from flask import url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.actors.models import Actor
from app.actors.services import WEEKDAYS, is_open_now
from app.extensions import db
from app.models_common import utcnow
from app.observatory import services as observatory
from app.polls.answers import is_closed
from app.polls.results import results as poll_results
from app.publications.models import Publication
from app.publications.services import visible_criteria
from app.releases.engine import Asker
from app.reports.models import Report
from app.reports.public import statistics_table
from app.territories.models import Territory

THEMES = "http://publications.europa.eu/resource/authority/data-theme/"
FREQUENCIES = "http://publications.europa.eu/resource/authority/frequency/"
PUBLICATION_KINDS = ("news", "event", "offer")


@dataclass(frozen=True)
class Column:
    """One column of a dataset, as its Table Schema field says it (``unit``: what a number counts)."""

    name: str
    type: str  # Table Schema types: string, integer, number, boolean, datetime
    description: Any
    unit: str = ""
    format: str = ""

    def schema(self) -> dict[str, Any]:
        field_: dict[str, Any] = {"name": self.name, "type": self.type, "description": str(self.description)}
        if self.format:
            field_["format"] = self.format
        if self.unit:
            field_["unit"] = self.unit
        return field_


Row = dict[str, Any]


@dataclass(frozen=True)
class Dataset:
    id: str
    title: Any
    description: Any
    keywords: tuple[Any, ...]
    themes: tuple[str, ...]  # codes of the EU data-theme vocabulary
    frequency: str  # a code of the EU frequency vocabulary
    formats: tuple[str, ...]  # "csv", "json", "geojson"
    columns: tuple[Column, ...]
    rows: Callable[[Territory, datetime], list[Row]]
    modified: Callable[[Territory], datetime | None]
    temporal: Callable[[Territory], tuple[datetime, datetime] | None] = field(default=lambda _t: None)

    @property
    def theme_uris(self) -> list[str]:
        return [THEMES + code for code in self.themes]

    @property
    def frequency_uri(self) -> str:
        return FREQUENCIES + self.frequency


# --- actors and their opening hours ------------------------------------------------------------------

OSM_DAYS = {"mon": "Mo", "tue": "Tu", "wed": "We", "thu": "Th", "fri": "Fr", "sat": "Sa", "sun": "Su"}


def osm_opening_hours(hours: dict[str, list[list[str]]]) -> str:
    """The weekly hours in OpenStreetMap's ``opening_hours`` syntax: consecutive days with the
    same ranges share a rule (``Mo-Fr 09:00-12:00,14:00-19:00; Sa 09:00-12:00``); a day not
    named is closed. No hours at all: the empty string (unknown, not "closed")."""
    rules: list[tuple[list[str], str]] = []
    for day in WEEKDAYS:
        ranges = hours.get(day) or []
        if not ranges:
            rules.append(([], ""))
            continue
        text = ",".join(f"{opens}-{closes}" for opens, closes in ranges)
        if rules and rules[-1][1] == text and rules[-1][0]:
            rules[-1][0].append(day)
        else:
            rules.append(([day], text))
    parts = []
    for days, text in rules:
        if not days:
            continue
        span = OSM_DAYS[days[0]] if len(days) == 1 else f"{OSM_DAYS[days[0]]}-{OSM_DAYS[days[-1]]}"
        if len(days) == 2:
            span = f"{OSM_DAYS[days[0]]},{OSM_DAYS[days[1]]}"
        parts.append(f"{span} {text}")
    return "; ".join(parts)


def _public_actors(territory: Territory) -> list[Actor]:
    return list(db.session.scalars(
        select(Actor).where(Actor.territory_id == territory.id, Actor.status == "verified")
        .order_by(Actor.name, Actor.id)
    ))


def _coordinate(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _actor_url(actor: Actor) -> str:
    return url_for("actors.page", slug=actor.slug, _external=True)


def actor_rows(territory: Territory, now: datetime) -> list[Row]:
    return [
        {
            "id": actor.id, "name": actor.name, "kind": actor.kind, "address": actor.address,
            "latitude": _coordinate(actor.lat), "longitude": _coordinate(actor.lon), "website": actor.website,
            "opening_hours": osm_opening_hours(actor.opening_hours),
            "opening_hours_json": json.dumps(actor.opening_hours, sort_keys=True) if actor.opening_hours else "",
            "page": _actor_url(actor),
        }
        for actor in _public_actors(territory)
    ]


def _day_text(ranges: list[list[str]] | None) -> str:
    return ",".join(f"{opens}-{closes}" for opens, closes in ranges or [])


def opening_rows(territory: Territory, now: datetime) -> list[Row]:
    rows = []
    for actor in _public_actors(territory):
        hours = actor.opening_hours
        if not any(hours.get(day) for day in WEEKDAYS):
            continue
        row: Row = {"actor_id": actor.id, "name": actor.name, "kind": actor.kind, "address": actor.address,
                    "latitude": _coordinate(actor.lat), "longitude": _coordinate(actor.lon)}
        row.update({day: _day_text(hours.get(day)) for day in WEEKDAYS})
        row["opening_hours"] = osm_opening_hours(hours)
        row["open_now"] = is_open_now(actor, now, territory.timezone)
        row["checked_at"] = now
        rows.append(row)
    return rows


def actors_modified(territory: Territory) -> datetime | None:
    return db.session.scalar(select(func.max(func.coalesce(Actor.verified_at, Actor.created_at))).where(
        Actor.territory_id == territory.id, Actor.status == "verified"))


# --- publications and events ------------------------------------------------------------------------


def _visible_publications(territory: Territory) -> Any:
    return (select(Publication).join(Actor, Actor.id == Publication.actor_id)
            .where(*visible_criteria(territory.id), Publication.kind.in_(PUBLICATION_KINDS)))


def publication_rows(territory: Territory, now: datetime) -> list[Row]:
    publications = db.session.scalars(
        _visible_publications(territory).order_by(Publication.published_at.desc(), Publication.id.desc()))
    return [
        {
            "id": p.id, "kind": p.kind, "title": p.title, "summary": p.summary, "actor": p.actor.name,
            "starts_at": p.starts_at or p.valid_from, "ends_at": p.ends_at or p.valid_until,
            "place": p.place_name, "latitude": _coordinate(p.lat), "longitude": _coordinate(p.lon),
            "hashtags": " ".join(f"#{tag.tag}" for tag in sorted(p.hashtags, key=lambda t: t.tag)),
            "rrule": p.rrule or "", "cancelled": p.cancelled_at is not None,
            "published_at": p.published_at, "updated_at": p.updated_at,
            "url": url_for("publications.show", publication_id=p.id, _external=True),
        }
        for p in publications
    ]


def publications_modified(territory: Territory) -> datetime | None:
    return db.session.scalar(_visible_publications(territory).with_only_columns(func.max(Publication.updated_at)))


def publications_temporal(territory: Territory) -> tuple[datetime, datetime] | None:
    first, last = db.session.execute(_visible_publications(territory).with_only_columns(
        func.min(Publication.published_at), func.max(func.coalesce(Publication.ends_at, Publication.starts_at,
                                                                     Publication.published_at)))).one()
    return (first, last) if first and last else None


# --- street reports' statistics -----------------------------------------------------------------------


def report_rows(territory: Territory, now: datetime) -> list[Row]:
    """The release engine's public statistics (app.reports.public), cell by cell as the
    statistics page shows them: a hidden cell is empty in every column."""
    table = statistics_table(territory, now)
    rows = []
    for category in table.categories:
        for key, label in table.columns:
            cell = table.cell(category.id, key)
            rows.append({
                "category": category.name, "service_code": category.service_code, "neighbourhood": label,
                "reports": cell.count,
                "median_resolution_days": None if cell.median_days is None else round(cell.median_days, 1),
                "overdue_share": cell.overdue_share, "anonymity_floor": table.floor,
            })
    return rows


def reports_modified(territory: Territory) -> datetime | None:
    return db.session.scalar(select(func.max(Report.updated_at)).where(Report.territory_id == territory.id))


def reports_temporal(territory: Territory) -> tuple[datetime, datetime] | None:
    """From the first report to the last change (not "now": the catalogue stays the same, and
    its ETag with it, until a report changes)."""
    first, last = db.session.execute(select(func.min(Report.created_at), func.max(Report.updated_at))
                                     .where(Report.territory_id == territory.id)).one()
    return (first, last) if first and last else None


# --- consultations ----------------------------------------------------------------------------------------


def _closed_polls(territory: Territory, now: datetime) -> list[Publication]:
    polls = db.session.scalars(
        select(Publication).join(Actor, Actor.id == Publication.actor_id)
        .where(*visible_criteria(territory.id, now), Publication.kind == "poll", Publication.survey_url == "")
        .order_by(Publication.valid_until.desc(), Publication.id.desc())
    )
    return [poll for poll in polls if is_closed(poll, now)]


def consultation_rows(territory: Territory, now: datetime) -> list[Row]:
    """Closed polls' final results (app.polls.results: the figures the poll's page shows,
    released for good once it closed); a hidden figure is empty."""
    rows = []
    for poll in _closed_polls(territory, now):
        found = poll_results(poll, territory, now=now)
        base = {"poll_id": poll.id, "poll": poll.title, "actor": poll.actor.name, "closed_at": poll.valid_until,
                "url": url_for("publications.show", publication_id=poll.id, _external=True),
                "anonymity_floor": found.floor}
        rows.append({**base, "question_number": None, "question": "", "question_kind": "", "answer": "",
                     "rank": None, "people": found.respondents.value})
        for result in found.questions:
            question = {"question_number": result.number, "question": result.question.text,
                        "question_kind": result.question.kind}
            rows.append({**base, **question, "answer": "", "rank": None, "people": result.answered.value})
            for line in result.rows:
                if result.question.kind == "ranking":
                    for rank, figure in enumerate(line.ranks, start=1):
                        rows.append({**base, **question, "answer": line.label, "rank": rank, "people": figure.value})
                else:
                    rows.append({**base, **question, "answer": line.label, "rank": None, "people": line.figure.value})
    return rows


def consultations_modified(territory: Territory) -> datetime | None:
    polls = _closed_polls(territory, utcnow())
    return max((poll.valid_until for poll in polls if poll.valid_until), default=None)


def consultations_temporal(territory: Territory) -> tuple[datetime, datetime] | None:
    polls = _closed_polls(territory, utcnow())
    starts = [poll.valid_from or poll.published_at for poll in polls if poll.valid_from or poll.published_at]
    ends = [poll.valid_until for poll in polls if poll.valid_until]
    return (min(starts), max(ends)) if starts and ends else None


# --- observatory -----------------------------------------------------------------------------------------

FIGURE_SECTIONS = (observatory.MIX, observatory.HASHTAGS, observatory.FOOTFALL)
SPACES = re.compile(r"\s+")


def read_figure(text: str, locale: str) -> tuple[float | int | None, str]:
    """A cell of the observatory's tables (the text the page shows, in ``locale``) as a number
    and its unit: ``("12 %")`` is ``(0.12, "share")``, ``"1 230"`` is ``(1230, "people")``; an
    empty cell (hidden or missing) is ``(None, "")``."""
    text = SPACES.sub("", text.replace("\u202f", "").replace("\xa0", ""))
    if not text:
        return None, ""
    share = text.endswith("%")
    try:
        number = parse_decimal(text.rstrip("%"), locale=locale)
    except NumberFormatError:
        return None, ""
    if share:
        return round(float(number) / 100, 4), "share"
    return int(number) if number == int(number) else float(number), "people"


def observatory_rows(territory: Territory, now: datetime) -> list[Row]:
    """The tables of the observatory the town publishes at /observatory, as released for the
    public (app.observatory: the same figures, the same complementary suppression), one cell a
    row."""
    sections = [s for s in observatory.published_sections(territory) if s in FIGURE_SECTIONS]
    if not sections:
        return []
    found = observatory.observatory(territory, Asker.public(territory), sections, now=now)
    locale = str(get_locale() or territory.default_language)
    rows = []
    for table in found.tables().values():
        for line in table.rows:
            for column, text in zip(table.columns, line.cells, strict=True):
                value, unit = read_figure(text, locale)
                rows.append({"table": table.id, "caption": table.caption, "row": line.label, "column": column,
                             "value": value, "unit": unit})
    return rows


def observatory_modified(territory: Territory) -> datetime | None:
    """The figures stand for the day (released each day): today, at midnight UTC."""
    if not observatory.published_sections(territory):
        return None
    return utcnow().replace(hour=0, minute=0, second=0, microsecond=0)


# --- the list -----------------------------------------------------------------------------------------------

_LAT = Column("latitude", "number", _l("Latitude (WGS 84)"), unit="degree")
_LON = Column("longitude", "number", _l("Longitude (WGS 84)"), unit="degree")
_KIND = Column("kind", "string", _l("Kind of actor: town_service, association, merchant, culture, tourism_office, "
                                    "school, sports_club"))
_OSM = Column("opening_hours", "string", _l("Weekly opening hours in OpenStreetMap's opening_hours syntax (empty: "
                                            "unknown)"))
_FLOOR = Column("anonymity_floor", "integer", _l("The anonymity floor: a count under it is not published"),
                unit="people")

DATASETS: dict[str, Dataset] = {d.id: d for d in (
    Dataset(
        id="actors", title=_l("Local actors"),
        description=_l("The town's verified local actors (town services, associations, shops, cultural and "
                       "tourism actors, schools, clubs): name, kind, address, position, website and opening "
                       "hours. Public fields only: no phone number, no e-mail address."),
        keywords=(_l("actors"), _l("shops"), _l("associations"), _l("directory")),
        themes=("ECON", "SOCI"), frequency="UPDATE_CONT", formats=("csv", "geojson", "json"),
        columns=(
            Column("id", "integer", _l("The actor's number on the platform")),
            Column("name", "string", _l("The actor's verified name")), _KIND,
            Column("address", "string", _l("Postal address")), _LAT, _LON,
            Column("website", "string", _l("Website"), format="uri"), _OSM,
            Column("opening_hours_json", "string", _l("Weekly opening hours as JSON: for each day (mon…sun), a "
                                                      "list of [opens, closes] times")),
            Column("page", "string", _l("The actor's public page"), format="uri"),
        ),
        rows=actor_rows, modified=actors_modified,
    ),
    Dataset(
        id="publications", title=_l("News, events and offers"),
        description=_l("What the town's actors publish: news, events (with their recurrence rule) and offers; "
                       "published and visible ones only."),
        keywords=(_l("agenda"), _l("events"), _l("news"), _l("offers")),
        themes=("EDUC", "SOCI"), frequency="UPDATE_CONT", formats=("csv", "json"),
        columns=(
            Column("id", "integer", _l("The publication's number on the platform")),
            Column("kind", "string", _l("news, event or offer")),
            Column("title", "string", _l("Title")), Column("summary", "string", _l("Summary")),
            Column("actor", "string", _l("The actor who publishes it")),
            Column("starts_at", "datetime", _l("Start (an event's, or an offer's first valid day), UTC")),
            Column("ends_at", "datetime", _l("End (an event's, or an offer's last valid day), UTC")),
            Column("place", "string", _l("Place")), _LAT, _LON,
            Column("hashtags", "string", _l("Hashtags, separated by spaces")),
            Column("rrule", "string", _l("Recurrence rule (RFC 5545 RRULE) from the start, in the town's time zone")),
            Column("cancelled", "boolean", _l("Cancelled")),
            Column("published_at", "datetime", _l("Published, UTC")),
            Column("updated_at", "datetime", _l("Last changed, UTC")),
            Column("url", "string", _l("The publication's page"), format="uri"),
        ),
        rows=publication_rows, modified=publications_modified, temporal=publications_temporal,
    ),
    Dataset(
        id="opening-hours", title=_l("Opening hours: which shops and services are open now"),
        description=_l("Each actor's weekly opening hours, day by day and in OpenStreetMap's syntax, with "
                       "whether it was open when the file was downloaded."),
        keywords=(_l("opening hours"), _l("open now"), _l("shops"), _l("services")),
        themes=("ECON",), frequency="UPDATE_CONT", formats=("csv", "json"),
        columns=(
            Column("actor_id", "integer", _l("The actor's number on the platform")),
            Column("name", "string", _l("The actor's verified name")), _KIND,
            Column("address", "string", _l("Postal address")), _LAT, _LON,
            *(Column(day, "string", label) for day, label in zip(WEEKDAYS, (
                _l("Monday's opening hours (HH:MM-HH:MM, comma-separated; empty: closed)"),
                _l("Tuesday's opening hours"), _l("Wednesday's opening hours"), _l("Thursday's opening hours"),
                _l("Friday's opening hours"), _l("Saturday's opening hours"), _l("Sunday's opening hours"),
            ), strict=True)),
            _OSM,
            Column("open_now", "boolean", _l("Open when the file was downloaded (the town's time zone)")),
            Column("checked_at", "datetime", _l("When the file was downloaded, UTC")),
        ),
        rows=opening_rows, modified=actors_modified,
    ),
    Dataset(
        id="street-reports", title=_l("Street reports: statistics"),
        description=_l("Street reports by category and neighbourhood: how many (noised and rounded by the "
                       "platform's release engine), the median resolution time and the share that missed their "
                       "expected time. A cell under the anonymity floor is empty, like an empty one."),
        keywords=(_l("street reports"), _l("statistics"), _l("public space")),
        themes=("REGI", "GOVE"), frequency="DAILY", formats=("csv", "json"),
        columns=(
            Column("category", "string", _l("Category of report")),
            Column("service_code", "string", _l("The category's Open311 service code")),
            Column("neighbourhood", "string", _l("Neighbourhood")),
            Column("reports", "integer", _l("Reports (released: noised, rounded to 10; empty: under the floor)"),
                   unit="reports"),
            Column("median_resolution_days", "number", _l("Median time from report to resolution"), unit="day"),
            Column("overdue_share", "number", _l("Share of reports not done by their expected time (0 to 1)"),
                   unit="share"),
            _FLOOR,
        ),
        rows=report_rows, modified=reports_modified, temporal=reports_temporal,
    ),
    Dataset(
        id="consultations", title=_l("Consultation results"),
        description=_l("The results of closed polls, answer by answer, as the poll's page shows them: every "
                       "figure released by the platform's release engine; a figure under the anonymity floor, or "
                       "hidden to protect another, is empty."),
        keywords=(_l("consultations"), _l("polls"), _l("participation")),
        themes=("GOVE",), frequency="DAILY", formats=("csv", "json"),
        columns=(
            Column("poll_id", "integer", _l("The poll's number on the platform")),
            Column("poll", "string", _l("The poll's title")),
            Column("actor", "string", _l("The actor who ran it")),
            Column("closed_at", "datetime", _l("When it closed, UTC")),
            Column("url", "string", _l("The poll's page"), format="uri"),
            Column("question_number", "integer", _l("The question's number (empty: the whole poll)")),
            Column("question", "string", _l("The question")),
            Column("question_kind", "string", _l("single, multiple, scale, ranking or text")),
            Column("answer", "string", _l("The answer (empty: everyone who answered the question or the poll)")),
            Column("rank", "integer", _l("For a ranking: the place given to the answer")),
            Column("people", "integer", _l("People (released: noised, rounded; empty: hidden)"), unit="people"),
            _FLOOR,
        ),
        rows=consultation_rows, modified=consultations_modified, temporal=consultations_temporal,
    ),
    Dataset(
        id="observatory", title=_l("Observatory of needs: indicators"),
        description=_l("The tables of the observatory of needs that the town publishes: people by neighbourhood "
                       "and population type, presence by month, the hashtags people follow, footfall by hour. "
                       "Every figure is released for the public; an empty value is hidden or missing."),
        keywords=(_l("observatory"), _l("population"), _l("footfall"), _l("indicators")),
        themes=("SOCI", "REGI"), frequency="DAILY", formats=("csv", "json"),
        columns=(
            Column("table", "string", _l("The table: mix-neighbourhoods, mix-months, hashtags or footfall")),
            Column("caption", "string", _l("What the table shows")),
            Column("row", "string", _l("The table's row")),
            Column("column", "string", _l("The table's column")),
            Column("value", "number", _l("The figure (empty: hidden or missing)")),
            Column("unit", "string", _l("people (a count of people, released) or share (0 to 1)")),
        ),
        rows=observatory_rows, modified=observatory_modified,
    ),
)}

DATASET_IDS = tuple(DATASETS)
