"""The forms of feed subscriptions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from app.forms import NoBidiControls
from app.imports.services import KIND_LABELS, REQUESTED_KINDS


class SubscriptionForm(FlaskForm):
    url = StringField(
        _l("Address of the feed"),
        validators=[DataRequired(message=_l("Please give the address of the feed.")),
                    Length(max=1000, message=_l("At most %(max)d characters.")), NoBidiControls()],
    )
    kind = SelectField(_l("Kind of feed"), choices=[SelectChoice(k, KIND_LABELS[k]) for k in REQUESTED_KINDS], default="auto")
    hashtags = StringField(_l("Hashtags given to what it imports"),
                           validators=[Length(max=300, message=_l("At most %(max)d characters."))])


class TownSubscriptionForm(SubscriptionForm):
    """The town adds a feed for one of its actors (a tourist office's agenda for the
    association it lists, say)."""

    actor_id = SelectField(_l("Published as"), coerce=int, validate_choice=False)


class DeleteForm(FlaskForm):
    imported = RadioField(
        _l("What it imported"),
        choices=[SelectChoice("keep", _l("Keep the publications it imported (they stay, as yours)")),
                 SelectChoice("withdraw", _l("Withdraw the publications it imported (they are archived)"))],
        default="keep",
        validators=[DataRequired(message=_l("Please choose."))],
    )
