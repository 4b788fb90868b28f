"""The town's choice of the observatory's parts published for everyone."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from app.forms import MultiCheckboxField

SECTION_LABELS = {
    "mix": _l("Who lives here and who passes through"),
    "hashtags": _l("What people care about"),
    "footfall": _l("Footfall"),
    "consultations": _l("Consultations over time"),
}


class PublishingForm(FlaskForm):
    sections = MultiCheckboxField(_l("Parts published for everyone"),
                                  choices=[SelectChoice(key, label) for key, label in SECTION_LABELS.items()])
