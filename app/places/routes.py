"""Places routes: "Near me", the live-location consent and check-in, the residence point,
the tourism office's screens (/manage/screens) and the screen itself (/kiosk/<token>)."""

from __future__ import annotations

from typing import Any

import segno
from flask import abort, flash, g, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.wrappers import Response

from app.accounts.services import neighbourhoods
from app.actors.roles import actor_role_required
from app.actors.services import active_hashtags
from app.extensions import API_LIMIT, configured_limit, db, limiter, person_key
from app.htmx import render, see_other
from app.models_common import utcnow
from app.places import bp, cells, services
from app.places.forms import ConfirmForm, KioskForm, PointForm
from app.places.models import KioskToken
from app.territories.context import current_territory, get_scoped_or_404

# --- near me ------------------------------------------------------------------------------------


@bp.get("/near")
def near() -> Response:
    territory = current_territory()
    now = utcnow()
    args = request.args
    origin, problem = services.resolve_origin(
        territory, current_user, lat=args.get("lat"), lon=args.get("lon"),
        neighbourhood_id=args.get("neighbourhood"), live=args.get("from") == "live", now=now,
    )
    hashtag = services.find_hashtag(territory, args.get("tag"))
    live_on = current_user.is_authenticated and services.has_live_location_consent(current_user)
    return render(
        "places/near.html",
        "places/_near_list.html",
        origin=origin,
        items=services.near_items(territory, origin, now, hashtag),
        problem=problem,
        hashtag=hashtag,
        hashtags=active_hashtags(territory),
        neighbourhoods=[h for h in neighbourhoods(territory) if h.geojson],
        picked=origin.source == "point",
        live_on=live_on,
        status=200,
    )


# --- live location ------------------------------------------------------------------------------


@bp.route("/near/location", methods=["GET", "POST"])
@login_required
def live_location() -> Response:
    """The purpose explained before the browser asks; on or off with one button."""
    form = ConfirmForm()
    if form.validate_on_submit():
        if request.form.get("action") == "on":
            services.turn_on_live_location(current_user)
            flash(_("Live location is on. You can turn it off here at any time."), "success")
        else:
            services.turn_off_live_location(current_user)
            flash(_("Live location is off: your last position is deleted."), "success")
        return see_other("places.live_location")
    live_on = services.has_live_location_consent(current_user)
    live_cell = services.live_cell_of(current_user) if live_on else None
    return render(
        "places/location.html",
        form=form,
        live_on=live_on,
        live_until=live_cell.seen_at + services.LIVE_CELL_LIFETIME if live_cell else None,
        lifetime_minutes=int(services.LIVE_CELL_LIFETIME.total_seconds() // 60),
        interval_minutes=int(services.CHECKIN_INTERVAL.total_seconds() // 60),
        status=200 if request.method == "GET" else 422,
    )


@bp.post("/near/checkin")
@limiter.limit(API_LIMIT, key_func=person_key)
@limiter.limit(configured_limit("RATELIMIT_CHECKIN"), key_func=person_key)
def check_in() -> Response:
    """JSON {lat, lon} from static/js/location.js. Only the coarse cell and the time are kept;
    the coordinates are neither stored nor logged."""
    if not current_user.is_authenticated:
        return _json_error(_("Log in to share your position."), 401)
    if not services.has_live_location_consent(current_user):
        return _json_error(_("Turn live location on first: your position is only used with your consent."), 403)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _json_error(_("Send a latitude and a longitude in degrees."), 422)
    try:
        services.check_in(current_user, current_territory(), data.get("lat"), data.get("lon"))
    except services.PlaceError as error:
        db.session.rollback()
        return _json_error(str(error), 422)
    response = jsonify({"ok": True, "next_in_s": int(services.CHECKIN_INTERVAL.total_seconds())})
    response.headers["Cache-Control"] = "no-store"
    return response


def _json_error(message: str, status: int) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


# --- residence ----------------------------------------------------------------------------------


@bp.route("/me/residence", methods=["GET", "POST"])
@login_required
def residence() -> Response:
    territory = current_territory()
    form = PointForm()
    if request.method == "POST" and request.form.get("action") == "clear":
        if ConfirmForm().validate_on_submit():
            services.clear_residence(current_user)
            flash(_("Your neighbourhood now stands for where you live."), "success")
            return see_other("places.residence")
    elif form.validate_on_submit():
        try:
            services.set_residence(current_user, territory, form.lat.data, form.lon.data)
        except services.PlaceError as error:
            form.lat.errors = [*form.lat.errors, str(error)]
        else:
            flash(_("Saved: only the area around your point is kept."), "success")
            return see_other("places.residence")
    centre = services.residence_centre(current_user)
    return render(
        "places/residence.html",
        form=form,
        centre=centre,
        picked=bool(current_user.residence_cell),
        status=422 if request.method == "POST" else 200,
    )


# --- tourism office's screens -------------------------------------------------------------------


def _tourism_office() -> Any:
    if g.actor.kind != "tourism_office":
        abort(404)
    return g.actor


@bp.route("/manage/screens", methods=["GET", "POST"])
@actor_role_required()
def kiosks() -> Response:
    actor = _tourism_office()
    form = KioskForm()
    new_link = None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            _token, raw = services.create_kiosk_token(actor, form.label.data)
            new_link = url_for("places.kiosk", token=raw, _external=True)
            form = KioskForm(formdata=None)
            status = 201
        else:
            status = 422
    return render("places/kiosks.html", form=form, tokens=services.kiosk_tokens(actor),
                  new_link=new_link, revoke_form=ConfirmForm(), status=status)


@bp.post("/manage/screens/<int:kiosk_id>/revoke")
@actor_role_required()
def kiosk_revoke(kiosk_id: int) -> Response:
    token = get_scoped_or_404(KioskToken, kiosk_id)
    actor = _tourism_office()
    if token.actor_id != actor.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        services.revoke_kiosk_token(token)
        flash(_("The screen's link no longer works."), "success")
    return see_other("places.kiosks")


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
    response = render("places/kiosk.html", **_kiosk_context(token))
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/kiosk/<token>/items")
@limiter.limit(API_LIMIT, key_func=person_key)
def kiosk_items(token: str) -> Response:
    response = render("places/_kiosk_items.html", **_kiosk_context(token))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.app_template_global()
def distance_label(metres: float) -> str:
    if metres < 1000:
        return _("%(m)d m", m=int(round(metres / 10.0) * 10))
    return _("%(km).1f km", km=metres / 1000.0)


@bp.app_template_global()
def cell_centre(cell: int) -> tuple[float, float]:
    return cells.cell_centre(cell)
