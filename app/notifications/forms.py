"""Forms of the notifications page: limits (cap and quiet hours), e-mail, SMS, mutes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, NumberRange, ValidationError

from app.forms import optional_int, strip
from app.notifications.models import MAX_DAILY_CAP
from app.timezones import parse_hhmm


class LimitsForm(FlaskForm):
    daily_cap = IntegerField(
        _l("Messages a day, at most"),
        validators=[
            InputRequired(_l("Choose a number from 0 to 10.")),
            NumberRange(0, MAX_DAILY_CAP, _l("Choose a number from 0 to 10.")),
        ],
    )
    quiet_enabled = BooleanField(_l("Keep quiet hours"))
    quiet_start = StringField(_l("Quiet hours start at"), filters=[strip])
    quiet_end = StringField(_l("Quiet hours end at"), filters=[strip])

    def _check_time(self, field: StringField) -> None:
        if self.quiet_enabled.data and parse_hhmm(field.data) is None:
            raise ValidationError(_l("Enter a time such as 21:00."))

    def validate_quiet_start(self, field: StringField) -> None:
        self._check_time(field)

    def validate_quiet_end(self, field: StringField) -> None:
        self._check_time(field)
        if (
            self.quiet_enabled.data
            and parse_hhmm(field.data) is not None
            and parse_hhmm(field.data) == parse_hhmm(self.quiet_start.data)
        ):
            raise ValidationError(_l("Quiet hours must end at another time than they start."))


class EmailForm(FlaskForm):
    enabled = BooleanField(_l("Send me messages by e-mail"))



class PhoneForm(FlaskForm):
    phone = StringField(
        _l("Mobile phone number"),
        filters=[strip],
        validators=[DataRequired(_l("Enter your mobile phone number."))],
    )


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code received by SMS"),
        filters=[strip],
        validators=[DataRequired(_l("Enter the 6-digit code."))],
    )


class MuteHashtagForm(FlaskForm):
    hashtag = SelectField(
        _l("Hashtag"),
        coerce=optional_int,
        validate_choice=False,
        validators=[DataRequired(_l("Choose a hashtag."))],
    )

    def validate_hashtag(self, field: SelectField) -> None:
        if field.data not in {value for value, _label in (field.choices or [])}:
            raise ValidationError(_l("Choose a hashtag."))
