"""Response headers that hold on every page (a strict CSP and the usual hardening), on static
files too, and the answer to a rate-limited request: 429, ``Retry-After`` and a translated page.

Rate limits (``app.extensions.limiter``): log-in, registration and password reset per address
and per e-mail (app.accounts.routes); SMS codes; campaign creation per acting actor and per
address; the position check-in per person; and every endpoint answering scripts rather than
people, listed in ``SCRIPT_ENDPOINTS``, per person (per address when logged out: ``RATELIMIT_API``)."""

from __future__ import annotations

import hashlib
import math
import re
import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Flask, Response, g, jsonify, make_response, render_template, request
from flask_babel import ngettext
from markupsafe import escape
from werkzeug.exceptions import TooManyRequests
from whitenoise import WhiteNoise
from whitenoise.string_utils import decode_path_info

from app.extensions import limiter
from app.htmx import is_htmx

# Endpoints that answer scripts: JSON (the push subscription API of push.js and the service
# worker, the position check-in of location.js, the web app manifest) and what scripts fetch
# or poll (the audience estimate, the kiosk's items, the inbox badge, a campaign's progress,
# an export's progress, the service worker's "opened"). Each carries ``@limiter.limit(API_LIMIT, key_func=person_key)``;
# tests/core/test_rate_limits.py finds every view that answers JSON and checks it is here and
# limited, so a new JSON route cannot go without a limit.
SCRIPT_ENDPOINTS = frozenset(
    {
        # The open-data files and catalogue (app.opendata): read by harvesters and scripts.
        "opendata.download",
        "opendata.schema",
        "opendata.catalogue_jsonld",
        "campaigns.estimate_audience",
        "campaigns.progress",
        "inbox.badge",
        "delivery.open_message",
        "notifications.push_resubscribe",
        "notifications.push_subscribe",
        "notifications.push_unsubscribe",
        "places.check_in",
        "kiosks.kiosk_items",
        "privacy.export_status",
        "pwa.manifest",
        # Open311 GeoReport v2 (app.reports.routes_open311): JSON or XML for its clients.
        "reports.open311_discovery",
        "reports.open311_services",
        "reports.open311_service_definition",
        "reports.open311_requests",
        "reports.open311_post_request",
        "reports.open311_request",
        "reports.open311_token",
        "reports.public_geojson",
        # The report form's address suggestions (reports-address.js).
        "reports.address_suggestions",
        # The CSRF token a phone asks for before sending the reports it kept offline.
        "reports.outbox_token",
        # The read API (app.api.routes): public data as JSON, for any site's scripts.
        "api.openapi",
        "api.index",
        "api.territory",
        "api.hashtags",
        "api.actors",
        "api.actor",
        "api.publications",
        "api.publication",
        "api.occurrences",
        "api.reports",
        "api.not_found",
        "api.refuse_write",
    }
)

# Pages the service worker keeps for offline reading (service-worker.js, PAGE_PATTERNS): like
# every page they may show the person (their feed, name, role, a CSRF token), so they are
# private; but "no-cache", not "no-store", which the worker reads as "never keep".
OFFLINE_PAGES = frozenset(
    {
        "feed.for_you",
        "feed.everything",
        "feed.agenda",
        "actors.directory",
        "actors.page",
        "publications.show",
        "reports.new_report",  # the street report form, to report a problem offline
    }
)

IMG_SRC = "img-src 'self' data: blob:"
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        IMG_SRC,
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


# A map tile URL template: https, a host name (``{s}`` for a sub-domain letter), a path.
TILE_URL = re.compile(r"https://((?:\{s\}\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+)(:\d{1,5})?/[^\s'\";,]*")


def tile_source(tile_url: str) -> str | None:
    """The CSP source that lets a territory's map tiles load (``{s}.`` becomes ``*.``), or None
    for an empty or unusable URL."""
    match = TILE_URL.fullmatch((tile_url or "").strip())
    if match is None:
        return None
    host = match.group(1).replace("{s}.", "*.")
    return f"https://{host}{match.group(5) or ''}"


@lru_cache(maxsize=64)
def csp_with_tiles(tile_url: str) -> str:
    """The CSP of a territory with map tiles: the tile server is allowed in img-src, for the
    pages of that territory only."""
    source = tile_source(tile_url)
    return CSP.replace(IMG_SRC, f"{IMG_SRC} {source}") if source else CSP


def csp_with_frame(csp: str, host: str) -> str:
    """``csp`` that also lets a page frame ``https://host`` (an external survey the town allows):
    set by the one page that embeds it."""
    if not HOSTNAME_SOURCE.fullmatch(host or ""):
        return csp
    return f"{csp}; frame-src https://{host}"


HOSTNAME_SOURCE = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+")


def static_file_headers(headers: Any, _path: str, _url: str) -> None:
    """WhiteNoise's hook: static files answer before Flask, so they get their headers here."""
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"


# A file named by the hash of its content never changes under that name.
KEPT_FOR_GOOD = "public, max-age=31536000, immutable"


def fingerprint(data: bytes) -> str:
    """What ``?v=`` carries in a static file's URL: the start of its content's SHA-256."""
    return hashlib.sha256(data).hexdigest()[:12]


class VersionedStaticFiles(WhiteNoise):
    """WhiteNoise, with a static file whose URL carries ``?v=<fingerprint of its content>``
    kept for a year (the app links its files so: a deploy that changes one changes its URL).
    Without ``v``, WhiteNoise's short ``max_age``; with an old or wrong ``v`` (a page from
    before a deploy), the current file, revalidated each time, never kept under that URL.

    WhiteNoise computes its headers once per file, without the query string: the fingerprint
    is checked here, per request, against the file as it was when first asked for (the files
    are read once per process, as WhiteNoise's own list is)."""

    def __init__(self, application: Any, root: str, prefix: str, **options: Any) -> None:
        super().__init__(application, root=root, prefix=prefix, **options)
        self._root = Path(root)
        self._prefix = "/" + prefix.strip("/") + "/"
        self._fingerprints: dict[str, str] = {}
        self._lock = threading.Lock()

    def file_fingerprint(self, url: str) -> str:
        known = self._fingerprints.get(url)
        if known is None:
            with self._lock:
                relative = url[len(self._prefix):] if url.startswith(self._prefix) else ""
                known = fingerprint((self._root / relative).read_bytes()) if relative else ""
                self._fingerprints[url] = known
        return known

    def serve(self, static_file: Any, environ: dict[str, Any], start_response: Any) -> Any:  # type: ignore[override]
        version = parse_qs(environ.get("QUERY_STRING", "")).get("v")
        if not version:
            return WhiteNoise.serve(static_file, environ, start_response)
        path = decode_path_info(environ.get("PATH_INFO", ""))
        policy = KEPT_FOR_GOOD if version[-1] == self.file_fingerprint(path) else "no-cache"

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            kept = [(name, value) for name, value in headers if name.lower() != "cache-control"]
            return start_response(status, [*kept, ("Cache-Control", policy)], exc_info)

        return WhiteNoise.serve(static_file, environ, start)


def retry_after_seconds(error: TooManyRequests | None = None) -> int:
    """Seconds until the limit this request broke lets it through again (at least 1)."""
    breached = limiter.current_limit
    if breached is not None:
        # The window's own end: ``reset_at`` is a second later (truncated, plus one), which
        # said "61 seconds" for a limit per minute broken within a second.
        return max(1, math.ceil(breached.window.reset_time - time.time()))
    retry_after = getattr(error, "retry_after", None)
    if isinstance(retry_after, int | float):
        return max(1, math.ceil(retry_after))
    return 60


def wait_message(seconds: int) -> str:
    """"Please wait N seconds (or minutes) and try again.", in the person's language."""
    if seconds < 120:
        return ngettext("Please wait %(num)d second and try again.",
                        "Please wait %(num)d seconds and try again.", seconds)
    minutes = math.ceil(seconds / 60)
    return ngettext("Please wait %(num)d minute and try again.",
                    "Please wait %(num)d minutes and try again.", minutes)


def too_many_requests(error: TooManyRequests) -> Response:
    """A refused request: 429 with ``Retry-After``; JSON for a script, the fragment for htmx,
    otherwise the error page, each saying how long to wait."""
    seconds = retry_after_seconds(error)
    message = wait_message(seconds)
    if request.is_json or request.accept_mimetypes.best == "application/json":
        response = jsonify({"ok": False, "error": message, "message": message})
    else:
        template = "errors/_error.html" if is_htmx() else "errors/error.html"
        try:
            body = render_template(template, code=429, error=error, wait_message=message)
        except Exception:  # the error page itself must never fail (e.g. unknown host)
            body = f"<!doctype html><title>429</title><h1>429</h1><p>{escape(message)}</p>"
        response = make_response(body)
    response.status_code = 429
    response.headers["Retry-After"] = str(seconds)
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("HX-Request")
    return response


def install_rate_limit_page(app: Flask) -> None:
    app.register_error_handler(429, too_many_requests)


def install_security_headers(app: Flask) -> None:
    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        territory = getattr(g, "territory", None)
        tile_url = getattr(territory, "tile_url", "") if territory is not None else ""
        headers.setdefault("Content-Security-Policy", csp_with_tiles(tile_url) if tile_url else CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        # The embeddable pages (app.embed) name the sites that may frame them in their own
        # frame-ancestors and set ``g.frameable``; every other page refuses to be framed.
        if not getattr(g, "frameable", False):
            headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        return response


def install_cache_policy(app: Flask) -> None:
    @app.after_request
    def _private_unless_said(response: Response) -> Response:
        """A response that does not say how it may be kept (as media, icons and stylesheets do)
        is private and never stored: pages show the person's name, role, feed, messages and the
        session's CSRF token, and a shared cache must not hand them to someone else, nor the
        browser keep them after a log-out. The service worker's offline pages are revalidated
        instead (``OFFLINE_PAGES``)."""
        if "Cache-Control" in response.headers:
            return response
        offline_copy = request.endpoint in OFFLINE_PAGES and response.status_code == 200 and not is_htmx()
        response.headers["Cache-Control"] = "private, no-cache" if offline_copy else "private, no-store"
        response.vary.add("Cookie")
        return response


def safe_next(target: str | None, fallback: str, within: str = "/") -> str:
    """Where to go back to after a form: only a path of this site (starting with ``within``),
    never another host, scheme or protocol-relative URL (no open redirect), never a control
    character (browsers drop tabs and newlines: ``/\\t/evil.test`` is ``//evil.test`` to them);
    else ``fallback``. Never raises, whatever the value (``//[`` is not a URL at all)."""
    target = (target or "").strip()
    if (
        not target.startswith(within)
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 32 or ord(c) == 127 for c in target)
    ):
        return fallback
    try:
        parts = urlsplit(target)
    except ValueError:
        return fallback
    if parts.scheme or parts.netloc:
        return fallback
    return target.rstrip("?") or fallback
