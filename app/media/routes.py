from flask import Response, abort
from flask_login import current_user

from app.extensions import db
from app.media import bp
from app.media.models import Media
from app.media.services import media_access, media_size, media_url
from app.territories.context import scoped

bp.add_app_template_global(media_url, "media_url")
bp.add_app_template_global(media_size, "media_size")


@bp.get("/media/<token>")
def file(token: str) -> Response:
    """A media, as visible as the places that show it: a published publication's image is
    anyone's and kept by any cache; a draft's only its actor's members', never stored."""
    media = db.session.scalar(scoped(Media, Media.token == token))
    access = media_access(media, current_user) if media is not None else None
    if media is None or access is None:
        abort(404)
    response = Response(media.data, mimetype=media.content_type)
    if access == "public":
        response.headers["Cache-Control"] = "public, max-age=604800, immutable"
    else:
        response.headers["Cache-Control"] = "private, no-store"
        response.vary.add("Cookie")
    response.headers["Content-Disposition"] = "inline"
    return response
