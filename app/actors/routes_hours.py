"""The actor's exceptions to its opening hours: holidays and special days, added and removed on
its hours page (the weekly hours stay on the page's edit form)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, flash, g
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from app.actors import bp, hours
from app.actors.forms import ReturningConfirmForm
from app.actors.hours_forms import HoursExceptionForm
from app.actors.models import Actor
from app.actors.roles import actor_role_required
from app.actors.sections import page_part
from app.extensions import db
from app.htmx import render, see_other
from app.models_common import utcnow
from app.territories.context import current_territory
from app.territories.models import Territory
from app.timezones import local_date

# The public page lists the holidays and special days of the coming weeks under its hours.
SHOWN_AHEAD = timedelta(days=45)


@page_part
def _coming_exceptions(actor: Actor) -> dict[str, Any]:
    territory = db.session.get(Territory, actor.territory_id)
    today = local_date(utcnow(), territory.timezone if territory else "Europe/Paris")
    coming = [e for e in hours.upcoming_exceptions(actor, today) if e.starts_on <= today + SHOWN_AHEAD]
    return {"hours_exceptions": coming[:6]}


def _hours_page(form: HoursExceptionForm, status: int = 200) -> Response:
    actor = g.actor
    today = local_date(utcnow(), current_territory().timezone)
    return render(
        "actors/hours.html", form=form, actor=actor, status=status,
        exceptions=hours.upcoming_exceptions(actor, today), remove_form=ReturningConfirmForm(),
    )


@bp.get("/manage/hours")
@actor_role_required()
def hours_page() -> Response:
    return _hours_page(HoursExceptionForm())


@bp.post("/manage/hours/exceptions")
@actor_role_required()
def add_hours_exception() -> Response:
    form = HoursExceptionForm()
    if not form.validate_on_submit():
        return _hours_page(form, status=422)
    hours.add_exception(
        g.actor, form.starts_on.data, form.ends_on.data or form.starts_on.data,
        form.label.data or "", form.special_hours(),
    )
    flash(_("The exception is saved."), "success")
    return see_other("actors.hours_page")


@bp.post("/manage/hours/exceptions/<int:exception_id>/delete")
@actor_role_required()
def remove_hours_exception(exception_id: int) -> Response:
    if hours.exception_of(g.actor, exception_id) is None:
        abort(404)
    if not ReturningConfirmForm().validate_on_submit():
        abort(400)
    hours.remove_exception(g.actor, exception_id)
    flash(_("The exception is removed."), "success")
    return see_other("actors.hours_page")
