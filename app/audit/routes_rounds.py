"""The commerce audit's rounds (/audit): the town's admins and the accounts they invited walk
the journey a step per page, see the heat map, build the action plan and download it. The
steps, the invitations and the comparison's opt-in are the admins' alone. Every object is
looked up in the request's territory: another town's is a 404."""

from __future__ import annotations

from decimal import Decimal

from flask import abort, flash, make_response, request, url_for
from flask_babel import force_locale, format_date, format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from app.admin.permissions import is_territory_admin, require_territory_admin
from app.audit import bp
from app.audit import exports_rounds as exports
from app.audit import indicators_rounds as indicators
from app.audit import services_rounds as services
from app.audit.forms_rounds import (
    ACTION_STATUS_LABELS,
    NOT_ASSESSED,
    ROUND_STATUS_LABELS,
    ActionForm,
    AttachmentForm,
    CompareForm,
    InviteForm,
    RoundForm,
    StepAssessmentForm,
    StepNameForm,
)
from app.audit.journey import ANGLES, MATURITY
from app.audit.models_rounds import AuditAction, AuditInvitation, AuditRound, AuditStep
from app.audit.permissions import audit_editors_only
from app.forms import ConfirmForm
from app.htmx import render, see_other
from app.models_common import utcnow
from app.territories.context import current_territory, get_scoped_or_404
from app.timezones import local_date


def _round_or_404(round_id: int) -> AuditRound:
    return get_scoped_or_404(AuditRound, round_id)


def _common() -> dict[str, object]:
    return {"angles": ANGLES, "maturity": MATURITY, "round_statuses": ROUND_STATUS_LABELS,
            "action_statuses": ACTION_STATUS_LABELS, "is_admin": is_territory_admin(current_user),
            "indicator_name": indicators.name_of, "maturity_label": services.maturity_label,
            "format_date": format_date, "format_decimal": format_decimal,
            "angles_by_code": {code: name for code, name, _hint in ANGLES}}


# --- the rounds -------------------------------------------------------------------------------------


@bp.get("/audit")
@audit_editors_only
def index() -> Response:
    territory = current_territory()
    return render("audit/rounds_index.html", rounds=services.rounds(territory), form=RoundForm(data={"held_on": local_date(utcnow(), territory)}),
                  compare_form=CompareForm(data={"compare": services.compares(territory)}),
                  minimum=services.COMPARISON_MIN_TOWNS, **_common())


@bp.post("/audit/rounds")
@audit_editors_only
def create_round() -> Response:
    territory = current_territory()
    form = RoundForm()
    if not form.validate_on_submit():
        return render("audit/rounds_index.html", rounds=services.rounds(territory), form=form,
                      compare_form=CompareForm(data={"compare": services.compares(territory)}),
                      minimum=services.COMPARISON_MIN_TOWNS, status=422, **_common())
    audit_round = services.create_round(territory, form.title.data or "", form.held_on.data or local_date(utcnow(), territory))
    first = services.round_steps(audit_round)
    if not first:
        return see_other("audit.round_page", round_id=audit_round.id)
    return see_other("audit.step_page", round_id=audit_round.id, step_id=first[0].id)


@bp.get("/audit/rounds/<int:round_id>")
@audit_editors_only
def round_page(round_id: int) -> Response:
    audit_round = _round_or_404(round_id)
    found = services.scores(audit_round)
    steps = [(step, services.step_is_assessed(step, found)) for step in services.round_steps(audit_round)]
    done, total = services.progress(audit_round)
    return render("audit/rounds_round.html", round=audit_round, steps=steps, done=done, total=total,
                  confirm=ConfirmForm(), **_common())


def _assessment_form(audit_round: AuditRound, step: AuditStep) -> StepAssessmentForm:
    found = services.scores(audit_round)
    data = {}
    for code, _name, _hint in ANGLES:
        score = found.get((step.id, code))
        data[f"{code}_maturity"] = str(score.maturity) if score and score.maturity is not None else NOT_ASSESSED
        data[f"{code}_evidence"] = score.evidence if score else ""
        data[f"{code}_notes"] = score.notes if score else ""
    return StepAssessmentForm(data=data)


def _step_context(audit_round: AuditRound, step: AuditStep) -> dict[str, object]:
    steps = services.round_steps(audit_round)
    index = steps.index(step)
    done, total = services.progress(audit_round)
    return {"round": audit_round, "step": step, "position": index + 1, "total": total, "done": done,
            "previous_step": steps[index - 1] if index else None,
            "next_step": steps[index + 1] if index + 1 < len(steps) else None,
            "attachments": services.attachments(audit_round, step), "attachment_form": AttachmentForm(),
            **_common()}


@bp.route("/audit/rounds/<int:round_id>/steps/<int:step_id>", methods=["GET", "POST"])
@audit_editors_only
def step_page(round_id: int, step_id: int) -> Response:
    audit_round = _round_or_404(round_id)
    step = services.round_step(audit_round, step_id)
    if step is None:
        abort(404)
    if request.method == "GET" or audit_round.status == "completed":
        if request.method == "POST":
            flash(_("This round is completed: reopen it to change it."), "error")
        return render("audit/rounds_step.html", form=_assessment_form(audit_round, step), **_step_context(audit_round, step))
    form = StepAssessmentForm()
    if not form.validate_on_submit():
        return render("audit/rounds_step.html", form=form, status=422, **_step_context(audit_round, step))
    assessments = {}
    for code, _name, _hint in ANGLES:
        raw = form[f"{code}_maturity"].data
        assessments[code] = services.Assessment(
            None if raw in (None, "", NOT_ASSESSED) else int(raw),
            form[f"{code}_evidence"].data or "", form[f"{code}_notes"].data or "")
    services.save_step(audit_round, step, assessments)
    done, total = services.progress(audit_round)
    flash(_("Saved: %(done)d of %(total)d steps assessed.", done=done, total=total), "success")
    context = _step_context(audit_round, step)
    following = context["next_step"]
    if request.form.get("then") == "next" and isinstance(following, AuditStep):
        return see_other("audit.step_page", round_id=audit_round.id, step_id=following.id)
    if request.form.get("then") == "next":
        return see_other("audit.round_page", round_id=audit_round.id)
    return see_other("audit.step_page", round_id=audit_round.id, step_id=step.id)


@bp.post("/audit/rounds/<int:round_id>/steps/<int:step_id>/attachments")
@audit_editors_only
def add_attachment(round_id: int, step_id: int) -> Response:
    audit_round = _round_or_404(round_id)
    step = services.round_step(audit_round, step_id)
    if step is None:
        abort(404)
    form = AttachmentForm()
    if not form.validate_on_submit():
        flash(_("Choose a file to attach."), "error")
    else:
        try:
            services.add_attachment(audit_round, step, form.file.data)
            flash(_("File attached."), "success")
        except services.AttachmentError as error:
            flash(str(error), "error")
    return see_other("audit.step_page", round_id=audit_round.id, step_id=step.id)


@bp.get("/audit/rounds/<int:round_id>/attachments/<int:attachment_id>")
@audit_editors_only
def attachment(round_id: int, attachment_id: int) -> Response:
    found = services.attachment_of(_round_or_404(round_id), attachment_id)
    if found is None:
        abort(404)
    response = make_response(found.data)
    response.mimetype = found.content_type
    response.headers["Content-Disposition"] = f'attachment; filename="{_ascii(found.filename)}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _ascii(name: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in name) or "file"


@bp.post("/audit/rounds/<int:round_id>/complete")
@audit_editors_only
def complete_round(round_id: int) -> Response:
    audit_round = _round_or_404(round_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    gaps = services.complete(audit_round)
    if gaps:
        listed = "; ".join(f"{step.label} ({', '.join(angles)})" for step, angles in gaps)
        flash(_("The round cannot be completed yet: assess every step under every angle. Missing: %(missing)s",
                missing=listed), "error")
        return see_other("audit.round_page", round_id=audit_round.id)
    flash(_("Round completed."), "success")
    return see_other("audit.heat_map_page", round_id=audit_round.id)


@bp.post("/audit/rounds/<int:round_id>/reopen")
@audit_editors_only
def reopen_round(round_id: int) -> Response:
    audit_round = _round_or_404(round_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.reopen(audit_round)
    return see_other("audit.round_page", round_id=audit_round.id)


# --- the heat map and the plan ----------------------------------------------------------------------


@bp.get("/audit/rounds/<int:round_id>/heat-map")
@audit_editors_only
def heat_map_page(round_id: int) -> Response:
    audit_round = _round_or_404(round_id)
    territory = current_territory()
    return render("audit/rounds_heat_map.html", round=audit_round, heat=services.heat_map(audit_round),
                  comparison=services.comparison(territory), minimum=services.COMPARISON_MIN_TOWNS,
                  actions=services.actions(audit_round), **_common())


def _action_form(audit_round: AuditRound, **kwargs: object) -> ActionForm:
    form = ActionForm(**kwargs)  # type: ignore[arg-type]
    form.step_id.choices = [SelectChoice(step.id, step.label) for step in services.round_steps(audit_round)]
    return form


def _action_fields(form: ActionForm) -> services.ActionFields:
    budget = form.budget_eur.data
    return services.ActionFields(
        step_id=form.step_id.data, angle=form.angle.data or "", title=form.title.data or "",
        description=form.description.data or "", owner=form.owner.data or "",
        budget_eur=float(budget) if isinstance(budget, Decimal | int | float) else None,
        due_on=form.due_on.data, status=form.status.data or "planned", indicator=form.indicator.data or "")


@bp.get("/audit/rounds/<int:round_id>/actions")
@audit_editors_only
def actions_page(round_id: int) -> Response:
    audit_round = _round_or_404(round_id)
    territory = current_territory()
    plan = [(action, indicators.read(territory, action.indicator) if action.indicator else None)
            for action in services.actions(audit_round)]
    steps = {step.id: step for step in services.round_steps(audit_round)}
    return render("audit/rounds_actions.html", round=audit_round, plan=plan, steps=steps,
                  angle_names={code: name for code, name, _hint in ANGLES}, **_common())


@bp.route("/audit/rounds/<int:round_id>/actions/new", methods=["GET", "POST"])
@audit_editors_only
def new_action(round_id: int) -> Response:
    audit_round = _round_or_404(round_id)
    if request.method == "GET":
        data: dict[str, object] = {"status": "planned"}
        step_id = request.args.get("step", type=int)
        if step_id is not None and services.round_step(audit_round, step_id) is not None:
            data["step_id"] = step_id
        if request.args.get("angle") in services.ANGLE_CODES:
            data["angle"] = request.args["angle"]
        return render("audit/rounds_action_form.html", round=audit_round, form=_action_form(audit_round, data=data),
                      action=None, **_common())
    form = _action_form(audit_round)
    if not form.validate_on_submit():
        return render("audit/rounds_action_form.html", round=audit_round, form=form, action=None, status=422, **_common())
    services.add_action(audit_round, _action_fields(form))
    flash(_("Action added to the plan."), "success")
    return see_other("audit.actions_page", round_id=audit_round.id)


def _action_or_404(audit_round: AuditRound, action_id: int) -> AuditAction:
    action = get_scoped_or_404(AuditAction, action_id)
    if action.round_id != audit_round.id:
        abort(404)
    return action


@bp.route("/audit/rounds/<int:round_id>/actions/<int:action_id>", methods=["GET", "POST"])
@audit_editors_only
def edit_action(round_id: int, action_id: int) -> Response:
    audit_round = _round_or_404(round_id)
    action = _action_or_404(audit_round, action_id)
    if request.method == "GET":
        return render("audit/rounds_action_form.html", round=audit_round, form=_action_form(audit_round, obj=action),
                      action=action, confirm=ConfirmForm(), **_common())
    form = _action_form(audit_round)
    if not form.validate_on_submit():
        return render("audit/rounds_action_form.html", round=audit_round, form=form, action=action,
                      confirm=ConfirmForm(), status=422, **_common())
    services.update_action(action, _action_fields(form))
    flash(_("Action saved."), "success")
    return see_other("audit.actions_page", round_id=audit_round.id)


@bp.post("/audit/rounds/<int:round_id>/actions/<int:action_id>/delete")
@audit_editors_only
def delete_action(round_id: int, action_id: int) -> Response:
    audit_round = _round_or_404(round_id)
    action = _action_or_404(audit_round, action_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.delete_action(action)
    flash(_("Action removed from the plan."), "success")
    return see_other("audit.actions_page", round_id=audit_round.id)


# --- exports ----------------------------------------------------------------------------------------


def _download(body: bytes, media_type: str, filename: str) -> Response:
    response = make_response(body)
    response.mimetype = media_type
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/audit/rounds/<int:round_id>/export.<extension>")
@audit_editors_only
def export(round_id: int, extension: str) -> Response:
    audit_round = _round_or_404(round_id)
    territory = current_territory()
    if extension not in ("pdf", "xlsx"):
        abort(404)
    with force_locale(territory.default_language):
        report = exports.report_of(territory, audit_round)
        if extension == "pdf":
            return _download(exports.pdf(report), "application/pdf", f"audit-{audit_round.id}.pdf")
        return _download(exports.xlsx(report), exports.XLSX_TYPE, f"audit-{audit_round.id}.xlsx")


# --- the admins' own pages: steps, who takes part, the comparison -----------------------------------


@bp.route("/audit/steps", methods=["GET", "POST"])
def steps_page() -> Response:
    refused = require_territory_admin()
    if refused is not None:
        return refused  # type: ignore[return-value]
    territory = current_territory()
    form = StepNameForm()
    if request.method == "POST":
        if form.validate_on_submit():
            services.add_step(territory, form.name.data or "")
            flash(_("Step added."), "success")
            return see_other("audit.steps_page")
        return render("audit/rounds_steps.html", steps=services.steps(territory), form=form, confirm=ConfirmForm(),
                      status=422, **_common())
    return render("audit/rounds_steps.html", steps=services.steps(territory), form=StepNameForm(formdata=None),
                  confirm=ConfirmForm(), **_common())


@bp.post("/audit/steps/<int:step_id>")
def change_step(step_id: int) -> Response:
    """Rename, move up or down, retire or bring back a step (``change`` in the form)."""
    refused = require_territory_admin()
    if refused is not None:
        return refused  # type: ignore[return-value]
    territory = current_territory()
    step = get_scoped_or_404(AuditStep, step_id)
    change = request.form.get("change", "")
    if change == "rename":
        form = StepNameForm()
        if form.validate_on_submit():
            services.rename_step(step, form.name.data or "")
        else:
            flash(_("Give the step a name."), "error")
    elif change in ("up", "down", "retire", "restore"):
        if not ConfirmForm().validate_on_submit():
            abort(400)
        if change in ("up", "down"):
            services.move_step(territory, step, -1 if change == "up" else 1)
        else:
            services.set_retired(step, change == "retire")
    else:
        abort(400)
    return see_other("audit.steps_page")


@bp.route("/audit/people", methods=["GET", "POST"])
def people_page() -> Response:
    refused = require_territory_admin()
    if refused is not None:
        return refused  # type: ignore[return-value]
    territory = current_territory()
    form = InviteForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                services.invite(territory, form.email.data or "", url_for("audit.index", _external=True))
                flash(_("Invited: this account may now edit the town's audit rounds."), "success")
                return see_other("audit.people_page")
            except services.InvitationError as error:
                form.email.errors = [str(error)]
        status = 422
    else:
        form = InviteForm(formdata=None)
    return render("audit/rounds_people.html", form=form, invitations=services.invitations(territory),
                  confirm=ConfirmForm(), status=status, **_common())


@bp.post("/audit/people/<int:invitation_id>/revoke")
def revoke_invitation(invitation_id: int) -> Response:
    refused = require_territory_admin()
    if refused is not None:
        return refused  # type: ignore[return-value]
    invitation = get_scoped_or_404(AuditInvitation, invitation_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.revoke(invitation)
    flash(_("Invitation revoked."), "success")
    return see_other("audit.people_page")


@bp.post("/audit/comparison")
def comparison_choice() -> Response:
    refused = require_territory_admin()
    if refused is not None:
        return refused  # type: ignore[return-value]
    form = CompareForm()
    if not form.validate_on_submit():
        abort(400)
    services.set_compares(current_territory(), bool(form.compare.data))
    flash(_("Your choice is saved."), "success")
    return see_other("audit.index")
