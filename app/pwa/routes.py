"""The installable app: manifest, icons, service worker (served at the site root) and offline page."""

from __future__ import annotations

import json

from flask import Response, abort, render_template, request

from app.config import ROOT
from app.extensions import API_LIMIT, limiter, person_key
from app.pwa import bp
from app.pwa.services import ICON_SIZES, build_manifest, icon_png
from app.territories.context import current_territory

SERVICE_WORKER_DIR = ROOT / "service-worker"


@bp.get("/manifest.webmanifest")
@limiter.limit(API_LIMIT, key_func=person_key)
def manifest() -> Response:
    body = json.dumps(build_manifest(current_territory()), ensure_ascii=False, indent=1)
    response = Response(body, mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    response.add_etag()
    return response.make_conditional(request)


def _png(data: bytes) -> Response:
    response = Response(data, mimetype="image/png")
    # The manifest links them with ?v=<fingerprint>; the bare URL (base.html) changes rarely.
    response.headers["Cache-Control"] = "public, max-age=86400"
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/icons/<int:size>.png")
def icon(size: int) -> Response:
    if size not in ICON_SIZES:
        abort(404)
    return _png(icon_png(current_territory(), size))


@bp.get("/icons/maskable-512.png")
def maskable_icon() -> Response:
    return _png(icon_png(current_territory(), 512, maskable=True))


@bp.get("/service-worker.js")
def service_worker() -> Response:
    # Read whole (a few kB): the browser revalidates it on every check for an update.
    source = (SERVICE_WORKER_DIR / "service-worker.js").read_bytes()
    response = Response(source, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/offline")
def offline() -> str:
    return render_template("pwa/offline.html")
