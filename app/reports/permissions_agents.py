"""Who may do what on the town's side of street reports.

- The categories are the town admin's: an administrator of THIS territory
  (app.accounts.permissions.town_admin_required, the rule every town-admin page asks).
- A report is its service's: a member acting as the town service that handles its category
  (``g.actor``, set by app.actors.roles.actor_role_required). Any other report, another
  service's or another town's, is not found."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, g
from sqlalchemy import select

from app.actors.models import Actor
from app.extensions import db
from app.media.models import Media
from app.media.services import MediaUse
from app.reports.models import Report, ReportPhoto
from app.reports.services import is_agent
from app.reports.services_agents import handles_reports
from app.territories.context import current_territory, get_scoped_or_404

F = TypeVar("F", bound=Callable[..., Any])


def service_or_404() -> Actor:
    """The actor the person acts as, if it handles reports (a town service); any other actor
    has no queue."""
    actor: Actor = g.actor
    if actor.territory_id != current_territory().id or not handles_reports(actor):
        abort(404)
    return actor


def service_report_or_404(report_id: int) -> Report:
    """A report of a category the acting service handles; any other is not found."""
    report = get_scoped_or_404(Report, report_id)
    if report.category.service_actor_id != service_or_404().id:
        abort(404)
    return report


def photo_uses(media: Media) -> list[MediaUse]:
    """Where ``media`` is a report's photo: public once an agent approved it; before, seen by
    the reporter and the agents of the service that handles the report's category."""
    reports = db.session.scalars(select(Report).join(ReportPhoto, ReportPhoto.report_id == Report.id).where(
        Report.territory_id == media.territory_id, ReportPhoto.media_id == media.id))
    uses = []
    for report in reports:
        approved = any(photo.media_id == media.id and photo.approved for photo in report.photos)
        uses.append(MediaUse(public=approved, viewable_by=lambda user, r=report: bool(
            getattr(user, "is_authenticated", False) and (user.id == r.reporter_id or is_agent(user, r)))))
    return uses
