"""How the read API answers: JSON with an ETag (a 304 when the client has it), kept a minute by
any cache, readable from any origin (CORS: public data, no credentials), paginated with ``Link``
headers; errors as RFC 9457 problem details."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import Response, request, url_for

CACHE_CONTROL = "public, max-age=60"
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_PAGE = 10_000
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Link, Retry-After",
}
PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Accept-Language, If-None-Match",
    "Access-Control-Max-Age": "86400",
}


class BadParameter(ValueError):
    """A query parameter the API cannot use: the answer is a 400 naming it."""

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(detail)
        self.name = name
        self.detail = detail


def problem(status: int, title: str, detail: str = "", **extra: Any) -> Response:
    """An RFC 9457 problem details answer (``application/problem+json``)."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/problem+json")
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(CORS_HEADERS)
    return response


def json_answer(data: Any, links: dict[str, str] | None = None) -> Response:
    """``data`` as JSON, with its ETag: a 304 without a body when ``If-None-Match`` has it."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    etag = hashlib.sha256(body).hexdigest()[:32]
    response = Response(body, mimetype="application/json")
    response.set_etag(etag)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.vary.add("Accept-Language")  # labels (a report's status) are in the asker's language
    if links:
        response.headers["Link"] = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items())
    if etag in request.if_none_match:
        response.status_code = 304
        response.set_data(b"")
        response.headers.pop("Content-Length", None)
    return response


@dataclass(frozen=True)
class Paging:
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise BadParameter(name, f"{name} must be a whole number from {low} to {high}.")
    return int(raw)


def paging(default_per_page: int = DEFAULT_PER_PAGE) -> Paging:
    return Paging(int_arg("page", 1, 1, MAX_PAGE), int_arg("per_page", default_per_page, 1, MAX_PER_PAGE))


def page_links(paging: Paging, has_next: bool) -> dict[str, str]:
    """``first``, ``prev`` and ``next`` of this address with the other query parameters kept."""
    args = {key: value for key, value in request.args.items() if key != "page"}

    def at(page: int) -> str:
        query = urlencode({**args, "page": page})
        return url_for(request.endpoint or "", _external=True, **(request.view_args or {})) + "?" + query

    links = {"first": at(1)}
    if paging.page > 1:
        links["prev"] = at(paging.page - 1)
    if has_next:
        links["next"] = at(paging.page + 1)
    return links


def listing(items: list[Any], paging: Paging, has_next: bool, total: int | None = None) -> Response:
    """A page of a list: ``data``, ``meta`` (page, per page, and the total where it counts no
    person) and ``links``, the same links in the ``Link`` header."""
    links = page_links(paging, has_next)
    meta: dict[str, Any] = {"page": paging.page, "per_page": paging.per_page}
    if total is not None:
        meta["total"] = total
    return json_answer({"data": items, "meta": meta, "links": links}, links)
