from flask import Response, render_template

from app.territories import bp
from app.territories.context import current_territory


@bp.get("/theme.css")
def theme_css() -> Response:
    """The territory's colours as CSS variables: a stylesheet, so no inline style is needed."""
    css = render_template("territories/theme.css", territory=current_territory())
    response = Response(css, mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
