"""The town's webhook endpoints, under /admin/webhooks: every view runs after
``require_territory_admin``; an endpoint of another territory is a 404."""

from __future__ import annotations

from flask import flash, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from app.admin.permissions import require_territory_admin
from app.htmx import render, see_other
from app.territories.context import current_territory, get_scoped_or_404
from app.webhooks import bp, services
from app.webhooks.forms import (
    EVENT_LABELS,
    EndpointEventsForm,
    EndpointForm,
    disabled_reason_label,
    failure_label,
    refusal_label,
)
from app.webhooks.models import WebhookEndpoint

bp.before_request(require_territory_admin)


@bp.get("/admin/webhooks")
def index() -> Response:
    return render("webhooks/index.html", endpoints=services.endpoints(current_territory()),
                  event_labels=EVENT_LABELS, disabled_reason_label=disabled_reason_label)


@bp.route("/admin/webhooks/new", methods=["GET", "POST"])
def new() -> Response:
    form = EndpointForm()
    if request.method == "GET":
        return render("webhooks/new.html", form=form)
    if not form.validate_on_submit():
        return render("webhooks/new.html", form=form, status=422)
    try:
        endpoint = services.create_endpoint(current_territory(), form.url.data, form.description.data or "",
                                            list(form.events.data or []))
    except services.EndpointRefused as refused:
        form.url.errors = [refusal_label(str(refused))]
        return render("webhooks/new.html", form=form, status=422)
    # The secret is shown in this answer only, never again (a new one comes with "rotate").
    return render("webhooks/secret.html", endpoint=endpoint, secret=endpoint.secret)


@bp.route("/admin/webhooks/<int:endpoint_id>", methods=["GET", "POST"])
def show(endpoint_id: int) -> Response:
    endpoint = get_scoped_or_404(WebhookEndpoint, endpoint_id)
    if request.method == "GET":
        form = EndpointEventsForm(data={"description": endpoint.description, "events": endpoint.events})
    else:
        form = EndpointEventsForm()
        if form.validate_on_submit():
            services.update_endpoint(endpoint, form.description.data or "", list(form.events.data or []))
            flash(_("The endpoint’s events are saved."), "success")
            return see_other("webhooks.show", endpoint_id=endpoint.id)
    page = services.delivery_log(endpoint, request.args.get("page", 1, type=int) or 1)
    return render("webhooks/show.html", endpoint=endpoint, form=form, log=page,
                  disabled_reason_label=disabled_reason_label, failure_label=failure_label,
                  status=422 if form.errors else 200)


@bp.post("/admin/webhooks/<int:endpoint_id>/rotate")
def rotate(endpoint_id: int) -> Response:
    endpoint = get_scoped_or_404(WebhookEndpoint, endpoint_id)
    secret = services.rotate_secret(endpoint)
    return render("webhooks/secret.html", endpoint=endpoint, secret=secret, rotated=True)


@bp.post("/admin/webhooks/<int:endpoint_id>/test")
def test(endpoint_id: int) -> Response:
    endpoint = get_scoped_or_404(WebhookEndpoint, endpoint_id)
    if not endpoint.active:
        flash(_("Re-enable the endpoint before sending it a test event."), "error")
        return see_other("webhooks.show", endpoint_id=endpoint.id)
    services.send_test_event(endpoint)
    flash(_("A test event is on its way: its delivery shows in the log below."), "success")
    return see_other("webhooks.show", endpoint_id=endpoint.id)


@bp.post("/admin/webhooks/<int:endpoint_id>/enable")
def enable(endpoint_id: int) -> Response:
    endpoint = get_scoped_or_404(WebhookEndpoint, endpoint_id)
    try:
        services.enable(endpoint)
    except services.EndpointRefused as refused:
        flash(refusal_label(str(refused)), "error")
    else:
        flash(_("The endpoint receives events again."), "success")
    return see_other("webhooks.show", endpoint_id=endpoint.id)


@bp.post("/admin/webhooks/<int:endpoint_id>/delete")
def delete(endpoint_id: int) -> Response:
    endpoint = get_scoped_or_404(WebhookEndpoint, endpoint_id)
    services.delete_endpoint(endpoint)
    flash(_("The endpoint is deleted."), "success")
    return see_other("webhooks.index")
