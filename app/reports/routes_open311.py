"""Street reports: the Open311 GeoReport v2 API at /open311/v2/ (app.reports.open311 says what it
answers and what it never gives out), and the town administrators' page of the keys it issues to
the clients that post requests.

Every answer exists in JSON and XML (the URL's extension). The POST is an API call authorised by
its ``api_key``, not a form of a session: exempt from CSRF, limited per address."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.extensions import API_LIMIT, csrf, db, limiter, person_key
from app.htmx import render, see_other
from app.media.models import Media
from app.reports import bp, open311
from app.reports.models import Open311Key
from app.reports.services import categories
from app.territories.context import current_territory

V2 = "/open311/v2"
FMT = "<any(json, xml):fmt>"
# Lists' XML names: the root and each item's, per the specification.
XML_NAMES = {
    "services": ("services", "service"),
    "requests": ("service_requests", "request"),
    "errors": ("errors", "error"),
}
# A client that posts without end (a loop, a stolen key): a person files a few reports an hour.
POST_LIMIT = "60 per hour"


def _answer(fmt: str, items: Any, names: tuple[str, str | None], status: int = 200) -> Response:
    if fmt == "xml":
        body = open311.as_xml(names[0], names[1], items)
        response = Response(body, status=status, mimetype=open311.FORMATS["xml"])
    else:
        response = Response(open311.as_json(items), status=status, mimetype=open311.FORMATS["json"])
    return response


def _error(fmt: str, error: open311.Open311Error) -> Response:
    return _answer(fmt, open311.errors(error), XML_NAMES["errors"], status=error.status)


def _check_jurisdiction() -> None:
    """``jurisdiction_id``, optional: this town's slug when given."""
    given = request.values.get("jurisdiction_id")
    if given and given != current_territory().slug:
        raise open311.Open311Error(404, _("Unknown jurisdiction_id."))


def _photo_url(media_id: int) -> str:
    media = db.session.get(Media, media_id)
    return url_for("media.file", token=media.token, _external=True) if media is not None else ""


@bp.get(f"{V2}/discovery.{FMT}")
@limiter.limit(API_LIMIT, key_func=person_key)
def open311_discovery(fmt: str) -> Response:
    territory = current_territory()
    endpoint = url_for("reports.open311_discovery", fmt=fmt, _external=True).rsplit("/", 1)[0]
    document = open311.discovery(territory, endpoint, url_for("feed.for_you", _external=True))
    return _answer(fmt, document, ("discovery", None))


@bp.get(f"{V2}/services.{FMT}")
@limiter.limit(API_LIMIT, key_func=person_key)
def open311_services(fmt: str) -> Response:
    try:
        _check_jurisdiction()
    except open311.Open311Error as error:
        return _error(fmt, error)
    items = [open311.service(category) for category in categories(current_territory())]
    return _answer(fmt, items, XML_NAMES["services"])


@bp.get(f"{V2}/services/<service_code>.{FMT}")
@limiter.limit(API_LIMIT, key_func=person_key)
def open311_service_definition(service_code: str, fmt: str) -> Response:
    try:
        _check_jurisdiction()
        category = open311.service_in(current_territory(), service_code)
        if category is None:
            raise open311.Open311Error(404, _("No service has this service_code."))
    except open311.Open311Error as error:
        return _error(fmt, error)
    return _answer(fmt, open311.service_definition(category), ("service_definition", None))


@bp.get(f"{V2}/requests.{FMT}")
@limiter.limit(API_LIMIT, key_func=person_key)
def open311_requests(fmt: str) -> Response:
    territory = current_territory()
    try:
        _check_jurisdiction()
        query = open311.read_query(request.args)
    except open311.Open311Error as error:
        return _error(fmt, error)
    reports = open311.search(territory, query)
    return _answer(fmt, open311.request_dicts(territory, reports, _photo_url), XML_NAMES["requests"])


@bp.post(f"{V2}/requests.{FMT}")
@csrf.exempt
@limiter.limit(API_LIMIT, key_func=person_key)
@limiter.limit(POST_LIMIT)
def open311_post_request(fmt: str) -> Response:
    territory = current_territory()
    try:
        _check_jurisdiction()
        key = open311.valid_key(territory, request.form.get("api_key"))
        if key is None:
            raise open311.Open311Error(403, _("A valid api_key is required: ask the town for one."))
        report = open311.post_request(territory, key, request.form)
    except open311.Open311Error as error:
        return _error(fmt, error)
    # 200, not 201: older GeoReport clients take only 200 as success.
    return _answer(fmt, open311.posted(territory, report), XML_NAMES["requests"])


@bp.get(f"{V2}/requests/<int:service_request_id>.{FMT}")
@limiter.limit(API_LIMIT, key_func=person_key)
def open311_request(service_request_id: int, fmt: str) -> Response:
    territory = current_territory()
    try:
        _check_jurisdiction()
        report = open311.request_in(territory, service_request_id)
        if report is None:
            raise open311.Open311Error(404, _("No request has this service_request_id."))
    except open311.Open311Error as error:
        return _error(fmt, error)
    return _answer(fmt, open311.request_dicts(territory, [report], _photo_url), XML_NAMES["requests"])


@bp.get(f"{V2}/tokens/<token>.{FMT}")
@limiter.limit(API_LIMIT, key_func=person_key)
def open311_token(token: str, fmt: str) -> Response:
    try:
        _check_jurisdiction()
        report = open311.request_by_token(current_territory(), token)
        if report is None:
            raise open311.Open311Error(404, _("No request has this token."))
    except open311.Open311Error as error:
        return _error(fmt, error)
    return _answer(fmt, open311.token_answer(report), XML_NAMES["requests"])


# --- the town's keys ------------------------------------------------------------------------------


def _town_admin_or_404() -> None:
    """A territory administrator of this town (app.admin's rule, checked here: reports sit below admin)."""
    if not (current_user.is_authenticated and current_user.is_admin
            and current_user.territory_id == current_territory().id):
        abort(404)


@bp.route("/admin/reports/open311-keys", methods=["GET", "POST"])
@login_required
def open311_keys() -> Any:
    _town_admin_or_404()
    territory = current_territory()
    new_key = None
    if request.method == "POST":
        label = (request.form.get("label") or "").strip()
        if not label:
            flash(_("Name the client this key is for."), "error")
            return see_other("reports.open311_keys")
        _key, new_key = open311.issue_key(territory, label)
    return render("reports/open311_keys.html", keys=open311.keys(territory), new_key=new_key,
                  endpoint=url_for("reports.open311_discovery", fmt="json", _external=True))


@bp.post("/admin/reports/open311-keys/<int:open311_key_id>/revoke")
@login_required
def open311_key_revoke(open311_key_id: int) -> Any:
    _town_admin_or_404()
    key = db.session.get(Open311Key, open311_key_id)
    if key is None or key.territory_id != current_territory().id:
        abort(404)
    open311.revoke_key(key)
    flash(_("The key is revoked: the client can no longer post."), "success")
    return see_other("reports.open311_keys")
