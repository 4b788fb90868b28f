"""The installable app: manifest, icons, the shell's stylesheet bundle, the service worker
(served at the site root) and the offline page."""

from __future__ import annotations

import json

from flask import Response, abort, render_template, request

from app.extensions import API_LIMIT, limiter, person_key
from app.pwa import assets, bp
from app.pwa.services import ICON_SIZES, build_manifest, icon_png
from app.territories.context import current_territory

# The page shell's (_shell.html) <link> and <script> tags come from the shell's one list.
bp.add_app_template_global(assets.head_urls, "shell_head_urls")
bp.add_app_template_global(assets.static_url, "static_url")
bp.add_app_template_global(assets.page_scripts, "page_scripts")


@bp.get("/manifest.webmanifest")
@limiter.limit(API_LIMIT, key_func=person_key)
def manifest() -> Response:
    body = json.dumps(build_manifest(current_territory()), ensure_ascii=False, indent=1)
    response = Response(body, mimetype="application/manifest+json")
    # In the person's language (their profile's, through the session): never a shared copy.
    response.headers["Cache-Control"] = "private, no-cache"
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


@bp.get("/styles.css")
def stylesheet() -> Response:
    """Every page's styles in one file. Its URL carries the bundle's hash, so the current one is
    kept for a year; an old or missing hash (a page from before a deploy) gets the current
    styles, revalidated each time."""
    shell = assets.shell()
    response = Response(shell.stylesheet, mimetype="text/css")
    if request.args.get("v") == shell.stylesheet_hash:
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    else:
        response.headers["Cache-Control"] = "no-cache"
    response.set_etag(shell.stylesheet_hash)
    return response.make_conditional(request)


@bp.get("/service-worker.js")
def service_worker() -> Response:
    # The browser revalidates it on every check for an update: a new version of any shell file
    # changes the filled-in version, hence these bytes, and the worker installs again.
    response = Response(assets.service_worker_script(), mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/offline")
def offline() -> str:
    return render_template("pwa/offline.html")
