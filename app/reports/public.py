"""Street reports as the public sees them: the list and map of an area, its GeoJSON and Atom
feed, and the statistics by category and neighbourhood.

What leaves here never names a person: no reporter, no follower, no agent; a place is shown as
its reporter gave it (the point and the address typed), a photo only once an agent approved it.
A report placed by its address alone (no point: no geocoder found it, no agent placed it yet) is
listed and counted, in the feed and the statistics ("no neighbourhood"), but it is on no map:
no GeoJSON feature, in no map's box.

The statistics count reports, and a report is made by a person: a small neighbourhood × category
cell could single someone out. So every count is a release (app.releases.engine, ``Asker.public``,
a fixed table: ``chosen=False``, a DAY window), every cell of the table is asked (an empty cell
and a hidden one cannot be told apart), and a cell's median resolution time and overdue share are
computed only when its released count reaches the floor; otherwise the cell is hidden exactly
like an empty one."""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from xml.etree import ElementTree

from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from sqlalchemy import Select, and_, case, func, or_, select

from app.extensions import db
from app.models_common import utcnow
from app.releases.engine import DAY, Asker, Question, release_many
from app.reports.models import CLOSED_STATUSES, OPEN_STATUSES, STATUSES, Report, ReportCategory
from app.reports.services import categories, status_label
from app.territories.models import Neighbourhood, Territory
from app.territories.services import neighbourhoods

PAGE_SIZE = 50
GEOJSON_LIMIT = 1000  # markers a map shows at once; beyond, "truncated" asks to zoom in
FEED_SIZE = 50
STATUS_FILTERS = ("open", "overdue", "closed", *STATUSES)
NO_HOOD = "none"
EMPTY = ""  # a hidden figure and a missing one: the same text, on the page and in the CSV
ATOM = "http://www.w3.org/2005/Atom"


# --- what the address asks for ----------------------------------------------------------------------


@dataclass(frozen=True)
class Box:
    """A map's view, as GeoJSON and OpenStreetMap write it: west, south, east, north."""

    west: float
    south: float
    east: float
    north: float

    def __str__(self) -> str:
        return ",".join(f"{value:.5f}".rstrip("0").rstrip(".") for value in (self.west, self.south, self.east, self.north))


def parse_box(raw: str | None) -> Box | None:
    """``bbox=west,south,east,north`` in degrees; anything else (missing, malformed, upside
    down, out of range): no box."""
    if not raw:
        return None
    try:
        west, south, east, north = (float(part) for part in raw.split(","))
    except ValueError:
        return None
    values = (west, south, east, north)
    if not all(math.isfinite(value) for value in values):
        return None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        return None
    return Box(west, south, east, north)


@dataclass(frozen=True)
class Filters:
    category: ReportCategory | None = None
    status: str = ""
    neighbourhood: Neighbourhood | None = None
    box: Box | None = None

    def args(self) -> dict[str, Any]:
        """The same filters as address parameters (for the feeds' and the pages' links)."""
        values = {
            "category": self.category.id if self.category else None,
            "status": self.status or None,
            "neighbourhood": self.neighbourhood.id if self.neighbourhood else None,
            "bbox": str(self.box) if self.box else None,
        }
        return {key: value for key, value in values.items() if value is not None}


def parse_filters(territory: Territory, args: Any) -> Filters:
    """The filters of a public page or feed, each checked against the territory (another
    territory's category or neighbourhood is as if not given)."""
    category = None
    raw_category = args.get("category")
    if raw_category:
        try:
            found = db.session.get(ReportCategory, int(raw_category))
        except (TypeError, ValueError):
            found = None
        category = found if found is not None and found.territory_id == territory.id else None
    hood = None
    raw_hood = args.get("neighbourhood")
    if raw_hood:
        try:
            found_hood = db.session.get(Neighbourhood, int(raw_hood))
        except (TypeError, ValueError):
            found_hood = None
        hood = found_hood if found_hood is not None and found_hood.territory_id == territory.id else None
    status = args.get("status") or ""
    return Filters(category=category, status=status if status in STATUS_FILTERS else "",
                   neighbourhood=hood, box=parse_box(args.get("bbox")))


def _filtered(territory: Territory, filters: Filters, now: datetime) -> Select[tuple[Report]]:
    query = select(Report).where(Report.territory_id == territory.id)
    if filters.status == "open":
        query = query.where(Report.status.in_(OPEN_STATUSES))
    elif filters.status == "overdue":
        query = query.where(Report.status.in_(OPEN_STATUSES), Report.expected_by < now)
    elif filters.status == "closed":
        query = query.where(Report.status.in_(("resolved", "not_ours")))
    elif filters.status in STATUSES:
        query = query.where(Report.status == filters.status)
    else:  # a merged report lives on in the one it joined
        query = query.where(Report.status != "merged")
    if filters.category is not None:
        query = query.where(Report.category_id == filters.category.id)
    if filters.neighbourhood is not None:
        query = query.where(Report.neighbourhood_id == filters.neighbourhood.id)
    if filters.box is not None:
        box = filters.box
        query = query.where(Report.lat.between(box.south, box.north), Report.lon.between(box.west, box.east))
    return query


# --- the list, the map, the feeds -------------------------------------------------------------------


@dataclass(frozen=True)
class PublicReport:
    """A report as anybody sees it: nothing about who made it."""

    id: int
    category: str
    status: str
    status_label: str
    lat: float | None  # None: placed by its address alone
    lon: float | None
    address: str
    created_at: datetime
    updated_at: datetime
    age_days: int
    overdue: bool
    photo_media_ids: tuple[int, ...] = field(default=())


def _public(report: Report, now: datetime) -> PublicReport:
    return PublicReport(
        id=report.id, category=report.category.name, status=report.status,
        status_label=status_label(report.status), lat=report.lat, lon=report.lon, address=report.address,
        created_at=report.created_at, updated_at=report.updated_at,
        age_days=max(0, (now - report.created_at).days), overdue=report.is_overdue(now),
        photo_media_ids=tuple(photo.media_id for photo in report.photos if photo.approved),
    )


@dataclass(frozen=True)
class Page:
    reports: list[PublicReport]
    number: int
    has_next: bool


def page_of(raw: str | None) -> int:
    try:
        return max(1, min(10_000, int(raw or 1)))
    except ValueError:
        return 1


def public_reports(territory: Territory, filters: Filters, page: int = 1, now: datetime | None = None) -> Page:
    """A page of the reports these filters keep, newest first."""
    now = now or utcnow()
    ids = list(db.session.scalars(
        _filtered(territory, filters, now).with_only_columns(Report.id)
        .order_by(Report.created_at.desc(), Report.id.desc())
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    ))
    rows = _loaded(ids)
    return Page([_public(report, now) for report in rows[:PAGE_SIZE]], page, len(rows) > PAGE_SIZE)


def _loaded(ids: list[int]) -> list[Report]:
    """The reports of ``ids``, in that order. The ids are chosen first, on the narrow index
    columns: sorting an area's thousands of reports with their category and service joined
    (what loading a Report brings) cost several times more."""
    if not ids:
        return []
    found = {report.id: report for report in db.session.scalars(select(Report).where(Report.id.in_(ids)))}
    return [found[report_id] for report_id in ids if report_id in found]


def _feature_rows(territory: Territory, filters: Filters, now: datetime, limit: int) -> list[Any]:
    """What a map needs of each report, without loading the reports (no photos, no text); those
    without a point have no place on a map."""
    query = _filtered(territory, filters, now).where(Report.lat.is_not(None), Report.lon.is_not(None)).with_only_columns(
        Report.id, Report.lat, Report.lon, Report.status, Report.created_at, Report.updated_at,
        Report.expected_by, ReportCategory.name,
    ).join(ReportCategory, ReportCategory.id == Report.category_id)
    return list(db.session.execute(query.order_by(Report.created_at.desc(), Report.id.desc()).limit(limit)))


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def geojson(territory: Territory, filters: Filters, url_of: Any, now: datetime | None = None,
            limit: int = GEOJSON_LIMIT) -> dict[str, Any]:
    """A FeatureCollection (RFC 7946): one Point per report, [longitude, latitude], with its id,
    category, status, dates, overdue flag and page; never who made it. Reports without a point
    are left out (a Feature's geometry may be null, but a map cannot draw it). At most ``limit``
    reports, newest first (``truncated`` says when there were more)."""
    now = now or utcnow()
    rows = _feature_rows(territory, filters, now, limit + 1)
    features = [
        {
            "type": "Feature",
            "id": row.id,
            "geometry": {"type": "Point", "coordinates": [round(row.lon, 6), round(row.lat, 6)]},
            "properties": {
                "id": row.id, "category": row.name, "status": row.status,
                "created": _iso(row.created_at), "updated": _iso(row.updated_at),
                "overdue": bool(row.status in OPEN_STATUSES and row.expected_by is not None and row.expected_by < now),
                "url": url_of(row.id),
            },
        }
        for row in rows[:limit]
    ]
    collection: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if filters.box is not None:
        box = filters.box
        collection["bbox"] = [box.west, box.south, box.east, box.north]
    collection["truncated"] = len(rows) > limit  # a foreign member (RFC 7946 § 6.1)
    return collection


def tag_uri(territory: Territory, host: str, specific: str) -> str:
    """A tag: URI (RFC 4151): the town's host name, the day the territory was created (it held the
    name then), and what it names; stable across moves of the page."""
    return f"tag:{host},{territory.created_at.date().isoformat()}:{territory.slug}/{specific}"


def atom(territory: Territory, filters: Filters, host: str, self_url: str, page_url: str,
         url_of: Any, now: datetime | None = None) -> bytes:
    """An Atom feed (RFC 4287) of the reports these filters keep, most recently updated first."""
    now = now or utcnow()
    rows = _loaded(list(db.session.scalars(
        _filtered(territory, filters, now).with_only_columns(Report.id)
        .order_by(Report.updated_at.desc(), Report.id.desc()).limit(FEED_SIZE)
    )))
    ElementTree.register_namespace("", ATOM)

    def sub(parent: ElementTree.Element, tag: str, text: str | None = None, **attrs: str) -> ElementTree.Element:
        element = ElementTree.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    feed = ElementTree.Element(f"{{{ATOM}}}feed")
    parts = [filters.category.name if filters.category else None,
             filters.neighbourhood.name if filters.neighbourhood else None]
    scope = " · ".join(part for part in parts if part)
    title = _("Street reports in %(town)s", town=territory.name) + (f" — {scope}" if scope else "")
    sub(feed, "title", title)
    sub(feed, "id", tag_uri(territory, host, "reports?" + "&".join(f"{k}={v}" for k, v in sorted(filters.args().items()))))
    sub(feed, "updated", _iso(rows[0].updated_at if rows else territory.created_at))
    sub(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    sub(feed, "link", rel="alternate", type="text/html", href=page_url)
    author = sub(feed, "author")
    sub(author, "name", territory.name)
    sub(feed, "generator", "Territory")
    for report in rows:
        entry = sub(feed, "entry")
        sub(entry, "id", tag_uri(territory, host, f"report/{report.id}"))
        sub(entry, "title", f"{report.category.name} — {status_label(report.status)}")
        sub(entry, "updated", _iso(report.updated_at))
        sub(entry, "published", _iso(report.created_at))
        sub(entry, "link", rel="alternate", type="text/html", href=url_of(report.id))
        sub(entry, "category", term=str(report.category.service_code), label=report.category.name)
        lines = [status_label(report.status)]
        if report.address:
            lines.append(report.address)
        if report.is_overdue(now):
            lines.append(_("Overdue"))
        sub(entry, "summary", " · ".join(lines), type="text")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(feed, encoding="utf-8", xml_declaration=False)


# --- statistics -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """A category × neighbourhood figure set; all None when hidden or empty (shown alike)."""

    count: int | None
    median_days: float | None
    overdue_share: float | None

    @property
    def hidden(self) -> bool:
        return self.count is None

    def reports_text(self) -> str:
        return EMPTY if self.count is None else format_decimal(self.count)

    def median_text(self) -> str:
        if self.median_days is None:
            return EMPTY
        return _("%(days)s d", days=format_decimal(round(self.median_days, 1)))

    def overdue_text(self) -> str:
        return EMPTY if self.overdue_share is None else format_percent(self.overdue_share)


HIDDEN = Cell(None, None, None)


@dataclass(frozen=True)
class StatsTable:
    categories: list[ReportCategory]
    columns: list[tuple[str, str]]  # (key, label): the neighbourhoods, then "no neighbourhood"
    cells: dict[tuple[int, str], Cell]
    floor: int

    def cell(self, category_id: int, hood_key: str) -> Cell:
        return self.cells.get((category_id, hood_key), HIDDEN)

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([_("Category"), _("Neighbourhood"), _("Reports"), _("Median resolution time (days)"),
                         _("Overdue share")])
        for category in self.categories:
            for key, label in self.columns:
                cell = self.cell(category.id, key)
                writer.writerow([
                    category.name, label, EMPTY if cell.count is None else cell.count,
                    EMPTY if cell.median_days is None else f"{cell.median_days:.1f}",
                    EMPTY if cell.overdue_share is None else f"{cell.overdue_share:.2f}",
                ])
        return out.getvalue()


def _hood_key(hood_id: int | None) -> str:
    return str(hood_id) if hood_id is not None else NO_HOOD


def _missed_deadline(now: datetime) -> Any:
    """Not done by its expected time: still open past it, or closed after it."""
    return and_(Report.expected_by.is_not(None), or_(
        and_(Report.status.in_(OPEN_STATUSES), Report.expected_by < now),
        and_(Report.status.in_(CLOSED_STATUSES), Report.closed_at > Report.expected_by),
    ))


def statistics_table(territory: Territory, now: datetime | None = None) -> StatsTable:
    """Reports by category and neighbourhood (merged duplicates left out): counts released to
    the public; the median time from report to resolution (resolved reports) and the share
    that missed their expected time, only where the released count reaches the floor."""
    now = now or utcnow()
    cats = categories(territory, active_only=False)
    hoods = neighbourhoods(territory)
    columns = [(str(hood.id), hood.name) for hood in hoods] + [(NO_HOOD, _("No neighbourhood"))]
    keys = [(category.id, key) for category in cats for key, _label in columns]
    questions = {key: Question("reports.count", key, DAY, chosen=False) for key in keys}
    key_of = {question: key for key, question in questions.items()}
    counted = Report.territory_id == territory.id, Report.status != "merged"

    def exact(missing: list[Question]) -> dict[Question, int]:
        rows = db.session.execute(
            select(Report.category_id, Report.neighbourhood_id, func.count()).where(*counted)
            .group_by(Report.category_id, Report.neighbourhood_id)
        )
        found = {(int(category_id), _hood_key(hood_id)): int(n) for category_id, hood_id, n in rows}
        return {question: found.get(key_of[question], 0) for question in missing}

    released = release_many(Asker.public(territory), list(questions.values()), exact, now=now)
    floor = next(iter(released.values())).floor if released else 0
    shown = {key: released[question].value for key, question in questions.items() if released[question].value is not None}
    cells: dict[tuple[int, str], Cell] = {}
    if shown:
        durations: dict[tuple[int, str], list[float]] = defaultdict(list)
        for category_id, hood_id, created, closed in db.session.execute(
            select(Report.category_id, Report.neighbourhood_id, Report.created_at, Report.closed_at)
            .where(*counted, Report.status == "resolved", Report.closed_at.is_not(None))
        ):
            key = (int(category_id), _hood_key(hood_id))
            if key in shown:
                durations[key].append((closed - created) / timedelta(days=1))
        totals: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
        # The late ones summed, not grouped by: a condition with parameters in GROUP BY is not
        # the select's own expression to PostgreSQL.
        late_sum = func.sum(case((_missed_deadline(now), 1), else_=0))
        for category_id, hood_id, late, n in db.session.execute(
            select(Report.category_id, Report.neighbourhood_id, late_sum, func.count())
            .where(*counted).group_by(Report.category_id, Report.neighbourhood_id)
        ):
            key = (int(category_id), _hood_key(hood_id))
            totals[key][1] += int(n)
            totals[key][0] += int(late or 0)
        for key, value in shown.items():
            late, total = totals.get(key, [0, 0])
            cells[key] = Cell(
                count=value,
                median_days=statistics.median(durations[key]) if durations.get(key) else None,
                overdue_share=round(late / total, 2) if total else None,
            )
    return StatsTable(cats, columns, cells, floor)
