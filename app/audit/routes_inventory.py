"""The data inventory's pages (/admin/audit/data): the town's sources (list by journey step, add,
edit, delete), the platform's own sources beside them, the coverage of the journey's steps, and
the CSV. Load → authorise (``audit_editors_only``) → service → render."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, make_response, request
from flask_babel import format_date
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from app.audit import bp
from app.audit import services_inventory as services
from app.audit.forms_inventory import DataSourceForm
from app.audit.journey import DEFAULT_STEPS
from app.audit.models_inventory import AuditDataSource
from app.audit.permissions import audit_editors_only
from app.forms import ConfirmForm
from app.htmx import render, see_other
from app.territories.context import current_territory


def _source_or_404(source_id: int) -> AuditDataSource:
    source = services.get_source(current_territory(), source_id)
    if source is None:
        abort(404)
    return source


def _labels() -> dict[str, Any]:
    return {"format_labels": services.FORMAT_LABELS, "freshness_labels": services.FRESHNESS_LABELS,
            "legal_labels": services.LEGAL_BASIS_LABELS, "step_label": services.step_label,
            "steps": DEFAULT_STEPS, "format_date": format_date}


@bp.get("/admin/audit/data")
@audit_editors_only
def inventory() -> Response:
    territory = current_territory()
    step = request.args.get("step", "")
    if step not in services.STEP_LABELS:
        step = ""
    platform = services.platform_sources(territory)
    if step:
        platform = [p for p in platform if step in p.steps]
    return render("audit/inventory_list.html", sources=services.town_sources(territory, step or None),
                  platform=platform, step=step, delete_form=ConfirmForm(), **_labels())


def _form_page(form: DataSourceForm, source: AuditDataSource | None, status: int = 200) -> Response:
    return render("audit/inventory_form.html", form=form, source=source, status=status, **_labels())


@bp.route("/admin/audit/data/new", methods=["GET", "POST"])
@audit_editors_only
def inventory_new() -> Response:
    form = DataSourceForm()
    if not form.validate_on_submit():
        return _form_page(form, None, 422 if request.method == "POST" else 200)
    source = services.save_source(current_territory(), form.data)
    flash(_("Source added: %(name)s.", name=source.name), "success")
    return see_other("audit.inventory", anchor=f"#source-{source.id}")


@bp.route("/admin/audit/data/<int:source_id>/edit", methods=["GET", "POST"])
@audit_editors_only
def inventory_edit(source_id: int) -> Response:
    source = _source_or_404(source_id)
    form = DataSourceForm(obj=source)
    if not form.validate_on_submit():
        return _form_page(form, source, 422 if request.method == "POST" else 200)
    services.save_source(current_territory(), form.data, source)
    flash(_("Source saved: %(name)s.", name=source.name), "success")
    return see_other("audit.inventory", anchor=f"#source-{source.id}")


@bp.post("/admin/audit/data/<int:source_id>/delete")
@audit_editors_only
def inventory_delete(source_id: int) -> Response:
    source = _source_or_404(source_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    name = source.name
    services.delete_source(source)
    flash(_("Source deleted: %(name)s.", name=name), "success")
    return see_other("audit.inventory")


@bp.get("/admin/audit/data/coverage")
@audit_editors_only
def inventory_coverage() -> Response:
    territory = current_territory()
    steps = services.coverage(territory, services.town_sources(territory), services.platform_sources(territory))
    return render("audit/inventory_coverage.html", coverage=steps, **_labels())


@bp.get("/admin/audit/data.csv")
@audit_editors_only
def inventory_csv() -> Response:
    response = make_response("\ufeff" + services.inventory_csv(current_territory()))  # spreadsheets read UTF-8
    response.mimetype = "text/csv"
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="audit-data-inventory.csv"'
    return response
