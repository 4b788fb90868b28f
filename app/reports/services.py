"""Street reports: filing one (with its photos, refused twice from the same phone), the nearby
open reports of the same category (to follow one instead of filing a duplicate), following, the
service's status changes with their public notes, reopening, the private thread, overdue.

The people concerned by a report (its reporter and followers) are told of its changes (a status,
a merge, a reopening) through the delivery engine, on the channels each chose (app.reports.notify):
a change is not a campaign, it goes only to them, never to the person who made it."""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.actors.models import MEMBER_ROLES, Membership
from app.delivery.models import InboxItem
from app.extensions import db
from app.geo import distance_m
from app.models_common import utcnow
from app.reports import notify
from app.reports.models import (
    DUPLICATE_RADIUS_M,
    OPEN_STATUSES,
    PHOTOS_MAX,
    REOPEN_DAYS,
    STATUSES,
    Report,
    ReportCategory,
    ReportFollower,
    ReportMessage,
    ReportPhoto,
    ReportUpdate,
)
from app.reports.signals import report_status_changed
from app.territories.models import Neighbourhood, Territory

DESCRIPTION_MAX = 2000


class ReportError(Exception):
    """Refused; ``str()`` says why in the person's language."""


def status_label(status: str) -> str:
    return {
        "received": _("Received"), "acknowledged": _("Acknowledged"), "in_progress": _("In progress"),
        "resolved": _("Resolved"), "not_ours": _("Not for us"), "merged": _("Merged"),
    }.get(status, status)


# --- categories -----------------------------------------------------------------------------------


def categories(territory: Territory, active_only: bool = True) -> list[ReportCategory]:
    query = select(ReportCategory).where(ReportCategory.territory_id == territory.id)
    if active_only:
        query = query.where(ReportCategory.active.is_(True))
    return list(db.session.scalars(query.order_by(ReportCategory.position, ReportCategory.name)))


def category_in(territory: Territory, category_id: Any) -> ReportCategory | None:
    try:
        found = db.session.get(ReportCategory, int(category_id))
    except (TypeError, ValueError):
        return None
    return found if found is not None and found.territory_id == territory.id and found.active else None


# --- where --------------------------------------------------------------------------------------


def _box(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    dlat = radius_m / 111_320.0
    dlon = radius_m / (111_320.0 * max(0.01, math.cos(math.radians(lat))))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def nearby_open(territory: Territory, category: ReportCategory, lat: float, lon: float,
                radius_m: float = DUPLICATE_RADIUS_M, limit: int = 5) -> list[tuple[Report, float]]:
    """Open reports of ``category`` within ``radius_m`` of the point, nearest first (those
    without a point are never near anything)."""
    south, north, west, east = _box(lat, lon, radius_m)
    rows = db.session.scalars(
        select(Report).where(
            Report.category_id == category.id, Report.status.in_(OPEN_STATUSES),
            Report.lat.between(south, north), Report.lon.between(west, east),
            Report.territory_id == territory.id,
        ).limit(200)
    )
    found = [(r, distance_m(lat, lon, r.lat, r.lon)) for r in rows if r.lat is not None and r.lon is not None]
    return sorted([(r, d) for r, d in found if d <= radius_m], key=lambda item: item[1])[:limit]


def neighbourhood_at(territory: Territory, lat: float, lon: float) -> int | None:
    import json

    from shapely.geometry import Point, shape

    point = Point(lon, lat)
    for hood_id, geojson in db.session.execute(
        select(Neighbourhood.id, Neighbourhood.geojson).where(Neighbourhood.territory_id == territory.id)
    ):
        if geojson and shape(json.loads(geojson)).covers(point):
            return int(hood_id)
    return None


# --- filing ---------------------------------------------------------------------------------------


@dataclass
class NewReport:
    """``lat`` and ``lon`` None: placed by its address alone (no geocoder found it)."""

    category: ReportCategory
    lat: float | None
    lon: float | None
    description: str
    address: str = ""
    photo_media_ids: tuple[int, ...] = ()
    idempotency_key: str | None = None
    source: str = "app"


def file_report(territory: Territory, reporter: User | None, new: NewReport, now: datetime | None = None) -> tuple[Report, bool]:
    """The report (created, or the one this idempotency key already made: then False)."""
    now = now or utcnow()
    if new.idempotency_key:
        existing = db.session.scalar(select(Report).where(
            Report.territory_id == territory.id, Report.idempotency_key == new.idempotency_key))
        if existing is not None:
            return existing, False
    if len(new.photo_media_ids) > PHOTOS_MAX:
        raise ReportError(_("At most %(max)d photos.", max=PHOTOS_MAX))
    point = (new.lat, new.lon) if new.lat is not None and new.lon is not None else None
    if point is None and not new.address.strip():
        raise ReportError(_("Say where: use your position, click the map or type an address."))
    report = Report(
        territory_id=territory.id, category_id=new.category.id, status="received",
        description=new.description.strip()[:DESCRIPTION_MAX],
        lat=point[0] if point else None, lon=point[1] if point else None, address=new.address.strip()[:200],
        neighbourhood_id=neighbourhood_at(territory, *point) if point else None,
        reporter_id=reporter.id if reporter else None, source=new.source,
        idempotency_key=new.idempotency_key, created_at=now, updated_at=now,
        expected_by=now + timedelta(days=new.category.expected_days),
    )
    report.photos = [ReportPhoto(media_id=media_id) for media_id in new.photo_media_ids]
    db.session.add(report)
    try:
        db.session.flush()
    except IntegrityError:  # the same key sent twice at once: the first one stands
        db.session.rollback()
        existing = db.session.scalar(select(Report).where(
            Report.territory_id == territory.id, Report.idempotency_key == new.idempotency_key))
        if existing is None:
            raise
        return existing, False
    db.session.add(ReportUpdate(report_id=report.id, status="received", note="", by="reporter", created_at=now))
    db.session.commit()
    return report, True


def place_report(report: Report, lat: float, lon: float, now: datetime | None = None) -> None:
    """An agent puts the report on the map (one placed by its address alone), or moves its
    point: its neighbourhood follows. The caller checked the point is in the territory."""
    territory = db.session.get(Territory, report.territory_id)
    assert territory is not None
    report.lat, report.lon = lat, lon
    report.neighbourhood_id = neighbourhood_at(territory, lat, lon)
    report.updated_at = now or utcnow()
    db.session.commit()


# --- following ------------------------------------------------------------------------------------


def is_follower(report: Report, user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and bool(db.session.scalar(select(exists().where(
        ReportFollower.report_id == report.id, ReportFollower.user_id == user.id))))


def follow(report: Report, user: User) -> bool:
    if report.reporter_id == user.id or is_follower(report, user):
        return False
    db.session.add(ReportFollower(report_id=report.id, user_id=user.id))
    db.session.commit()
    return True


def unfollow(report: Report, user: User) -> None:
    db.session.query(ReportFollower).filter_by(report_id=report.id, user_id=user.id).delete()
    db.session.commit()


def follower_count(report: Report) -> int:
    return int(db.session.scalar(select(func.count()).where(ReportFollower.report_id == report.id)) or 0)


def concerned(report: Report) -> list[int]:
    """The people told of a change: the reporter and the followers."""
    ids = [report.reporter_id] if report.reporter_id else []
    ids += list(db.session.scalars(select(ReportFollower.user_id).where(ReportFollower.report_id == report.id)))
    return list(dict.fromkeys(ids))


# --- the service's side ---------------------------------------------------------------------------


def is_agent(user: Any, report_or_category: Report | ReportCategory) -> bool:
    """A member of the town service that handles the category (same territory)."""
    category = report_or_category.category if isinstance(report_or_category, Report) else report_or_category
    if not getattr(user, "is_authenticated", False) or category.service_actor_id is None:
        return False
    return bool(db.session.scalar(select(exists().where(
        Membership.user_id == user.id, Membership.actor_id == category.service_actor_id,
        Membership.role.in_(MEMBER_ROLES)))))


def agent_actor_ids(user: Any) -> list[int]:
    if not getattr(user, "is_authenticated", False):
        return []
    return list(db.session.scalars(select(Membership.actor_id).where(
        Membership.user_id == user.id, Membership.role.in_(MEMBER_ROLES))))


def queue(territory: Territory, actor_ids: list[int], *, category_id: int | None = None,
          neighbourhood_id: int | None = None, status: str = "open", now: datetime | None = None,
          limit: int = 200) -> list[Report]:
    """The reports of the categories these services handle, oldest first."""
    query = select(Report).join(ReportCategory, ReportCategory.id == Report.category_id).where(
        Report.territory_id == territory.id, ReportCategory.service_actor_id.in_(actor_ids))
    if status == "open":
        query = query.where(Report.status.in_(OPEN_STATUSES))
    elif status == "overdue":
        query = query.where(Report.status.in_(OPEN_STATUSES), Report.expected_by < (now or utcnow()))
    elif status in STATUSES:
        query = query.where(Report.status == status)
    if category_id:
        query = query.where(Report.category_id == category_id)
    if neighbourhood_id:
        query = query.where(Report.neighbourhood_id == neighbourhood_id)
    return list(db.session.scalars(query.order_by(Report.created_at).limit(limit)))


def change_status(report: Report, status: str, note: str, *, not_ours_service: str = "",
                  merged_into: Report | None = None, now: datetime | None = None,
                  by_user: Any = None) -> ReportUpdate:
    """Record the new status and its public note, then tell the report's people (``by_user``,
    the agent who made the change, is not told)."""
    now = now or utcnow()
    if status not in STATUSES:
        raise ReportError(_("Unknown status."))
    if status == "not_ours" and not not_ours_service.strip():
        raise ReportError(_("Say which service handles it: a report is never just “not ours”."))
    if status == "merged":
        if merged_into is None or merged_into.id == report.id or merged_into.territory_id != report.territory_id:
            raise ReportError(_("Choose the report it duplicates."))
        report.merged_into_id = merged_into.id
        for user_id in concerned(report):  # its people now follow the report it joins
            if user_id != merged_into.reporter_id and not db.session.get(ReportFollower, (merged_into.id, user_id)):
                db.session.add(ReportFollower(report_id=merged_into.id, user_id=user_id))
    report.status = status
    report.not_ours_service = not_ours_service.strip()[:200] if status == "not_ours" else ""
    report.updated_at = now
    report.closed_at = now if status not in OPEN_STATUSES else None
    update = ReportUpdate(report_id=report.id, status=status, note=note.strip()[:2000], by="service", created_at=now)
    db.session.add(update)
    report_status_changed.send(report, status=status)
    db.session.commit()
    notify.tell(report, _others(report, by_user),
                lambda: (notify.status_title(report, status_label(status)), _status_body(report, status, update.note)),
                now)
    return update


def _status_body(report: Report, status: str, note: str) -> str:
    """The public note, with where the report went when it is not for this service or merged."""
    lines = [note] if note else []
    if status == "not_ours" and report.not_ours_service:
        lines.append(_("Handled by: %(service)s", service=report.not_ours_service))
    if status == "merged" and report.merged_into_id:
        lines.append(_("Followed from now on as report #%(number)d.", number=report.merged_into_id))
    return "\n".join(lines)


def _others(report: Report, user: Any) -> list[int]:
    """The report's people, minus the person who acted."""
    acting = getattr(user, "id", None)
    return [user_id for user_id in concerned(report) if user_id != acting]


def may_reopen(report: Report, user: Any, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (report.status == "resolved" and report.closed_at is not None
            and report.closed_at >= now - timedelta(days=REOPEN_DAYS)
            and getattr(user, "is_authenticated", False)
            and (report.reporter_id == user.id or is_follower(report, user)))


def reopen(report: Report, user: User, note: str, now: datetime | None = None) -> None:
    now = now or utcnow()
    if not may_reopen(report, user, now):
        raise ReportError(_("Only its reporter or a follower can reopen a resolved report, within %(days)d days.",
                            days=REOPEN_DAYS))
    report.status = "received"
    report.closed_at = None
    report.updated_at = now
    report.expected_by = now + timedelta(days=report.category.expected_days)
    by = "reporter" if report.reporter_id == user.id else "follower"
    db.session.add(ReportUpdate(report_id=report.id, status="reopened", note=note.strip()[:2000], by=by, created_at=now))
    db.session.commit()
    notify.tell(report, _others(report, user), lambda: (notify.reopened_title(report), note.strip()), now)


def write(report: Report, from_service: bool, author: User, body: str) -> ReportMessage:
    """A message of the private thread: from the service to the reporter's inbox, or back."""
    body = body.strip()
    if not body:
        raise ReportError(_("Please write a message."))
    message = ReportMessage(report_id=report.id, from_service=from_service, author_id=author.id, body=body[:4000])
    db.session.add(message)
    if from_service and report.reporter_id:
        db.session.add(InboxItem(user_id=report.reporter_id, territory_id=report.territory_id, kind="report",
                                 title=_("A message about your report “%(category)s”", category=report.category.name)[:120],
                                 body=body[:2000], url=f"/reports/{report.id}"))
    db.session.commit()
    return message


def thread(report: Report) -> list[ReportMessage]:
    return list(db.session.scalars(select(ReportMessage).where(ReportMessage.report_id == report.id)
                                   .order_by(ReportMessage.created_at, ReportMessage.id)))


def history(report: Report) -> list[ReportUpdate]:
    return list(db.session.scalars(select(ReportUpdate).where(ReportUpdate.report_id == report.id)
                                   .order_by(ReportUpdate.created_at, ReportUpdate.id)))


def in_area(territory: Territory, south: float, west: float, north: float, east: float, *,
            status: str = "", limit: int = 500) -> list[Report]:
    """Reports in a box (a map's view), newest first; merged ones left out, and those without
    a point (they are in no box)."""
    query = select(Report).where(
        Report.territory_id == territory.id, Report.lat.between(south, north), Report.lon.between(west, east),
        Report.status != "merged",
    )
    if status == "open":
        query = query.where(Report.status.in_(OPEN_STATUSES))
    elif status in STATUSES:
        query = query.where(Report.status == status)
    return list(db.session.scalars(query.order_by(Report.created_at.desc()).limit(limit)))


def outbox_owner(user_id: int) -> str:
    """The opaque name under which a phone keeps a person's reports made offline
    (static/js/reports-outbox.js): the same person, the same name, so that a phone sends only
    its owner's reports; nothing a reader could turn back into an id."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, f"reports-outbox:{user_id}".encode(), hashlib.sha256).hexdigest()[:24]
