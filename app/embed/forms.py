"""The town admin's form of the sites allowed to embed (Flask-WTF: CSRF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length, Optional


class EmbedSettingsForm(FlaskForm):
    origins = TextAreaField(
        _l("Sites allowed to embed"), validators=[Optional(), Length(max=4000)], render_kw={"rows": 4},
    )
