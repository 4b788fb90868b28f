"""The commerce audit's forms: a round, a step's name, one step's five angles, an action of the
plan, an invitation and the comparison's opt-in."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from app.audit import indicators_rounds as indicators
from app.audit.journey import ANGLES, MATURITY
from app.audit.models_rounds import ACTION_STATUSES
from app.forms import strip

ACTION_STATUS_LABELS = {
    "planned": _l("Planned"),
    "in_progress": _l("In progress"),
    "done": _l("Done"),
    "dropped": _l("Dropped"),
}
ROUND_STATUS_LABELS = {
    "draft": _l("Draft"),
    "in_progress": _l("In progress"),
    "completed": _l("Completed"),
}
NOT_ASSESSED = "none"


class RoundForm(FlaskForm):
    title = StringField(_l("Title"), filters=[strip], validators=[DataRequired(), Length(max=120)])
    held_on = DateField(_l("Date"), validators=[DataRequired()])


class StepNameForm(FlaskForm):
    name = StringField(_l("Name of the step"), filters=[strip], validators=[DataRequired(), Length(max=120)])


def _maturity_choices() -> list[SelectChoice]:
    return [SelectChoice(NOT_ASSESSED, _l("Not assessed")),
            *(SelectChoice(str(level), _l("%(level)d – %(name)s", level=level, name=name)) for level, name in MATURITY)]


class StepAssessmentForm(FlaskForm):
    """One step under its five angles: ``<angle>_maturity``, ``<angle>_evidence``, ``<angle>_notes``."""


for _code, _name, _hint in ANGLES:
    setattr(StepAssessmentForm, f"{_code}_maturity",
            RadioField(_l("Maturity"), choices=_maturity_choices(), default=NOT_ASSESSED))
    setattr(StepAssessmentForm, f"{_code}_evidence",
            TextAreaField(_l("Evidence"), filters=[strip], validators=[Length(max=4000)]))
    setattr(StepAssessmentForm, f"{_code}_notes",
            TextAreaField(_l("Notes"), filters=[strip], validators=[Length(max=4000)]))


class AttachmentForm(FlaskForm):
    file = FileField(_l("Attach a file (an image or a PDF, 5 MB at most)"), validators=[FileRequired()])


class ActionForm(FlaskForm):
    step_id = SelectField(_l("Step"), coerce=int)
    angle = SelectField(_l("Angle"), choices=[SelectChoice(code, name) for code, name, _hint in ANGLES])
    title = StringField(_l("Title"), filters=[strip], validators=[DataRequired(), Length(max=160)])
    description = TextAreaField(_l("Description"), filters=[strip], validators=[Length(max=4000)])
    owner = StringField(_l("Owner (a service or a partner)"), filters=[strip], validators=[Length(max=120)])
    budget_eur = DecimalField(_l("Budget (EUR)"), places=2, validators=[Optional(), NumberRange(min=0, max=10**9)])
    due_on = DateField(_l("Due date"), validators=[Optional()])
    status = SelectField(_l("Status"), choices=[SelectChoice(code, ACTION_STATUS_LABELS[code]) for code in ACTION_STATUSES],
                         default="planned")
    indicator = SelectField(_l("Indicator from the platform"), choices=[], default="")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.indicator.choices = [SelectChoice(code, name) for code, name in indicators.choices()]


class InviteForm(FlaskForm):
    email = EmailField(_l("E-mail address of an account of the town"), filters=[strip],
                       validators=[DataRequired(), Email(), Length(max=254)])


class CompareForm(FlaskForm):
    compare = BooleanField(_l("Compare my rounds anonymously with other towns"))
