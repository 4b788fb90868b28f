"""One helper decides between the full page and the fragment an htmx request asked for."""

from __future__ import annotations

from typing import Any

from flask import Response, make_response, redirect, render_template, request, url_for


def see_other(endpoint_or_path: str, anchor: str = "", **values: Any) -> Response:
    """The answer to a POST that worked: 303 to ``endpoint`` (built with ``values``) or to a
    path of this site already checked (``safe_next``), and ``anchor``; read with GET."""
    target = endpoint_or_path if endpoint_or_path.startswith("/") else url_for(endpoint_or_path, **values)
    return redirect(target + anchor, code=303)


def is_htmx() -> bool:
    return bool(getattr(request, "htmx", False))


def wants_fragment() -> bool:
    """An htmx request for a region; a boosted link or form (``HX-Boosted``) wants the whole page."""
    return is_htmx() and request.headers.get("HX-Boosted") != "true"


def render(page: str, fragment: str | None = None, status: int = 200, **context: Any) -> Response:
    """Render ``page``, or only ``fragment`` for an htmx request, always with ``Vary: HX-Request``
    so that a cache never serves a fragment where a page was asked for (or the reverse)."""
    template = fragment if (fragment and wants_fragment()) else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response
