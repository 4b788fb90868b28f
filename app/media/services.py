"""Image uploads: checked by content (not by name), size-limited, re-encoded by Pillow so that no
metadata (GPS position in EXIF...) or crafted payload survives."""

from __future__ import annotations

import io

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.media.models import Media

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
