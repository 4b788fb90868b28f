from flask import Response

from app.media import bp
from app.media.models import Media
from app.territories.context import get_scoped_or_404


@bp.get("/media/<int:media_id>")
def file(media_id: int) -> Response:
    media = get_scoped_or_404(Media, media_id)
    response = Response(media.data, mimetype=media.content_type)
    response.headers["Cache-Control"] = "public, max-age=604800, immutable"
    response.headers["Content-Disposition"] = "inline"
    return response
