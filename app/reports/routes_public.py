"""Street reports as anybody sees them: the list and map of an area (works without JavaScript),
its GeoJSON and Atom feed, and the statistics by category and neighbourhood with their CSV.
Nothing here names a person; the statistics' counts are releases (app.reports.public)."""

from __future__ import annotations

import json
from collections.abc import Callable

from flask import make_response, request, url_for
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response

from app.extensions import API_LIMIT, limiter, person_key
from app.htmx import render
from app.models_common import utcnow
from app.reports import bp, public
from app.reports.services import categories, status_label
from app.territories.context import current_territory, request_hostname
from app.territories.services import neighbourhoods

STATUS_CHOICES = ("open", "overdue", "closed", "received", "acknowledged", "in_progress", "resolved", "not_ours")


def report_urls(external: bool = False) -> Callable[[int], str]:
    """Reports' public pages (routes_reporting's ``reports.show``; their path when it is not
    built), the address built once: a map's GeoJSON links thousands."""
    try:
        pattern = url_for("reports.show", report_id=_PLACEHOLDER, _external=external)
    except BuildError:
        pattern = (request.host_url.rstrip("/") if external else "") + f"/reports/{_PLACEHOLDER}"
    head, tail = pattern.split(str(_PLACEHOLDER), 1)
    return lambda report_id: f"{head}{report_id}{tail}"


_PLACEHOLDER = 987654321


@bp.get("/reports")
def public_list() -> Response:
    territory = current_territory()
    now = utcnow()
    filters = public.parse_filters(territory, request.args)
    page = public.public_reports(territory, filters, public.page_of(request.args.get("page")), now=now)
    return render(
        "reports/public_list.html", "reports/public_results.html",
        filters=filters, results=page, report_url=report_urls(), status_label=status_label,
        status_choices=STATUS_CHOICES, categories=categories(territory, active_only=False),
        neighbourhoods=neighbourhoods(territory),
    )


@bp.get("/reports.geojson")
@limiter.limit(API_LIMIT, key_func=person_key)
def public_geojson() -> Response:
    territory = current_territory()
    filters = public.parse_filters(territory, request.args)
    data = public.geojson(territory, filters, report_urls(external=True))
    response = make_response(json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    response.mimetype = "application/geo+json"
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


@bp.get("/reports.atom")
def public_atom() -> Response:
    territory = current_territory()
    filters = public.parse_filters(territory, request.args)
    body = public.atom(
        territory, filters, request_hostname(),
        self_url=url_for("reports.public_atom", _external=True, **filters.args()),
        page_url=url_for("reports.public_list", _external=True, **filters.args()),
        url_of=report_urls(external=True),
    )
    response = make_response(body)
    response.mimetype = "application/atom+xml"
    response.charset = "utf-8"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/reports/stats")
def public_stats() -> Response:
    territory = current_territory()
    return render("reports/public_stats.html", table=public.statistics_table(territory))


@bp.get("/reports/stats.csv")
def public_stats_csv() -> Response:
    territory = current_territory()
    response = make_response("\ufeff" + public.statistics_table(territory).csv())  # spreadsheets read UTF-8
    response.mimetype = "text/csv"
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="reports-statistics.csv"'
    return response
