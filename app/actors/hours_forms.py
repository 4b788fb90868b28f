"""The form of an exception to opening hours (Flask-WTF: CSRF on every POST)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, FormField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.actors.forms import DayHoursForm
from app.actors.hours import MAX_EXCEPTION_DAYS
from app.forms import NoBidiControls


class HoursExceptionForm(FlaskForm):
    """A holiday or a special day (or several days in a row): closed, or special hours."""

    label = StringField(
        _l("What is it?"),
        validators=[DataRequired(message=_l("Say what the day is, e.g. Christmas or Inventory.")),
                    Length(max=80), NoBidiControls()],
    )
    starts_on = DateField(
        _l("From"), validators=[DataRequired(message=_l("Give the date, e.g. 25/12/2026."))],
    )
    ends_on = DateField(_l("Until (included)"), validators=[Optional()])
    closed = RadioField(
        _l("That day"),
        choices=[SelectChoice("closed", _l("Closed all day")), SelectChoice("special", _l("Special hours"))],
        default="closed",
    )
    hours = FormField(DayHoursForm)

    def validate(self, extra_validators: Any = None) -> bool:  # type: ignore[override]
        ok = super().validate(extra_validators)
        starts, ends = self.starts_on.data, self.ends_on.data
        if starts and ends:
            if ends < starts:
                self.ends_on.errors = [*self.ends_on.errors, _l("The last day cannot come before the first.")]
                ok = False
            elif ends - starts > timedelta(days=MAX_EXCEPTION_DAYS):
                self.ends_on.errors = [*self.ends_on.errors, _l("At most one year at a time.")]
                ok = False
        if self.closed.data == "special" and not self.hours.form.ranges() and not self.hours.errors:
            self.hours.form.open1.errors = [
                *self.hours.form.open1.errors, _l("Give the special hours, or choose closed all day."),
            ]
            ok = False
        return ok

    def special_hours(self) -> list[list[str]]:
        return self.hours.form.ranges() if self.closed.data == "special" else []
