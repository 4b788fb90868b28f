"""The form that names a new screen."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from app.forms import NoBidiControls


class KioskForm(FlaskForm):
    label = StringField(
        _l("Where the screen is"),
        validators=[InputRequired(message=_l("Name the screen, e.g. \"Office window\".")),
                    Length(max=80, message=_l("At most %(max)d characters.")), NoBidiControls()],
    )
