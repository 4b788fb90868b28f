"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2): the town's reports as "service
requests", its categories as "services", and the keys the town issues to the clients that post.

What it never gives out: who reported. A report's reporter, and the e-mail, names and phone an
Open311 client posts with a request, are not in any answer; the posted ones are not even stored.
Photos are given only once an agent approved them; places as they were given. A request may be
placed by its ``address_string`` alone (the specification's "lat and long, or address_string,
or address_id"): its point is the one the town's geocoder finds inside the town
(app.reports.geocoding), else it has none until an agent places it, and its ``lat`` and ``long``
are given empty.

Statuses: GeoReport knows "open" and "closed"; received, acknowledged and in progress are open,
resolved, not for us and merged are closed."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree

from flask_babel import gettext as _
from shapely.geometry import Point, shape
from sqlalchemy import select

from app.extensions import db
from app.models_common import utcnow
from app.reports import geocoding, services
from app.reports.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    Open311Key,
    Report,
    ReportCategory,
    ReportUpdate,
)
from app.territories.models import Territory
from app.timezones import zone

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this endpoint last changed in a way a client would notice (discovery's "changeset").
CHANGESET = datetime(2026, 12, 5, tzinfo=UTC)
FORMATS = {"json": "application/json", "xml": "text/xml"}
# GET requests: without dates, the last 90 days (the specification's default); the paging
# extension's page size, and at most the specification's 1,000 a page.
DEFAULT_DAYS = 90
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
DESCRIPTION_MAX = 4000

# The fields of each answer, in the specification's order (tests hold us to them).
SERVICE_FIELDS = ("service_code", "service_name", "description", "metadata", "type", "keywords", "group")
REQUEST_FIELDS = (
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url",
)
POSTED_FIELDS = ("service_request_id", "token", "service_notice", "account_id")
TOKEN_FIELDS = ("service_request_id", "token")
TOKEN_PREFIX = "o311-"


class Open311Error(Exception):
    """A refusal: its HTTP status and description go out as the specification's error list."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


# --- keys -----------------------------------------------------------------------------------------


def key_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_key(territory: Territory, label: str) -> tuple[Open311Key, str]:
    """A new key: the row (its SHA-256 only) and the key itself, shown once to the town."""
    raw = secrets.token_urlsafe(32)
    key = Open311Key(territory_id=territory.id, label=label.strip()[:60] or "Open311", key_hash=key_hash(raw))
    db.session.add(key)
    db.session.commit()
    return key, raw


def revoke_key(key: Open311Key, now: datetime | None = None) -> None:
    if key.revoked_at is None:
        key.revoked_at = now or utcnow()
        db.session.commit()


def keys(territory: Territory) -> list[Open311Key]:
    return list(db.session.scalars(select(Open311Key).where(Open311Key.territory_id == territory.id)
                                   .order_by(Open311Key.created_at.desc(), Open311Key.id.desc())))


def valid_key(territory: Territory, raw: str | None) -> Open311Key | None:
    """The territory's unrevoked key ``raw`` is, if any (compared by its hash)."""
    if not raw:
        return None
    key = db.session.scalar(select(Open311Key).where(Open311Key.key_hash == key_hash(raw)))
    if key is None or key.territory_id != territory.id or key.revoked_at is not None:
        return None
    return key


# --- formats --------------------------------------------------------------------------------------


def w3c(moment: datetime | None, territory: Territory) -> str:
    """A W3C date and time on the town's clock, with its offset (``2026-12-05T15:04:05+01:00``)."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone(territory)).replace(microsecond=0).isoformat()


def parse_w3c(value: str) -> datetime:
    """A W3C date and time (``Z`` or an offset; a date alone is midnight UTC), in UTC."""
    text = value.strip().replace(" ", "+")  # a "+" left unencoded in a query string is a space
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Open311Error(400, _("Dates must be in the W3C format, e.g. 2010-01-01T00:00:00Z.")) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def as_json(items: Any) -> str:
    return json.dumps(items, ensure_ascii=False)


def as_xml(root: str, item: str | None, items: Any) -> bytes:
    """The specification's XML: ``<root><item>...</item>...</root>`` for a list (``item`` None: one
    object as the root). Lists inside an item are named by their singular (formats/format...)."""
    element = ElementTree.Element(root)
    if item is None:
        _fill(element, items)
    else:
        for entry in items:
            _fill(ElementTree.SubElement(element, item), entry)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(element, encoding="utf-8", xml_declaration=False)


# Characters XML 1.0 cannot carry (a pasted description may hold them): left out of the XML.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SINGULAR = {"endpoints": "endpoint", "formats": "format", "attributes": "attribute", "values": "value"}


def _fill(element: ElementTree.Element, value: Any) -> None:
    if isinstance(value, dict):
        for name, inner in value.items():
            _fill(ElementTree.SubElement(element, name), inner)
    elif isinstance(value, list):
        for inner in value:
            _fill(ElementTree.SubElement(element, _SINGULAR.get(element.tag, "item")), inner)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = _NOT_XML.sub("", str(value))


def errors(error: Open311Error) -> list[dict[str, Any]]:
    return [{"code": error.status, "description": error.description}]


# --- discovery and services -----------------------------------------------------------------------


def discovery(territory: Territory, endpoint_url: str, site_url: str) -> dict[str, Any]:
    changeset = w3c(CHANGESET, territory)
    return {
        "changeset": changeset,
        "contact": _("%(town)s, through its site: %(url)s", town=territory.name, url=site_url),
        "key_service": _("Keys to post requests are issued by the town’s administrators: %(url)s", url=site_url),
        "endpoints": [{
            "specification": SPECIFICATION, "url": endpoint_url, "changeset": changeset,
            "type": "production", "formats": list(FORMATS.values()),
        }],
    }


def service(category: ReportCategory) -> dict[str, Any]:
    return {
        "service_code": category.service_code, "service_name": category.name,
        "description": category.description, "metadata": False, "type": "realtime",
        "keywords": "", "group": category.service_actor.name if category.service_actor else "",
    }


def service_in(territory: Territory, service_code: str) -> ReportCategory | None:
    return db.session.scalar(select(ReportCategory).where(
        ReportCategory.territory_id == territory.id, ReportCategory.service_code == service_code,
        ReportCategory.active.is_(True)))


def service_definition(category: ReportCategory) -> dict[str, Any]:
    """Our categories ask nothing more than the request itself: no attributes."""
    return {"service_code": category.service_code, "attributes": []}


# --- requests -------------------------------------------------------------------------------------


def open311_status(status: str) -> str:
    return "open" if status in OPEN_STATUSES else "closed"


def _latest_notes(report_ids: Sequence[int]) -> dict[int, str]:
    """Each report's latest public note of the service (the reporter's reopening notes are theirs)."""
    notes: dict[int, str] = {}
    if not report_ids:
        return notes
    rows = db.session.execute(
        select(ReportUpdate.report_id, ReportUpdate.note).where(
            ReportUpdate.report_id.in_(report_ids), ReportUpdate.by == "service", ReportUpdate.note != "")
        .order_by(ReportUpdate.created_at, ReportUpdate.id))
    for report_id, note in rows:
        notes[report_id] = note
    return notes


def _notice(report: Report) -> str:
    if report.status == "not_ours" and report.not_ours_service:
        return _("Handled by: %(service)s", service=report.not_ours_service)
    if report.status == "merged" and report.merged_into_id:
        return _("Merged into request %(id)d", id=report.merged_into_id)
    return ""


def request_dicts(territory: Territory, reports: Sequence[Report], photo_url: Callable[[int], str]) -> list[dict[str, Any]]:
    """The reports as GeoReport service requests: never a word of who reported."""
    notes = _latest_notes([r.id for r in reports])
    rows = []
    for report in reports:
        category = report.category
        approved = [photo.media_id for photo in report.photos if photo.approved]
        rows.append({
            "service_request_id": str(report.id),
            "status": open311_status(report.status),
            "status_notes": notes.get(report.id, ""),
            "service_name": category.name,
            "service_code": category.service_code,
            "description": report.description,
            "agency_responsible": category.service_actor.name if category.service_actor else territory.name,
            "service_notice": _notice(report),
            "requested_datetime": w3c(report.created_at, territory),
            "updated_datetime": w3c(report.updated_at, territory),
            "expected_datetime": w3c(report.expected_by, territory),
            "address": report.address,
            "address_id": "",
            "zipcode": "",
            "lat": report.lat if report.lat is not None else "",
            "long": report.lon if report.lon is not None else "",
            "media_url": photo_url(approved[0]) if approved else "",
        })
    return rows


@dataclass
class RequestQuery:
    service_request_ids: list[int]
    service_codes: list[str]
    start: datetime | None
    end: datetime | None
    statuses: list[str]
    page: int
    page_size: int


def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _positive(value: str | None, default: int, name: str) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise Open311Error(400, _("%(name)s must be a whole number from 1.", name=name))
    return number


def read_query(args: Any) -> RequestQuery:
    """GET requests' filters (and the paging extension) from a query string, checked."""
    ids = []
    for part in _csv(args.get("service_request_id")):
        if not part.isdigit():
            raise Open311Error(400, _("service_request_id must list request ids, comma separated."))
        ids.append(int(part))
    statuses = [s.lower() for s in _csv(args.get("status"))]
    if any(s not in ("open", "closed") for s in statuses):
        raise Open311Error(400, _("status must be open or closed."))
    start = parse_w3c(args["start_date"]) if args.get("start_date") else None
    end = parse_w3c(args["end_date"]) if args.get("end_date") else None
    return RequestQuery(
        service_request_ids=ids, service_codes=_csv(args.get("service_code")), start=start, end=end,
        statuses=statuses, page=_positive(args.get("page"), 1, "page"),
        page_size=min(MAX_PAGE_SIZE, _positive(args.get("page_size"), DEFAULT_PAGE_SIZE, "page_size")),
    )


def search(territory: Territory, query: RequestQuery, now: datetime | None = None) -> list[Report]:
    """The territory's requests the query asks for, newest first, one page. Asked by id, the other
    filters do not apply (as the specification says)."""
    select_reports = select(Report).where(Report.territory_id == territory.id)
    if query.service_request_ids:
        select_reports = select_reports.where(Report.id.in_(query.service_request_ids))
    else:
        if query.service_codes:
            select_reports = select_reports.join(ReportCategory, ReportCategory.id == Report.category_id).where(
                ReportCategory.service_code.in_(query.service_codes))
        start, end = query.start, query.end
        if start is None and end is None:
            start = (now or utcnow()) - timedelta(days=DEFAULT_DAYS)
        if start is not None:
            select_reports = select_reports.where(Report.created_at >= start)
        if end is not None:
            select_reports = select_reports.where(Report.created_at <= end)
        if set(query.statuses) == {"open"}:
            select_reports = select_reports.where(Report.status.in_(OPEN_STATUSES))
        elif set(query.statuses) == {"closed"}:
            select_reports = select_reports.where(Report.status.in_(CLOSED_STATUSES))
    select_reports = (select_reports.order_by(Report.created_at.desc(), Report.id.desc())
                      .offset((query.page - 1) * query.page_size).limit(query.page_size))
    return list(db.session.scalars(select_reports))


def request_in(territory: Territory, service_request_id: int) -> Report | None:
    report = db.session.get(Report, service_request_id)
    return report if report is not None and report.territory_id == territory.id else None


def request_by_token(territory: Territory, token: str) -> Report | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    return db.session.scalar(select(Report).where(
        Report.territory_id == territory.id, Report.idempotency_key == token, Report.source.startswith("open311")))


# --- posting --------------------------------------------------------------------------------------


def _coordinate(value: str | None, low: float, high: float, name: str) -> float:
    try:
        number = float(value or "")
    except ValueError:
        raise Open311Error(400, _("%(name)s must be a number.", name=name)) from None
    if not low <= number <= high:
        raise Open311Error(400, _("%(name)s is out of range.", name=name))
    return number


def _inside(territory: Territory, lat: float, lon: float) -> bool:
    if not territory.boundary_geojson:
        return True
    try:
        return bool(shape(json.loads(territory.boundary_geojson)).covers(Point(lon, lat)))
    except (ValueError, TypeError, AttributeError, KeyError):
        return True


def post_request(territory: Territory, key: Open311Key, form: Any) -> Report:
    """A new report from a client's POST. Its contact fields (email, first_name, last_name,
    phone, device_id, account_id) are read by nobody: not stored, not logged. ``media_url`` is
    ignored too: a photo is taken only through the app, where it loses its metadata."""
    category = service_in(territory, (form.get("service_code") or "").strip())
    if category is None:
        raise Open311Error(400, _("service_code is missing or unknown: see services."))
    address = (form.get("address_string") or "").strip()
    if len(address) > 200:
        raise Open311Error(400, _("address_string is longer than %(max)d characters.", max=200))
    lat: float | None = None
    lon: float | None = None
    if form.get("lat") or form.get("long"):
        lat = _coordinate(form.get("lat"), -90, 90, "lat")
        lon = _coordinate(form.get("long"), -180, 180, "long")
        if not _inside(territory, lat, lon):
            raise Open311Error(400, _("This place is outside the town."))
    elif address:
        found = geocoding.locate(territory, address)
        if found is not None:
            lat, lon = found.lat, found.lon
    elif form.get("address_id"):
        raise Open311Error(400, _("This server does not know address ids: send lat and long, or address_string."))
    else:
        raise Open311Error(400, _("Say where: lat and long, or address_string."))
    description = (form.get("description") or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise Open311Error(400, _("description is longer than %(max)d characters.", max=DESCRIPTION_MAX))
    new = services.NewReport(
        category=category, lat=lat, lon=lon, description=description, address=address,
        idempotency_key=TOKEN_PREFIX + secrets.token_urlsafe(24), source=f"open311:{key.label}"[:60],
    )
    report, _created = services.file_report(territory, None, new)
    return report


def posted(territory: Territory, report: Report) -> list[dict[str, Any]]:
    return [{"service_request_id": str(report.id), "token": report.idempotency_key or "",
             "service_notice": "", "account_id": ""}]


def token_answer(report: Report) -> list[dict[str, Any]]:
    return [{"service_request_id": str(report.id), "token": report.idempotency_key or ""}]

