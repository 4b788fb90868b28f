"""Response headers that hold on every page: a strict CSP and the usual hardening."""

from __future__ import annotations

import re
from functools import lru_cache

from flask import Flask, Response, g, request

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


def install_security_headers(app: Flask) -> None:
    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        territory = getattr(g, "territory", None)
        tile_url = getattr(territory, "tile_url", "") if territory is not None else ""
        headers.setdefault("Content-Security-Policy", csp_with_tiles(tile_url) if tile_url else CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        return response
