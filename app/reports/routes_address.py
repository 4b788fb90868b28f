"""Street reports: the address suggestions of the report form (reports-address.js asks them as
the person types; without JavaScript, or without a geocoder, the address is typed and sent as
is). A thin proxy to the operator's geocoder (app.reports.geocoding), for logged-in people,
limited like every endpoint scripts call, and only the territory's addresses."""

from __future__ import annotations

from flask import jsonify, request
from flask_login import login_required
from werkzeug.wrappers import Response

from app.extensions import API_LIMIT, limiter, person_key
from app.reports import bp, geocoding
from app.territories.context import current_territory


@bp.get("/reports/address-suggestions")
@login_required
@limiter.limit(API_LIMIT, key_func=person_key)
def address_suggestions() -> Response:
    territory = current_territory()
    query = request.args.get("q", "")
    found = geocoding.suggestions(territory, query) if geocoding.configured() else []
    response = jsonify({"suggestions": [
        {"label": place.label, "lat": round(place.lat, 5), "lon": round(place.lon, 5)} for place in found]})
    return response
