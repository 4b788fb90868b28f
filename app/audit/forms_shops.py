"""The shop's self-assessment form (Flask-WTF: CSRF on every POST), and the options' labels."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.audit.models_shops import HOURS_UP_TO_DATE, LISTED_ONLINE, LOYALTY, OFFER, PAYMENT
from app.forms import MultiCheckboxField

QUESTION_LABELS = {
    "listed_online": _l("Where can people find your shop online?"),
    "hours_up_to_date": _l("Do you keep your opening hours up to date online?"),
    "click_and_collect": _l("Do you offer click-and-collect?"),
    "delivery": _l("Do you deliver?"),
    "payment": _l("Which payments do you accept?"),
    "loyalty": _l("How do you keep your customers loyal?"),
}
OPTION_LABELS = {
    "listed_online": {"own_site": _l("Own website"), "marketplace": _l("A marketplace"),
                      "social": _l("Social networks"), "none": _l("Nowhere")},
    "hours_up_to_date": {"yes": _l("Yes"), "sometimes": _l("Sometimes"), "no": _l("No")},
    "click_and_collect": {"yes": _l("Yes"), "planned": _l("Planned"), "no": _l("No")},
    "delivery": {"yes": _l("Yes"), "planned": _l("Planned"), "no": _l("No")},
    "payment": {"cash": _l("Cash"), "card": _l("Card"), "contactless": _l("Contactless"),
                "mobile": _l("Mobile payment"), "instant_transfer": _l("Instant transfer")},
    "loyalty": {"card": _l("A loyalty card"), "app": _l("An app"), "none": _l("None"), "other": _l("Other")},
}
CHOOSE_ONE = _l("Choose an answer.")


def _choices(question: str, codes: tuple[str, ...]) -> list[SelectChoice]:
    return [SelectChoice(code, OPTION_LABELS[question][code]) for code in codes]


class ShopAnswerForm(FlaskForm):
    listed_online = MultiCheckboxField(QUESTION_LABELS["listed_online"],
                                       choices=_choices("listed_online", LISTED_ONLINE))
    hours_up_to_date = RadioField(QUESTION_LABELS["hours_up_to_date"],
                                  choices=_choices("hours_up_to_date", HOURS_UP_TO_DATE),
                                  validators=[DataRequired(message=CHOOSE_ONE)])
    click_and_collect = RadioField(QUESTION_LABELS["click_and_collect"],
                                   choices=_choices("click_and_collect", OFFER),
                                   validators=[DataRequired(message=CHOOSE_ONE)])
    delivery = RadioField(QUESTION_LABELS["delivery"], choices=_choices("delivery", OFFER),
                          validators=[DataRequired(message=CHOOSE_ONE)])
    payment = MultiCheckboxField(QUESTION_LABELS["payment"], choices=_choices("payment", PAYMENT))
    loyalty = RadioField(QUESTION_LABELS["loyalty"], choices=_choices("loyalty", LOYALTY),
                         validators=[DataRequired(message=CHOOSE_ONE)])
    comment = TextAreaField(_l("Anything to add (optional)"),
                            validators=[Optional(), Length(max=2000)], render_kw={"rows": 3})
    town_may_see = BooleanField(_l("The town may see my own answers"))

    def validate_listed_online(self, field: Any) -> None:
        if not field.data:
            raise ValidationError(_l("Choose at least one answer."))
        if "none" in field.data and len(field.data) > 1:
            raise ValidationError(_l("“Nowhere” goes alone."))

    def validate_payment(self, field: Any) -> None:
        if not field.data:
            raise ValidationError(_l("Choose at least one answer."))

    def answers(self) -> dict[str, Any]:
        return {
            "listed_online": list(self.listed_online.data or []),
            "hours_up_to_date": self.hours_up_to_date.data,
            "click_and_collect": self.click_and_collect.data,
            "delivery": self.delivery.data,
            "payment": list(self.payment.data or []),
            "loyalty": self.loyalty.data,
            "comment": self.comment.data or "",
            "town_may_see": bool(self.town_may_see.data),
        }
