"""Forms of places: a picked point (residence, "Near me")."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FloatField
from wtforms.validators import InputRequired, NumberRange


class PointForm(FlaskForm):
    lat = FloatField(
        _l("Latitude"),
        validators=[InputRequired(message=_l("Pick a point on the map or type a latitude.")),
                    NumberRange(min=-90, max=90, message=_l("Between -90 and 90."))],
    )
    lon = FloatField(
        _l("Longitude"),
        validators=[InputRequired(message=_l("Pick a point on the map or type a longitude.")),
                    NumberRange(min=-180, max=180, message=_l("Between -180 and 180."))],
    )
