"""The question editor's form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from app.forms import NoBidiControls
from app.polls.models import OPTIONS_MAX

KIND_LABELS = {
    "single": _l("One answer among several"),
    "multiple": _l("Several answers among several"),
    "scale": _l("A scale (1 to 5, or 0 to 10)"),
    "ranking": _l("A ranking of the answers"),
    "text": _l("A short text"),
}


class QuestionForm(FlaskForm):
    kind = RadioField(_l("Kind of question"), choices=[SelectChoice(k, v) for k, v in KIND_LABELS.items()],
                      default="single")
    text = StringField(
        _l("Question"),
        validators=[DataRequired(message=_l("Please write the question.")),
                    Length(max=300, message=_l("At most %(max)d characters.")), NoBidiControls()],
    )
    help_text = StringField(_l("Help (optional)"), validators=[Length(max=300, message=_l("At most %(max)d characters."))])
    required = BooleanField(_l("An answer is required"), default=True)
    options = TextAreaField(
        _l("Answers to choose from, one per line"), render_kw={"rows": 5},
        description=_l("For one answer, several answers and rankings: between 2 and 12."),
    )
    scale_max = SelectField(_l("Scale"), choices=[SelectChoice("5", _l("1 to 5")), SelectChoice("10", _l("0 to 10"))],
                            default="5")

    option_labels: list[str] = []

    def validate_options(self, field: TextAreaField) -> None:
        labels = []
        for line in (field.data or "").splitlines():
            label = line.strip()
            if label and label not in labels:
                labels.append(label)
        self.option_labels = labels
        if self.kind.data in ("single", "multiple", "ranking"):
            if len(labels) < 2:
                raise ValidationError(_l("Give at least two answers to choose from, one per line."))
            if len(labels) > OPTIONS_MAX:
                raise ValidationError(_l("At most %(max)d answers.", max=OPTIONS_MAX))
            if any(len(label) > 160 for label in labels):
                raise ValidationError(_l("Each answer has at most 160 characters."))
