"""Places routes: "Near me", the live-location consent and check-in, the residence point,
the tourism office's screens (/manage/screens) and the screen itself (/kiosk/<token>)."""

from __future__ import annotations

from flask import flash, jsonify, render_template, request
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app import changes
from app.extensions import API_LIMIT, configured_limit, db, limiter, person_key
from app.forms import ConfirmForm
from app.fragments import remember
from app.geo import PlaceError
from app.htmx import render, render_fragment, see_other, wants_fragment
from app.models_common import staggered_minute, utcnow
from app.places import bp, live
from app.places import near as near_me
from app.places import residence as homes
from app.places.forms import PointForm
from app.territories.context import current_territory
from app.territories.services import active_hashtags, find_hashtag, neighbourhoods

# --- near me ------------------------------------------------------------------------------------


@bp.get("/near")
def near() -> Response:
    territory = current_territory()
    now = utcnow()
    args = request.args
    origin, problem = near_me.resolve_origin(
        territory, current_user, lat=args.get("lat"), lon=args.get("lon"),
        neighbourhood_id=args.get("neighbourhood"), live=args.get("from") == "live", now=now,
    )
    hashtag = find_hashtag(territory, args.get("tag"))
    service = args.get("service") if args.get("service") in near_me.SERVICES else ""
    authenticated = bool(current_user.is_authenticated)
    live_on = authenticated and live.live_location_on(current_user)  # read with the session
    picked = origin.source == "point"
    # What is near is the same for everybody who searches from the same point with the same
    # filters (and, while a place poll is on, lives in the same neighbourhood: a place poll is
    # shown to the people who live in its zone), within the same minute (each list's own minute,
    # app.models_common.staggered_minute: not all redrawn at the clock's) and while the feed data
    # (publications, actors, their hours, hashtags) is unchanged in any process: rendered once
    # and kept (app.fragments), the page's content too.
    stamp = changes.version("feed", db.engine)  # before reading: see app.changes
    home = (
        current_user.neighbourhood_id
        if authenticated and near_me.place_polls_happening(territory, now, hashtag) else None
    )
    where = (round(origin.lat, 6), round(origin.lon, 6), hashtag.id if hashtag is not None else None, service, home)
    list_key = (*where, staggered_minute(where), stamp)

    def near_items_html() -> str:
        items = near_me.near_items(territory, origin, now, hashtag, user=current_user, service=service)
        return render_template("places/_near_items.html", items=items)

    near_list = remember("near-list", list_key, near_items_html)
    if wants_fragment():
        return render_fragment("places/_near_list.html", near_list=near_list)

    def near_page_html() -> str:
        return render_template(
            "places/_near_page.html",
            origin=origin,
            near_list=near_list,
            service=service,
            problem=problem,
            hashtag=hashtag,
            hashtags=active_hashtags(territory),
            neighbourhoods=[h for h in neighbourhoods(territory) if h.geojson],
            picked=picked,
            live_on=live_on,
        )

    page_key = (
        *list_key, origin.source, origin.neighbourhood.id if origin.neighbourhood else None,
        str(problem) if problem else None, picked, live_on, authenticated,
    )
    return render("places/near.html", near_content=remember("near-page", page_key, near_page_html))


# --- live location ------------------------------------------------------------------------------


@bp.route("/near/location", methods=["GET", "POST"])
@login_required
def live_location() -> Response:
    """The purpose explained before the browser asks; on or off with one button."""
    form = ConfirmForm()
    if form.validate_on_submit():
        if request.form.get("action") == "on":
            live.turn_on_live_location(current_user)
            flash(_("Live location is on. You can turn it off here at any time."), "success")
        else:
            live.turn_off_live_location(current_user)
            flash(_("Live location is off: your last position is deleted."), "success")
        return see_other("places.live_location")
    live_on = live.has_live_location_consent(current_user)
    live_cell = live.live_cell_of(current_user) if live_on else None
    return render(
        "places/location.html",
        form=form,
        live_on=live_on,
        live_until=live_cell.seen_at + live.LIVE_CELL_LIFETIME if live_cell else None,
        lifetime_minutes=int(live.LIVE_CELL_LIFETIME.total_seconds() // 60),
        interval_minutes=int(live.CHECKIN_INTERVAL.total_seconds() // 60),
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
    if not live.has_live_location_consent(current_user):
        return _json_error(_("Turn live location on first: your position is only used with your consent."), 403)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _json_error(_("Send a latitude and a longitude in degrees."), 422)
    try:
        live.check_in(current_user, current_territory(), data.get("lat"), data.get("lon"))
    except PlaceError as error:
        db.session.rollback()
        return _json_error(str(error), 422)
    response = jsonify({"ok": True, "next_in_s": int(live.CHECKIN_INTERVAL.total_seconds())})
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
            homes.clear_residence(current_user)
            flash(_("Your neighbourhood now stands for where you live."), "success")
            return see_other("places.residence")
    elif form.validate_on_submit():
        try:
            homes.set_residence(current_user, territory, form.lat.data, form.lon.data)
        except PlaceError as error:
            form.lat.errors = [*form.lat.errors, str(error)]
        else:
            flash(_("Saved: only the area around your point is kept."), "success")
            return see_other("places.residence")
    centre = homes.residence_centre(current_user)
    return render(
        "places/residence.html",
        form=form,
        centre=centre,
        picked=bool(current_user.residence_cell),
        status=422 if request.method == "POST" else 200,
    )


@bp.app_template_global()
def live_location_on() -> bool:
    """For every page's <body>, which location.js reads: whether the logged-in person has
    turned live location on (False for anybody else)."""
    return bool(current_user.is_authenticated) and live.live_location_on(current_user)


@bp.app_template_global()
def distance_label(metres: float) -> str:
    """"350 m", "1,2 km" in French and Dutch, "1.2 km" in English: numbers in the locale's way."""
    if metres < 1000:
        return _("%(m)s m", m=format_decimal(int(round(metres / 10.0) * 10)))
    return _("%(km)s km", km=format_decimal(round(metres / 1000.0, 1), format="#,##0.0"))
