"""The town's choice of what it publishes as open data."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, Length, Optional

from app.forms import MultiCheckboxField, strip
from app.opendata.datasets import DATASETS
from app.opendata.services import LICENCES


class OpenDataForm(FlaskForm):
    datasets = MultiCheckboxField(
        _l("Datasets published for everyone"),
        choices=[SelectChoice(dataset.id, dataset.title) for dataset in DATASETS.values()],
    )
    licence = RadioField(_l("Licence"), choices=[SelectChoice(licence.key, licence.label) for licence in LICENCES.values()],
                         default="etalab-2.0")
    contact_email = EmailField(
        _l("Contact address for the catalogue"), filters=[strip],
        validators=[Optional(), Email(), Length(max=254)],
        description=_l("The town's address (a service's mailbox), never a person's own: it is published in the "
                       "catalogue."),
    )
