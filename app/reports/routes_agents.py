"""Street reports, the town's side: the town admin keeps the categories (each with the service
that handles it and its expected time); the service's agents, acting as their town service,
work its queue: assign, change the status with a public note, merge duplicates, approve photos
and answer the reporter through the platform. An agent never sees who the reporter is: pages
say "the reporter", never a name, an e-mail or a phone."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app.accounts.permissions import town_admin_required
from app.actors.roles import actor_role_required
from app.extensions import db
from app.geo import PlaceError, parse_point
from app.htmx import fragment_or_see_other, render, see_other
from app.models_common import utcnow
from app.reports import bp, services
from app.reports import services_agents as agents
from app.reports.forms_agents import (
    AssignForm,
    CategoryForm,
    PhotoForm,
    PlaceForm,
    ReplyForm,
    StatusForm,
)
from app.reports.models import STATUSES, Report, ReportCategory
from app.reports.permissions_agents import service_or_404, service_report_or_404
from app.territories.context import current_territory, get_scoped_or_404, scoped
from app.territories.models import Neighbourhood
from app.territories.services import in_territory

QUEUE_LIMIT = 200

# --- the categories (the town admin) -------------------------------------------------------------


@bp.route("/admin/reports/categories", methods=["GET", "POST"])
@town_admin_required
def admin_categories() -> Response:
    territory = current_territory()
    form = _category_form()
    status = 200
    if request.method == "POST":
        fields = _checked_category(form)
        if fields is not None:
            category = agents.save_category(territory, fields)
            flash(_("%(name)s is added.", name=category.name), "success")
            return see_other("reports.admin_categories")
        status = 422
    return render("reports/agents_categories.html", form=form, categories=agents.all_categories(territory),
                  status=status)


@bp.route("/admin/reports/categories/<int:category_id>", methods=["GET", "POST"])
@town_admin_required
def admin_category_edit(category_id: int) -> Response:
    category = get_scoped_or_404(ReportCategory, category_id)
    form = _category_form()
    if request.method == "GET":
        form.process(data={
            "name": category.name, "description": category.description, "service_code": category.service_code,
            "service_actor_id": category.service_actor_id, "expected_days": category.expected_days,
        })
        return render("reports/agents_category_edit.html", form=form, category=category)
    fields = _checked_category(form, category)
    if fields is None:
        return render("reports/agents_category_edit.html", form=form, category=category, status=422)
    agents.save_category(current_territory(), fields, category)
    flash(_("%(name)s is saved.", name=category.name), "success")
    return see_other("reports.admin_categories")


@bp.post("/admin/reports/categories/<int:category_id>/deactivate")
@town_admin_required
def admin_category_deactivate(category_id: int) -> Response:
    return _set_category_active(category_id, False)


@bp.post("/admin/reports/categories/<int:category_id>/reactivate")
@town_admin_required
def admin_category_reactivate(category_id: int) -> Response:
    return _set_category_active(category_id, True)


def _set_category_active(category_id: int, active: bool) -> Response:
    category = get_scoped_or_404(ReportCategory, category_id)
    agents.set_category_active(category, active)
    return fragment_or_see_other("reports/_agents_category_row.html", "reports.admin_categories", category=category)


def _category_form() -> CategoryForm:
    form = CategoryForm()
    form.service_actor_id.choices = [("", _("No service yet"))] + [
        (str(actor.id), actor.name) for actor in agents.town_services(current_territory())]
    return form


def _checked_category(form: CategoryForm, category: ReportCategory | None = None) -> agents.CategoryFields | None:
    """The form's fields once every check passed, each problem put on its field."""
    territory = current_territory()
    valid = form.validate_on_submit()
    code = (form.service_code.data or "") or agents.default_service_code(form.name.data or "")
    checks = [
        (form.service_code, agents.service_code_problem(territory, code, category)),
        (form.service_actor_id, agents.service_actor_problem(territory, form.service_actor_id.data)),
    ]
    for field, problem in checks:
        if problem:
            field.errors = [*field.errors, problem]
            valid = False
    if not valid:
        return None
    return agents.CategoryFields(
        name=form.name.data, description=form.description.data or "", service_code=code,
        service_actor_id=form.service_actor_id.data, expected_days=form.expected_days.data,
    )


# --- the service's queue (its agents) ----------------------------------------------------------------


@bp.get("/manage/reports")
@actor_role_required()
def agent_queue() -> Response:
    territory = current_territory()
    actor = service_or_404()
    categories = agents.handled_categories(actor)
    neighbourhoods = list(db.session.scalars(scoped(Neighbourhood).order_by(Neighbourhood.name)))
    chosen = {
        "category": _chosen_id(request.args.get("category"), {c.id for c in categories}),
        "neighbourhood": _chosen_id(request.args.get("neighbourhood"), {n.id for n in neighbourhoods}),
        "status": request.args.get("status") if request.args.get("status") in agents.QUEUE_STATUSES else "open",
    }
    now = utcnow()
    reports = services.queue(territory, [actor.id], category_id=chosen["category"],
                             neighbourhood_id=chosen["neighbourhood"], status=chosen["status"], now=now,
                             limit=QUEUE_LIMIT)
    return render("reports/agents_queue.html", "reports/_agents_queue_list.html", reports=reports,
                  categories=categories, neighbourhoods=neighbourhoods, chosen=chosen, now=now,
                  statuses=_queue_status_choices(), unread=agents.with_unread_answers([r.id for r in reports]),
                  hood_names={n.id: n.name for n in neighbourhoods}, status_label=services.status_label,
                  queue_limit=QUEUE_LIMIT)


def _chosen_id(raw: str | None, allowed: set[int]) -> int | None:
    try:
        value = int(raw or "")
    except ValueError:
        return None
    return value if value in allowed else None


def _queue_status_choices() -> list[tuple[str, str]]:
    return [("open", _("Open")), ("overdue", _("Overdue"))] + [
        (status, services.status_label(status)) for status in STATUSES] + [("all", _("All"))]


# --- one report -----------------------------------------------------------------------------------


@bp.get("/manage/reports/<int:report_id>")
@actor_role_required()
def agent_report(report_id: int) -> Response:
    report = service_report_or_404(report_id)
    agents.mark_answers_read(report)
    return _report_page(report)


@bp.post("/manage/reports/<int:report_id>/assign")
@actor_role_required()
def agent_assign(report_id: int) -> Response:
    report = service_report_or_404(report_id)
    form = _assign_form(report, posted=True)
    if not form.validate_on_submit():
        return _report_page(report, assign_form=form, status=422)
    try:
        agents.assign(report, service_or_404(), form.agent_id.data)
    except services.ReportError as error:
        form.agent_id.errors = [*form.agent_id.errors, str(error)]
        return _report_page(report, assign_form=form, status=422)
    flash(_("The report is assigned."), "success")
    return see_other("reports.agent_report", report_id=report.id)


@bp.post("/manage/reports/<int:report_id>/status")
@actor_role_required()
def agent_status(report_id: int) -> Response:
    report = service_report_or_404(report_id)
    form = _status_form(report, posted=True)
    if not form.validate_on_submit():
        return _report_page(report, status_form=form, status=422)
    merged_into = None
    if form.status.data == "merged" and form.merged_into.data is not None:
        merged_into = next((other for other in agents.merge_targets(current_territory(), report)
                            if other.id == form.merged_into.data), None)
    try:
        services.change_status(report, form.status.data, form.note.data or "",
                               not_ours_service=form.not_ours_service.data or "", merged_into=merged_into,
                               by_user=current_user)
    except services.ReportError as error:
        db.session.rollback()
        field = {"not_ours": form.not_ours_service, "merged": form.merged_into}.get(form.status.data, form.status)
        field.errors = [*field.errors, str(error)]
        return _report_page(report, status_form=form, status=422)
    flash(_("The status is changed; the reporter and the followers are told."), "success")
    return see_other("reports.agent_report", report_id=report.id)


@bp.post("/manage/reports/<int:report_id>/place")
@actor_role_required()
def agent_place(report_id: int) -> Response:
    """Put on the map a report placed by its address alone (or move its point)."""
    report = service_report_or_404(report_id)
    form = PlaceForm()
    if form.validate_on_submit():
        territory = current_territory()
        try:
            lat, lon = parse_point(form.lat.data, form.lon.data)
        except PlaceError as error:
            form.lat.errors = [*form.lat.errors, str(error)]
        else:
            if in_territory(territory, lat, lon):
                services.place_report(report, lat, lon)
                flash(_("The report is on the map."), "success")
                return see_other("reports.agent_report", "#place", report_id=report.id)
            form.lat.errors = [*form.lat.errors, _("This point is outside %(town)s.", town=territory.name)]
    return _report_page(report, place_form=form, status=422)


@bp.post("/manage/reports/<int:report_id>/reply")
@actor_role_required()
def agent_reply(report_id: int) -> Response:
    report = service_report_or_404(report_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        return _report_page(report, reply_form=form, status=422)
    try:
        services.write(report, True, current_user._get_current_object(), form.body.data)  # type: ignore[attr-defined]
    except services.ReportError as error:
        form.body.errors = [*form.body.errors, str(error)]
        return _report_page(report, reply_form=form, status=422)
    flash(_("Your message is sent to the reporter’s inbox."), "success")
    return see_other("reports.agent_report", "#thread", report_id=report.id)


@bp.post("/manage/reports/<int:report_id>/photos/approve")
@actor_role_required()
def agent_photo_approve(report_id: int) -> Response:
    report = service_report_or_404(report_id)
    form = PhotoForm()
    if not form.validate_on_submit() or not agents.approve_photo(report, form.photo_id.data):
        abort(404)
    return fragment_or_see_other("reports/_agents_photos.html", "reports.agent_report",
                                 _("The photo is public."), report=report, photo_form=PhotoForm(formdata=None))


def _assign_form(report: Report, posted: bool = False) -> AssignForm:
    form = AssignForm() if posted else AssignForm(formdata=None, data={"agent_id": report.assigned_to_id})
    me = current_user.id
    form.agent_id.choices = [("", _("Nobody"))] + [
        (str(agent.id), _("Me") if agent.id == me else (agent.display_name or agent.email))
        for agent in agents.agents_of(service_or_404())]
    return form


def _status_form(report: Report, posted: bool = False) -> StatusForm:
    form = StatusForm() if posted else StatusForm(formdata=None, data={"status": report.status})
    form.status.choices = [(status, services.status_label(status)) for status in STATUSES]
    form.merged_into.choices = [("", _("Choose the report it duplicates"))] + [
        (str(other.id), _merge_label(other)) for other in agents.merge_targets(current_territory(), report)]
    return form


def _merge_label(other: Report) -> str:
    place = other.address or (f"{other.lat:.4f}, {other.lon:.4f}" if other.has_point else "")
    return _("No. %(id)d, %(place)s (%(status)s)", id=other.id, place=place, status=services.status_label(other.status))


def _report_page(report: Report, status: int = 200, **forms: Any) -> Response:
    forms.setdefault("assign_form", _assign_form(report))
    forms.setdefault("status_form", _status_form(report))
    forms.setdefault("reply_form", ReplyForm(formdata=None))
    forms.setdefault("place_form", PlaceForm(formdata=None, data={
        "lat": f"{report.lat:.5f}" if report.lat is not None else "",
        "lon": f"{report.lon:.5f}" if report.lon is not None else ""}))
    now = utcnow()
    merged_into = db.session.get(Report, report.merged_into_id) if report.merged_into_id else None
    neighbourhood = db.session.get(Neighbourhood, report.neighbourhood_id) if report.neighbourhood_id else None
    return render("reports/agents_report.html", report=report, now=now, history=services.history(report),
                  thread=services.thread(report), photo_form=PhotoForm(formdata=None), merged_into=merged_into,
                  neighbourhood=neighbourhood, status_label=services.status_label, status=status, **forms)
