"""Embeddable pages for the town's own website: the agenda and an actor's news, made to be framed
by the sites the town allows (their own frame-ancestors; every other page keeps refusing to be
framed), a script (``/embed/widget.js``) that inserts such a frame and sizes it to its content,
and the town admin's page to choose the sites and copy the snippets."""

from __future__ import annotations

from datetime import timedelta

from flask import Response, abort, flash, g, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.admin.permissions import is_territory_admin, require_territory_admin
from app.api import services as api_services
from app.config import ROOT
from app.embed import bp, services
from app.embed.forms import EmbedSettingsForm
from app.htmx import render, see_other
from app.models_common import utcnow
from app.security import CSP
from app.territories.context import current_territory

AGENDA_DAYS = 30
AGENDA_SIZE = 30
NEWS_SIZE = 10
WIDGET_JS = ROOT / "static" / "js" / "embed-widget.js"


def _frameable(body: str) -> Response:
    """A page the allowed sites may frame: frame-ancestors names them (none: 'none'), and no
    X-Frame-Options, which would refuse every site."""
    origins = services.allowed_origins(current_territory())
    response = make_response(body)
    response.headers["Content-Security-Policy"] = services.frame_csp(CSP, origins)
    response.headers["Cache-Control"] = "public, max-age=60"
    response.vary.add("Accept-Language")
    g.frameable = bool(origins)
    return response


@bp.get("/embed/agenda")
def agenda() -> Response:
    territory, now = current_territory(), utcnow()
    found = api_services.event_occurrences(territory, now, now, now + timedelta(days=AGENDA_DAYS))
    return _frameable(render_template(
        "embed/agenda.html", occurrences=found[:AGENDA_SIZE], origins=services.allowed_origins(territory),
    ))


@bp.get("/embed/actors/<int:actor_id>/news")
def actor_news(actor_id: int) -> Response:
    territory, now = current_territory(), utcnow()
    actor = api_services.public_actor(territory, actor_id)
    if actor is None:
        abort(404)
    found = api_services.publications(territory, 0, NEWS_SIZE, now, actor=actor)
    return _frameable(render_template(
        "embed/actor_news.html", actor=actor, publications=found.items,
        origins=services.allowed_origins(territory),
    ))


@bp.get("/embed/widget.js")
def widget() -> Response:
    """The script a site includes: it may be loaded by any site (Cross-Origin-Resource-Policy:
    cross-origin); the frame it inserts is what the town's list of sites guards."""
    response = make_response(WIDGET_JS.read_bytes())
    response.mimetype = "text/javascript"
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


# --- the town admin's page ---------------------------------------------------------------------------


@bp.route("/admin/embedding", methods=["GET", "POST"])
def settings() -> Response:
    refused = require_territory_admin()
    if refused is not None:
        return refused  # type: ignore[return-value]
    territory = current_territory()
    form = EmbedSettingsForm() if request.method == "POST" else EmbedSettingsForm(
        data={"origins": "\n".join(services.allowed_origins(territory))})
    if form.validate_on_submit():
        origins, bad = services.parse_origins(form.origins.data or "")
        if bad:
            form.origins.errors = [*form.origins.errors, _(
                "Not a site address: %(lines)s. Write each as https://www.example.fr, without a path.",
                lines=", ".join(bad))]
        elif len(origins) > services.MAX_ORIGINS:
            form.origins.errors = [*form.origins.errors, _("At most %(max)d sites.", max=services.MAX_ORIGINS)]
        else:
            services.save_origins(territory, origins)
            flash(_("The sites allowed to embed are saved."), "success")
            return see_other("embed.settings")
    return render(
        "embed/settings.html", form=form, status=422 if form.errors else 200,
        widget_url=url_for("embed.widget", _external=True),
        agenda_url=url_for("embed.agenda", _external=True),
        origin=request.host_url.rstrip("/"), allowed=services.allowed_origins(territory),
    )


@bp.get("/embed")
def help() -> Response:
    """What the embeddable pages are, for anyone (the snippets are on the admin's page)."""
    return render("embed/help.html", admin=is_territory_admin(current_user))
