"""The town's side of street reports: the categories the town admin keeps (each with the town
service that handles it), and what the service's agents need beyond app.reports.services (the
agents of a service, assigning, approving a photo, the reports a duplicate may join, the
reporter's answers not yet read). Nothing here reads who the reporter is."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.accounts.models import User
from app.actors.models import MEMBER_ROLES, Actor, Membership
from app.extensions import db
from app.models_common import utcnow
from app.reports.models import OPEN_STATUSES, Report, ReportCategory, ReportMessage
from app.reports.services import ReportError, nearby_open
from app.territories.models import Territory
from app.territories.scoping import belongs, scoped
from app.text import slugify

SERVICE_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
# A duplicate's place is often given a street away from the first one's: the reports a report
# may be merged into are looked for wider than the reporter's "me too" hint (50 m).
MERGE_RADIUS_M = 300
HANDLING_KIND = "town_service"


# --- the categories (the town admin's) -------------------------------------------------------------


def town_services(territory: Territory) -> list[Actor]:
    """The actors that may handle a category: the town's own services."""
    return list(db.session.scalars(
        scoped(Actor, territory, Actor.kind == HANDLING_KIND).order_by(Actor.name)))


def all_categories(territory: Territory) -> list[ReportCategory]:
    """Every category, the active ones first, in the order the reporter sees them."""
    return list(db.session.scalars(scoped(ReportCategory, territory).order_by(
        ReportCategory.active.desc(), ReportCategory.position, ReportCategory.name)))


@dataclass
class CategoryFields:
    name: str
    description: str
    service_code: str
    service_actor_id: int | None
    expected_days: int


def service_code_problem(territory: Territory, code: str, category: ReportCategory | None = None) -> str | None:
    """Why ``code`` cannot name a category of this town (Open311's ``service_code``), or None."""
    if not SERVICE_CODE.match(code):
        return _("Lower-case letters, digits, “-” and “_” only (at most 40), e.g. pothole.")
    taken = db.session.scalar(select(ReportCategory.id).where(
        belongs(ReportCategory, territory), ReportCategory.service_code == code))
    if taken is not None and (category is None or taken != category.id):
        return _("Another category already has this code.")
    return None


def service_actor_problem(territory: Territory, actor_id: int | None) -> str | None:
    if actor_id is None:
        return None
    actor = db.session.get(Actor, actor_id) if 0 < actor_id < 2**31 else None
    if actor is None or actor.territory_id != territory.id or actor.kind != HANDLING_KIND:
        return _("Choose one of the town’s services.")
    return None


def default_service_code(name: str) -> str:
    return slugify(name, max_length=40)


def save_category(territory: Territory, fields: CategoryFields, category: ReportCategory | None = None) -> ReportCategory:
    """Create (``category`` None) or change a category; the caller checked the code and the
    service (``service_code_problem``, ``service_actor_problem``)."""
    if category is None:
        last = db.session.scalar(select(func.max(ReportCategory.position)).where(belongs(ReportCategory, territory)))
        category = ReportCategory(territory_id=territory.id, position=(last or 0) + 1, active=True)
        db.session.add(category)
    category.name = fields.name.strip()[:120]
    category.description = fields.description.strip()[:300]
    category.service_code = fields.service_code
    category.service_actor_id = fields.service_actor_id
    category.expected_days = fields.expected_days
    db.session.commit()
    return category


def set_category_active(category: ReportCategory, active: bool) -> None:
    """A deactivated category is no longer offered to reporters; its reports stay as they are."""
    category.active = active
    db.session.commit()


# --- the agents' side -----------------------------------------------------------------------------


def handles_reports(actor: Actor) -> bool:
    """Whether ``actor`` has a queue: a town service, or an actor some category names."""
    if actor.kind == HANDLING_KIND:
        return True
    return db.session.scalar(select(ReportCategory.id).where(
        ReportCategory.service_actor_id == actor.id).limit(1)) is not None


def handled_categories(actor: Actor) -> list[ReportCategory]:
    return list(db.session.scalars(scoped(ReportCategory, actor, ReportCategory.service_actor_id == actor.id)
                                   .order_by(ReportCategory.position, ReportCategory.name)))


def agents_of(actor: Actor) -> list[User]:
    """The service's members: the agents a report can be assigned to."""
    return list(db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.actor_id == actor.id, Membership.role.in_(MEMBER_ROLES))
        .order_by(User.display_name, User.id)))


def assign(report: Report, actor: Actor, agent_id: int | None) -> None:
    """Give the report to one of the service's agents (None: to nobody)."""
    if agent_id is not None and agent_id not in {agent.id for agent in agents_of(actor)}:
        raise ReportError(_("Choose one of the service’s agents."))
    report.assigned_to_id = agent_id
    db.session.commit()


def approve_photo(report: Report, photo_id: int) -> bool:
    """Show one of the report's photos to the public; False when it is not one of them."""
    for photo in report.photos:
        if photo.id == photo_id:
            photo.approved = True
            db.session.commit()
            return True
    return False


def merge_targets(territory: Territory, report: Report) -> list[Report]:
    """The open reports of the same category near this one, nearest first: the ones it may
    duplicate. One placed by its address alone has no "near": the open reports of its category
    with the same address then."""
    if report.lat is None or report.lon is None:
        same_address = db.session.scalars(select(Report).where(
            Report.territory_id == territory.id, Report.category_id == report.category_id,
            Report.status.in_(OPEN_STATUSES), Report.id != report.id,
            func.lower(Report.address) == report.address.strip().lower(), Report.address != "",
        ).order_by(Report.created_at.desc()).limit(10))
        return list(same_address)
    found = nearby_open(territory, report.category, report.lat, report.lon, radius_m=MERGE_RADIUS_M, limit=11)
    return [other for other, _distance in found if other.id != report.id][:10]


def with_unread_answers(report_ids: list[int]) -> set[int]:
    """Which of these reports have an answer of their reporter the service has not read."""
    if not report_ids:
        return set()
    return set(db.session.scalars(select(ReportMessage.report_id).where(
        ReportMessage.report_id.in_(report_ids), ReportMessage.from_service.is_(False),
        ReportMessage.read_at.is_(None)).distinct()))


def mark_answers_read(report: Report, now: datetime | None = None) -> None:
    """The reporter's answers are read once an agent opened the report."""
    unread = list(db.session.scalars(select(ReportMessage).where(
        ReportMessage.report_id == report.id, ReportMessage.from_service.is_(False),
        ReportMessage.read_at.is_(None))))
    if unread:
        for message in unread:
            message.read_at = now or utcnow()
        db.session.commit()


QUEUE_STATUSES = ("open", "overdue", *OPEN_STATUSES, "resolved", "not_ours", "merged", "all")
