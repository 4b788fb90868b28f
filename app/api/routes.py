"""The read API, ``/api/v1/``: the public data of the territory of the host asked, as JSON
(app.api.answers says how it answers), described by ``/api/v1/openapi.json``; and the page for
developers, ``/api``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any

from flask import request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from app.actors.models import ACTOR_KINDS
from app.api import bp, services
from app.api.answers import (
    CORS_HEADERS,
    PREFLIGHT_HEADERS,
    BadParameter,
    Paging,
    json_answer,
    listing,
    paging,
    problem,
)
from app.api.openapi import document
from app.api.shapes import (
    actor_shape,
    hashtag_shape,
    occurrence_shape,
    publication_shape,
    report_shape,
    territory_shape,
)
from app.extensions import API_LIMIT, csrf, limiter
from app.htmx import render
from app.models_common import utcnow
from app.reports import public as reports_public
from app.security import retry_after_seconds, wait_message
from app.territories.context import current_territory

PREFIX = "/api/v1"


def _api(view: Callable[..., Response]) -> Callable[..., Response]:
    """An API view: a bad parameter is a 400 naming it."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Response:
        try:
            return view(*args, **kwargs)
        except BadParameter as error:
            return problem(400, "Bad parameter", error.detail, parameter=error.name)

    return wrapped


@bp.after_request
def _cors(response: Response) -> Response:
    """Public GETs readable from any origin (no credentials); the preflight answered."""
    if request.path.startswith(PREFIX + "/"):
        response.headers.update(CORS_HEADERS)
        if request.method == "OPTIONS":
            response.headers.update(PREFLIGHT_HEADERS)
            response.headers["Cache-Control"] = "public, max-age=86400"
        response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@bp.errorhandler(HTTPException)
def _http_problem(error: HTTPException) -> Response:
    if not request.path.startswith(PREFIX + "/"):
        return error  # type: ignore[return-value]
    code = error.code or 500
    if code == 429:
        seconds = retry_after_seconds(error)  # type: ignore[arg-type]
        response = problem(429, "Too many requests", wait_message(seconds))
        response.headers["Retry-After"] = str(seconds)
        return response
    if code == 404:
        return problem(404, "Not found", _("Nothing public of this town answers at this address."))
    if code == 405:
        return problem(405, "Method not allowed", _("This API only reads: use GET."))
    return problem(code, error.name, error.description or "")


def _datetime_arg(name: str) -> datetime | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise BadParameter(name, f"{name} must be a date-time as RFC 3339 writes it, e.g. 2026-12-24T18:00:00Z.") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _choice_arg(name: str, choices: tuple[str, ...]) -> str:
    raw = request.args.get(name, "")
    if raw and raw not in choices:
        raise BadParameter(name, f"{name} must be one of: {', '.join(choices)}.")
    return raw


def _hashtag_arg() -> Any:
    raw = request.args.get("hashtag", "")
    if not raw:
        return None
    found = services.hashtag_named(current_territory(), raw)
    if found is None:
        raise BadParameter("hashtag", "No hashtag of this town has this name.")
    return found


def _actor_arg() -> Any:
    raw = request.args.get("actor", "")
    if not raw:
        return None
    found = services.public_actor(current_territory(), int(raw)) if raw.isdigit() else None
    if found is None:
        raise BadParameter("actor", "No public actor of this town has this id.")
    return found


def _window() -> tuple[datetime | None, datetime | None]:
    start, end = _datetime_arg("from"), _datetime_arg("to")
    if start and end and end <= start:
        raise BadParameter("to", "to must come after from.")
    if start and end and end - start > services.MAX_WINDOW:
        raise BadParameter("to", "The window from from to to is at most 366 days.")
    return start, end


# --- the document and the index ----------------------------------------------------------------------


@bp.get(f"{PREFIX}/openapi.json")
@limiter.limit(API_LIMIT)
@_api
def openapi() -> Response:
    return json_answer(document())


@bp.get(f"{PREFIX}/")
@limiter.limit(API_LIMIT)
@_api
def index() -> Response:
    names = ("territory", "actors", "publications", "occurrences", "hashtags", "reports", "openapi")
    return json_answer({"links": {name: url_for(f"api.{name}", _external=True) for name in names}})


@bp.get(f"{PREFIX}/territory")
@limiter.limit(API_LIMIT)
@_api
def territory() -> Response:
    return json_answer(territory_shape(current_territory()))


@bp.get(f"{PREFIX}/hashtags")
@limiter.limit(API_LIMIT)
@_api
def hashtags() -> Response:
    return json_answer({"data": [hashtag_shape(h) for h in services.hashtags(current_territory())]})


# --- actors ----------------------------------------------------------------------------------------


@bp.get(f"{PREFIX}/actors")
@limiter.limit(API_LIMIT)
@_api
def actors() -> Response:
    town, now, pages = current_territory(), utcnow(), paging()
    kind = _choice_arg("kind", ACTOR_KINDS)
    open_raw = _choice_arg("open_now", ("true", "false"))
    found = services.actors(town, pages.offset, pages.per_page, now, kind, _hashtag_arg(),
                            None if not open_raw else open_raw == "true")
    states = services.actor_states(town, found.items, now)
    return listing([actor_shape(a, states[a.id]) for a in found.items], pages, found.has_next, found.total)


@bp.get(f"{PREFIX}/actors/<int:actor_id>")
@limiter.limit(API_LIMIT)
@_api
def actor(actor_id: int) -> Response:
    town, now = current_territory(), utcnow()
    found = services.public_actor(town, actor_id)
    if found is None:
        return problem(404, "Not found", _("No public actor of this town has this id."))
    return json_answer(actor_shape(found, services.actor_states(town, [found], now)[found.id]))


# --- publications and events -------------------------------------------------------------------------


@bp.get(f"{PREFIX}/publications")
@limiter.limit(API_LIMIT)
@_api
def publications() -> Response:
    town, now, pages = current_territory(), utcnow(), paging()
    kind = _choice_arg("kind", services.PUBLIC_KINDS)
    start, end = _window()
    if (start or end) and kind != "event":
        raise BadParameter("from", "from and to choose events: add kind=event.")
    found = services.publications(town, pages.offset, pages.per_page, now, kind, _actor_arg(), _hashtag_arg(),
                                  _datetime_arg("updated_since"), start, end)
    return listing([publication_shape(p) for p in found.items], pages, found.has_next, found.total)


@bp.get(f"{PREFIX}/publications/<int:publication_id>")
@limiter.limit(API_LIMIT)
@_api
def publication(publication_id: int) -> Response:
    found = services.public_publication(current_territory(), publication_id, utcnow())
    if found is None:
        return problem(404, "Not found", _("No public publication of this town has this id."))
    return json_answer(publication_shape(found))


@bp.get(f"{PREFIX}/events/occurrences")
@limiter.limit(API_LIMIT)
@_api
def occurrences() -> Response:
    town, now, pages = current_territory(), utcnow(), paging(50)
    start, end = _window()
    start = start or now
    end = end or start + services.DEFAULT_WINDOW
    if end - start > services.MAX_WINDOW:
        raise BadParameter("to", "The window from from to to is at most 366 days.")
    found = services.event_occurrences(town, now, start, end, _actor_arg(), _hashtag_arg())
    page = found[pages.offset:pages.offset + pages.per_page]
    return listing([occurrence_shape(o) for o in page], pages, len(found) > pages.offset + pages.per_page, len(found))


# --- street reports ----------------------------------------------------------------------------------


@bp.get(f"{PREFIX}/reports")
@limiter.limit(API_LIMIT)
@_api
def reports() -> Response:
    """Street reports as the public pages show them; no total (it would count people's reports
    outside the release engine), 50 a page."""
    town = current_territory()
    if request.args.get("per_page"):
        raise BadParameter("per_page", "Street reports come 50 a page.")
    page_number = paging().page
    filters = reports_public.parse_filters(town, request.args)
    found = reports_public.public_reports(town, filters, page_number)
    return listing([report_shape(r) for r in found.reports], Paging(page_number, reports_public.PAGE_SIZE),
                   found.has_next)


# --- anything else under /api/v1 ---------------------------------------------------------------------


@bp.get(f"{PREFIX}/<path:path>")
@limiter.limit(API_LIMIT)
def not_found(path: str) -> Response:
    return problem(404, "Not found", _("Nothing public of this town answers at this address."))


@bp.route(f"{PREFIX}/", defaults={"path": ""}, methods=["POST", "PUT", "PATCH", "DELETE"])
@bp.route(f"{PREFIX}/<path:path>", methods=["POST", "PUT", "PATCH", "DELETE"])
@csrf.exempt  # it changes nothing: it only says so, as problem details
@limiter.limit(API_LIMIT)
def refuse_write(path: str) -> Response:
    response = problem(405, "Method not allowed", _("This API only reads: use GET."))
    response.headers["Allow"] = "GET, HEAD, OPTIONS"
    return response


# --- for people --------------------------------------------------------------------------------------


@bp.get("/api")
def docs() -> Response:
    base = url_for("api.index", _external=True)
    return render("api/docs.html", base=base, openapi_url=url_for("api.openapi", _external=True))
