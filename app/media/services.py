"""Image uploads: checked by content (not by name), size-limited, re-encoded by Pillow so that no
metadata (GPS position in EXIF...) or crafted payload survives."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from flask import current_app, g, url_for
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import inspect, select
from werkzeug.datastructures import FileStorage

from app.extensions import Base, db
from app.media.models import Media
from app.territories.models import Territory

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
MAX_PIXELS = 40_000_000
MAX_SIDE = 1600


class ImageError(ValueError):
    """An upload that is not an acceptable image; the message is shown to the user."""


def store_image(upload: FileStorage, territory_id: int, max_side: int = MAX_SIDE) -> Media:
    data = upload.read(current_app.config["MAX_IMAGE_BYTES"] + 1)
    if len(data) > current_app.config["MAX_IMAGE_BYTES"]:
        raise ImageError(_l("The image is too large (5 MB at most)."))
    if not data:
        raise ImageError(_l("The file is empty."))
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        image = Image.open(io.BytesIO(data))
        if image.format not in ACCEPTED_FORMATS:
            raise ImageError(_l("Please send a JPEG, PNG, WebP or GIF image."))
        if image.width * image.height > MAX_PIXELS:
            raise ImageError(_l("The image has too many pixels."))
        image = ImageOps.exif_transpose(image)
        image.thumbnail((max_side, max_side))
        has_alpha = image.mode in ("RGBA", "LA", "P")
        image = image.convert("RGBA" if has_alpha else "RGB")
        output = io.BytesIO()
        image.save(output, format="WEBP", quality=82, method=4)
    except ImageError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise ImageError(_l("This file is not an image we can read.")) from error
    media = Media(
        territory_id=territory_id,
        content_type="image/webp",
        data=output.getvalue(),
        width=image.width,
        height=image.height,
    )
    db.session.add(media)
    db.session.flush()
    return media


# --- who sees a media -------------------------------------------------------------------------


@dataclass(frozen=True)
class MediaUse:
    """A place that shows a media (a publication's image, an actor's logo): whether everyone
    sees it there and, when not, who does (the same rule as the place's own page)."""

    public: bool
    viewable_by: Callable[[Any], bool]


UseFinder = Callable[[Media], Iterable[MediaUse]]
_use_finders: dict[str, UseFinder] = {}


def use_media_finder(name: str, finder: UseFinder) -> None:
    """Plugged in by the app factory for each domain whose rows show media (publications,
    actors): they sit above this one, so they tell it where a media is shown."""
    _use_finders[name] = finder


def media_uses(media: Media) -> list[MediaUse]:
    uses = []
    territory = db.session.get(Territory, media.territory_id)  # the request's: no query
    if territory is not None and territory.logo_media_id == media.id:
        uses.append(MediaUse(public=True, viewable_by=lambda _user: True))
    for finder in _use_finders.values():
        uses.extend(finder(media))
    return uses


def media_access(media: Media, user: Any) -> Literal["public", "private"] | None:
    """"public" when a place everyone sees shows it (it may be kept by any cache), "private"
    when only ``user`` may see it where it is shown (a draft's image, for the actor's members),
    None when ``user`` may not see it (nor anyone, for a media shown nowhere)."""
    uses = media_uses(media)
    if any(use.public for use in uses):
        return "public"
    if any(use.viewable_by(user) for use in uses):
        return "private"
    return None


# --- where a media is -------------------------------------------------------------------------


@cache
def _media_columns() -> dict[type, tuple[str, ...]]:
    """Each model's attributes that hold a media id, found from the schema's keys to ``media``
    (a new model with an image needs nothing more)."""
    columns: dict[type, tuple[str, ...]] = {}
    for mapper in Base.registry.mappers:
        keys = tuple(
            attr.key for attr in mapper.column_attrs
            if any(key.column.table.name == Media.__tablename__ for column in attr.columns
                   for key in column.foreign_keys)
        )
        if keys:
            columns[mapper.class_] = keys
    return columns


def _media_ids_loaded() -> set[int]:
    """The media ids held by the rows this request has loaded (without loading anything)."""
    columns = _media_columns()
    found = set()
    for obj in list(db.session.identity_map.values()):
        keys = columns.get(type(obj))
        if keys:
            loaded = inspect(obj).dict
            found.update(loaded[key] for key in keys if loaded.get(key) is not None)
    return found


def media_token(media_id: int) -> str | None:
    """The token naming media ``media_id`` in its URL. The first asked in a request fetches, in
    one query, the tokens of every media the rows already loaded point to: a page of twenty
    cards with images costs one query, not twenty."""
    tokens: dict[int, str | None] = g.setdefault("media_tokens", {})
    if media_id not in tokens:
        sizes: dict[int, tuple[int, int]] = g.setdefault("media_sizes", {})
        wanted = ({media_id} | _media_ids_loaded()) - tokens.keys()
        tokens.update(dict.fromkeys(wanted))
        rows = db.session.execute(
            select(Media.id, Media.token, Media.width, Media.height).where(Media.id.in_(wanted))
        ).all()
        for row_id, token, width, height in rows:
            tokens[row_id] = token
            sizes[row_id] = (width, height)
    return tokens[media_id]


def media_size(media_id: int) -> tuple[int, int] | None:
    """Media ``media_id``'s width and height in pixels (fetched with its token: no query more),
    for an <img>'s ``width`` and ``height``, which keep its room while it loads."""
    media_token(media_id)
    return g.get("media_sizes", {}).get(media_id)  # type: ignore[no-any-return]


def media_url(media_id: int) -> str:
    """The URL of media ``media_id`` (templates: ``media_url(actor.logo_media_id)``)."""
    token = media_token(media_id)
    return url_for("media.file", token=token) if token else ""
