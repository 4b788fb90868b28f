"""What makes a territory installable: its web app manifest and its icons, drawn with Pillow."""

from __future__ import annotations

import hashlib
import io
import threading
import unicodedata
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from PIL import Image, ImageDraw, ImageFont

from app.colours import hex_to_rgb, text_colour_on
from app.extensions import db
from app.media.models import Media
from app.territories.models import Territory
from app.territories.scoping import same_territory

ICON_SIZES = (192, 512)
MASKABLE_SIZE = 512

# Generated icons by (territory id, logo media id, colour, size, purpose). A territory changing
# its logo or colour gets new keys, so nothing needs invalidating; the cap bounds memory.
_ICON_CACHE: dict[tuple[Any, ...], bytes] = {}
_ICON_CACHE_MAX = 256
_ICON_LOCK = threading.Lock()


def icon_version(territory: Territory) -> str:
    """A short fingerprint of what the icons are drawn from, so their URLs change with them."""
    source = f"{territory.id}:{territory.logo_media_id}:{territory.primary_color}:{territory.name}"
    return hashlib.sha256(source.encode()).hexdigest()[:10]


def short_name(name: str, limit: int = 12) -> str:
    """Home screens cut long names; keep the first word(s) that fit."""
    if len(name) <= limit:
        return name
    words, kept = name.split(), ""
    for word in words:
        candidate = f"{kept} {word}".strip()
        if len(candidate) > limit:
            break
        kept = candidate
    return kept or name[:limit]


def build_manifest(territory: Territory) -> dict[str, Any]:
    version = icon_version(territory)
    description = territory.tagline or _(
        "News, events and offers from every local actor of %(name)s.", name=territory.name
    )
    return {
        "id": "/",
        "name": territory.name,
        "short_name": short_name(territory.name),
        "description": description,
        "lang": territory.default_language,
        "dir": "ltr",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "background_color": "#f6f7f9",
        "theme_color": territory.primary_color,
        "categories": ["news", "lifestyle", "travel"],
        "icons": [
            *(
                {
                    "src": url_for("pwa.icon", size=size, v=version),
                    "sizes": f"{size}x{size}",
                    "type": "image/png",
                    "purpose": "any",
                }
                for size in ICON_SIZES
            ),
            {
                "src": url_for("pwa.maskable_icon", v=version),
                "sizes": f"{MASKABLE_SIZE}x{MASKABLE_SIZE}",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
        "shortcuts": [
            {
                "name": _("Agenda"),
                "short_name": _("Agenda"),
                "description": _("Upcoming events, day by day"),
                "url": url_for("feed.agenda"),
                "icons": [{"src": url_for("pwa.icon", size=192, v=version), "sizes": "192x192", "type": "image/png"}],
            },
            {
                "name": _("Directory"),
                "short_name": _("Directory"),
                "description": _("Every local actor: shops, associations, services"),
                "url": url_for("actors.directory"),
                "icons": [{"src": url_for("pwa.icon", size=192, v=version), "sizes": "192x192", "type": "image/png"}],
            },
        ],
    }


def icon_png(territory: Territory, size: int, maskable: bool = False) -> bytes:
    """The territory's icon as PNG bytes: its logo if it has one, else its initial on its colour."""
    key = (territory.id, territory.logo_media_id, territory.primary_color, territory.name, size, maskable)
    cached = _ICON_CACHE.get(key)
    if cached is not None:
        return cached
    logo = db.session.get(Media, territory.logo_media_id) if territory.logo_media_id else None
    if logo is not None and same_territory(logo, territory):
        image = _logo_icon(logo.data, size, maskable)
    else:
        image = _initial_icon(territory.name, territory.primary_color, size, maskable)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    data = buffer.getvalue()
    with _ICON_LOCK:
        if len(_ICON_CACHE) >= _ICON_CACHE_MAX:
            _ICON_CACHE.clear()
        _ICON_CACHE[key] = data
    return data


def _initial(name: str) -> str:
    """The first letter of the name, without accent (the bundled font has plain Latin letters)."""
    for char in unicodedata.normalize("NFKD", name.strip()):
        if char.isalnum():
            return char.upper()
    return "T"


def _initial_icon(name: str, colour: str, size: int, maskable: bool) -> Image.Image:
    background = hex_to_rgb(colour)
    image = Image.new("RGB", (size, size), background)
    draw = ImageDraw.Draw(image)
    # A maskable icon may be cropped to a circle of 80 % of its size: keep the letter well inside.
    font = ImageFont.load_default(size=int(size * (0.42 if maskable else 0.6)))
    draw.text((size / 2, size / 2), _initial(name), fill=text_colour_on(background), font=font, anchor="mm")
    return image


def _logo_icon(data: bytes, size: int, maskable: bool) -> Image.Image:
    canvas = Image.new("RGB", (size, size), (255, 255, 255))
    try:
        with Image.open(io.BytesIO(data)) as source:
            logo = source.convert("RGBA")
    except Exception:  # a stored logo is already checked; never fail an icon on it
        return canvas
    inner = int(size * (0.6 if maskable else 0.88))
    logo.thumbnail((inner, inner), Image.Resampling.LANCZOS)
    offset = ((size - logo.width) // 2, (size - logo.height) // 2)
    canvas.paste(logo, offset, logo)
    return canvas
