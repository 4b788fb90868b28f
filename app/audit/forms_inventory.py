"""The form of a data source of the town's inventory."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, Length, Optional, ValidationError

from app.audit.journey import DEFAULT_STEPS
from app.audit.services_inventory import FORMAT_LABELS, FRESHNESS_LABELS, LEGAL_BASIS_LABELS
from app.forms import MultiCheckboxField, NoBidiControls, strip

AT_MOST = _l("At most %(max)d characters.")


class DataSourceForm(FlaskForm):
    name = StringField(_l("Name of the source"), filters=[strip], validators=[
        DataRequired(message=_l("Give the source a name.")), Length(max=120, message=AT_MOST), NoBidiControls()])
    owner = StringField(_l("Owner (a service of the town or a partner)"), filters=[strip],
                        validators=[Optional(), Length(max=120, message=AT_MOST)])
    measures = TextAreaField(_l("What it measures"), filters=[strip],
                             validators=[DataRequired(message=_l("Say what the source measures.")),
                                         Length(max=500, message=AT_MOST)])
    format = SelectField(_l("Format"), choices=[SelectChoice(k, v) for k, v in FORMAT_LABELS.items()],
                         default="csv")
    freshness = SelectField(_l("Freshness"), choices=[SelectChoice(k, v) for k, v in FRESHNESS_LABELS.items()],
                            default="monthly")
    last_updated = DateField(_l("Last update (optional)"), validators=[Optional()],
                             render_kw={"type": "date"})
    personal_data = BooleanField(_l("It holds personal data"))
    legal_basis = SelectField(_l("Legal basis under the GDPR"),
                              choices=[SelectChoice(k, v) for k, v in LEGAL_BASIS_LABELS.items()], default="none")
    legal_note = StringField(_l("Note on the legal basis (optional)"), filters=[strip],
                             validators=[Optional(), Length(max=300, message=AT_MOST)])
    open_data = BooleanField(_l("Published as open data"))
    open_data_url = StringField(_l("Address of the open data (optional)"), filters=[strip], validators=[
        Optional(), Length(max=500, message=AT_MOST),
        URL(require_tld=True, message=_l("Give the full address, starting with https://."))],
        render_kw={"type": "url", "inputmode": "url"})
    steps = MultiCheckboxField(_l("Journey steps it informs"),
                               choices=[SelectChoice(code, name) for code, name in DEFAULT_STEPS])
    notes = TextAreaField(_l("Notes (optional)"), filters=[strip],
                          validators=[Optional(), Length(max=2000, message=AT_MOST)])

    def validate_open_data_url(self, field: Any) -> None:
        if field.data and urlsplit(field.data).scheme.lower() not in {"http", "https"}:
            raise ValidationError(_l("Give the full address, starting with https://."))

    def validate_legal_basis(self, field: Any) -> None:
        if self.personal_data.data and field.data == "none":
            raise ValidationError(_l("A source with personal data needs a legal basis: choose one."))
        if not self.personal_data.data and field.data != "none":
            raise ValidationError(_l("Without personal data no legal basis is needed: choose “None needed” "
                                     "or tick “It holds personal data”."))

    def validate_steps(self, field: Any) -> None:
        if not field.data:
            raise ValidationError(_l("Choose at least one step of the journey."))
