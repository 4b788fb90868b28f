"""How a page answers: the whole page, or the fragment an htmx request asked for, always with
``Vary: HX-Request``; after a POST, the updated fragment in place or a 303 to the page."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, make_response, redirect, render_template, request, url_for


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


def render_fragment(fragment: str, status: int = 200, **context: Any) -> Response:
    """A fragment alone, for an endpoint only htmx asks (a polled badge, a row's update)."""
    response = make_response(render_template(fragment, **context), status)
    response.vary.add("HX-Request")
    return response


def with_oob(response: Response, fragment: str, **context: Any) -> Response:
    """Add an out-of-band region (a badge, a counter) to an htmx answer; a page needs none."""
    if wants_fragment():
        response.set_data(response.get_data(as_text=True) + render_template(fragment, oob=True, **context))
    return response


def fragment_or_see_other(fragment: str | None, endpoint_or_path: str, message: str | None = None,
                          anchor: str = "", status: int = 200, **context: Any) -> Response:
    """The answer to a POST: in place, the updated ``fragment`` (an empty answer when None: the
    element goes); otherwise ``message`` flashed and a 303 to the page."""
    if wants_fragment():
        if fragment is None:
            response = make_response("", status)
            response.vary.add("HX-Request")
            return response
        return render_fragment(fragment, status, **context)
    if message:
        flash(message, "success")
    return see_other(endpoint_or_path, anchor)
