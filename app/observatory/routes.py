"""The observatory of needs: the town admins' pages (every part) and the public page (the parts
the town publishes). Load → authorise → service → render; every figure is a release."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, flash, make_response, render_template, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from app.admin.permissions import require_territory_admin
from app.htmx import render, see_other
from app.observatory import bp, services
from app.observatory.forms import SECTION_LABELS, PublishingForm
from app.observatory.tables import Table
from app.releases.engine import Asker
from app.territories.context import current_territory


def admins_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """The territory's admins only: anonymous people are sent to log in, anybody else gets 403."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        refused = require_territory_admin()
        return refused if refused is not None else view(*args, **kwargs)

    return wrapped


def _csv(table: Table | None) -> Response:
    if table is None:
        abort(404)
    response = make_response("\ufeff" + table.csv())  # a byte-order mark: spreadsheets read UTF-8
    response.mimetype = "text/csv"
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="observatory-{table.id}.csv"'
    return response


def _readme(public: bool) -> Response:
    response = make_response(render_template("observatory/readme.txt", public=public,
                                             periods=services.PERIODS, months=services.MONTHS))
    response.mimetype = "text/plain"
    response.charset = "utf-8"
    return response


# --- the town's admins ----------------------------------------------------------------------------


@bp.get("/admin/observatory")
@admins_only
def admin_page() -> Response:
    territory = current_territory()
    days = services.period_of(request.args.get("days"))
    data = services.observatory(territory, Asker.town(territory), services.SECTIONS, days)
    form = PublishingForm(data={"sections": list(services.published_sections(territory))})
    return render("observatory/admin.html", data=data, days=days, periods=services.PERIODS, form=form,
                  public=False, published=services.published_sections(territory))


@bp.get("/admin/observatory/<table_id>.csv")
@admins_only
def admin_csv(table_id: str) -> Response:
    territory = current_territory()
    days = services.period_of(request.args.get("days"))
    return _csv(services.table(territory, Asker.town(territory), table_id, days))


@bp.get("/admin/observatory/readme.txt")
@admins_only
def admin_readme() -> Response:
    return _readme(public=False)


@bp.post("/admin/observatory/publishing")
@admins_only
def publishing() -> Response:
    territory = current_territory()
    form = PublishingForm()
    if not form.validate_on_submit():
        flash(_("The choice could not be saved: please try again."), "error")
        return see_other("observatory.admin_page", anchor="#publishing")
    services.set_published_sections(territory, form.sections.data or [])
    if services.published_sections(territory):
        flash(_("Published for everyone: %(parts)s.", parts=", ".join(
            str(SECTION_LABELS[s]) for s in services.published_sections(territory))), "success")
    else:
        flash(_("Nothing of the observatory is published."), "success")
    return see_other("observatory.admin_page", anchor="#publishing")


# --- everyone ---------------------------------------------------------------------------------------


def _published() -> tuple[str, ...]:
    sections = services.published_sections(current_territory())
    if not sections:
        abort(404)
    return sections


@bp.get("/observatory")
def public_page() -> Response:
    territory = current_territory()
    sections = _published()
    days = services.period_of(request.args.get("days"))
    data = services.observatory(territory, Asker.public(territory), sections, days)
    return render("observatory/public.html", data=data, days=days, periods=services.PERIODS, public=True)


@bp.get("/observatory/<table_id>.csv")
def public_csv(table_id: str) -> Response:
    territory = current_territory()
    if services.TABLES.get(table_id) not in _published():
        abort(404)
    days = services.period_of(request.args.get("days"))
    return _csv(services.table(territory, Asker.public(territory), table_id, days))


@bp.get("/observatory/readme.txt")
def public_readme() -> Response:
    _published()
    return _readme(public=True)
