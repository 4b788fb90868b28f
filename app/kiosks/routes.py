"""The tourism office's screens: the office creates and revokes their links; a screen shows
current offers and today's events nearby, refreshing itself."""

from __future__ import annotations

from typing import Any

import segno
from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.wrappers import Response

from app.actors.roles import actor_role_required
from app.extensions import API_LIMIT, limiter, person_key
from app.forms import ConfirmForm
from app.htmx import render, see_other
from app.kiosks import bp, services
from app.kiosks.forms import KioskForm
from app.kiosks.models import KioskToken
from app.kiosks.permissions import own_screen_or_404, tourism_office_or_404
from app.models_common import utcnow
from app.territories.context import current_territory


@bp.route("/manage/screens", methods=["GET", "POST"])
@actor_role_required()
def manage() -> Response:
    actor = tourism_office_or_404()
    form = KioskForm()
    new_link = None
    status = 200
    if request.method == "POST" and not actor.is_verified:
        flash(_("Screens can be created once the town has verified your page."), "error")
        status = 403
    elif request.method == "POST":
        if form.validate_on_submit():
            _token, raw = services.create_kiosk_token(actor, form.label.data)
            new_link = url_for("kiosks.kiosk", token=raw, _external=True)
            form = KioskForm(formdata=None)
            status = 201
        else:
            status = 422
    return render("kiosks/manage.html", form=form, tokens=services.kiosk_tokens(actor),
                  new_link=new_link, revoke_form=ConfirmForm(), status=status)


@bp.post("/manage/screens/<int:kiosk_id>/revoke")
@actor_role_required()
def revoke(kiosk_id: int) -> Response:
    token = own_screen_or_404(kiosk_id)
    if ConfirmForm().validate_on_submit():
        services.revoke_kiosk_token(token)
        flash(_("The screen's link no longer works."), "success")
    return see_other("kiosks.manage")


def _kiosk_or_404(token: str) -> KioskToken:
    kiosk = services.find_kiosk(current_territory(), token)
    if kiosk is None:
        abort(404)
    return kiosk


def _qr_svg(url: str) -> Markup:
    """An inline <svg> QR code (no image request, nothing for the CSP to allow)."""
    return Markup(segno.make(url, error="m").svg_inline(scale=6, border=2, dark="#000", light="#fff"))


def _kiosk_context(token: str) -> dict[str, Any]:
    kiosk = _kiosk_or_404(token)
    territory = current_territory()
    items = services.kiosk_items(territory, kiosk.actor)
    entries = []
    for item in items:
        link = url_for("publications.show", publication_id=item.publication.id, _external=True)
        entries.append({"item": item, "link": link, "qr": _qr_svg(link)})
    return {"kiosk": kiosk, "office": kiosk.actor, "entries": entries, "token": token,
            "refreshed_at": utcnow()}


@bp.get("/kiosk/<token>")
def kiosk(token: str) -> Response:
    response = render("kiosks/kiosk.html", **_kiosk_context(token))
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/kiosk/<token>/items")
@limiter.limit(API_LIMIT, key_func=person_key)
def kiosk_items(token: str) -> Response:
    response = render("kiosks/_kiosk_items.html", **_kiosk_context(token))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
