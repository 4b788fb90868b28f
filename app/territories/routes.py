from flask import Response, render_template

from app.colours import text_hex_on
from app.territories import bp
from app.territories.context import current_territory


@bp.get("/theme.css")
def theme_css() -> Response:
    """The territory's colours as CSS variables: a stylesheet, so no inline style is needed."""
    territory = current_territory()
    css = render_template("territories/theme.css", territory=territory,
                          on_primary=text_hex_on(territory.primary_color),
                          on_accent=text_hex_on(territory.accent_color))
    response = Response(css, mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
