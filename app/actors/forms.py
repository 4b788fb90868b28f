"""Forms of the actors domain (Flask-WTF: CSRF on every POST)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    FloatField,
    Form,
    FormField,
    HiddenField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import (
    URL,
    DataRequired,
    Email,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from app.actors.models import ACTOR_KINDS, MEMBER_ROLES, POWERED_KINDS
from app.actors.services import WEEKDAYS
from app.forms import ConfirmForm, NoBidiControls

KIND_LABELS = {
    "town_service": _l("Town service"),
    "association": _l("Association"),
    "merchant": _l("Merchant"),
    "culture": _l("Culture"),
    "tourism_office": _l("Tourism office"),
    "school": _l("School"),
    "sports_club": _l("Sports club"),
}
ROLE_LABELS = {"owner": _l("Owner"), "editor": _l("Editor")}
assert set(KIND_LABELS) == set(ACTOR_KINDS)

_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$")
IMAGE_ACCEPT = "image/jpeg,image/png,image/webp,image/gif"


def kind_choices() -> list[tuple[str, Any]]:
    return [(kind, KIND_LABELS[kind]) for kind in ACTOR_KINDS]


def open_kind_choices(current: str | None = None) -> list[tuple[str, Any]]:
    """The kinds an actor may choose itself: not those that carry powers (the town gives them),
    except the one it already has."""
    return [
        (kind, KIND_LABELS[kind])
        for kind in ACTOR_KINDS
        if kind not in POWERED_KINDS or kind == current
    ]


def role_choices() -> list[tuple[str, Any]]:
    return [(role, ROLE_LABELS[role]) for role in MEMBER_ROLES]


def http_url(form: Any, field: Any) -> None:
    if field.data and urlsplit(field.data).scheme.lower() not in {"http", "https"}:
        raise ValidationError(_l("Give an address starting with http:// or https://."))


class DayHoursForm(Form):
    """One weekday: up to two ranges, each an opening and a closing time (HH:MM)."""

    open1 = StringField(_l("Opens"), render_kw={"type": "time"})
    close1 = StringField(_l("Closes"), render_kw={"type": "time"})
    open2 = StringField(_l("Opens again"), render_kw={"type": "time"})
    close2 = StringField(_l("Closes again"), render_kw={"type": "time"})

    def validate(self, extra_validators: Any = None) -> bool:  # type: ignore[override]
        ok = super().validate(extra_validators)
        for opens, closes in ((self.open1, self.close1), (self.open2, self.close2)):
            for f in (opens, closes):
                f.data = (f.data or "").strip()
                if f.data and not _TIME.match(f.data):
                    f.errors = [*f.errors, _l("Use the HH:MM format, e.g. 09:30.")]
                    ok = False
                elif f.data:
                    f.data = f.data[:5]
            if bool(opens.data) != bool(closes.data):
                missing = closes if opens.data else opens
                missing.errors = [
                    *missing.errors,
                    _l("Give both the opening and the closing time."),
                ]
                ok = False
            elif opens.data and opens.data == closes.data and opens.data != "00:00":
                closes.errors = [
                    *closes.errors,
                    _l(
                        "The closing time must differ from the opening time (00:00 to 00:00 means all day)."
                    ),
                ]
                ok = False
        return ok

    def ranges(self) -> list[list[str]]:
        return [
            [opens.data, closes.data]
            for opens, closes in ((self.open1, self.close1), (self.open2, self.close2))
            if opens.data and closes.data
        ]


class OpeningHoursForm(Form):
    mon = FormField(DayHoursForm)
    tue = FormField(DayHoursForm)
    wed = FormField(DayHoursForm)
    thu = FormField(DayHoursForm)
    fri = FormField(DayHoursForm)
    sat = FormField(DayHoursForm)
    sun = FormField(DayHoursForm)

    def to_dict(self) -> dict[str, list[list[str]]]:
        hours = {day: self[day].form.ranges() for day in WEEKDAYS}
        return {day: ranges for day, ranges in hours.items() if ranges}

    @staticmethod
    def data_from(hours: dict[str, list[list[str]]]) -> dict[str, dict[str, str]]:
        data = {}
        for day in WEEKDAYS:
            ranges = hours.get(day, [])
            row = {}
            for i, (opens, closes) in enumerate(ranges[:2], start=1):
                row[f"open{i}"], row[f"close{i}"] = opens, closes
            data[day] = row
        return data


class ActorCreateForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120), NoBidiControls()])
    kind = SelectField(_l("Kind"), choices=open_kind_choices, validators=[DataRequired()])
    summary = TextAreaField(
        _l("Summary"),
        validators=[Optional(), Length(max=280)],
        render_kw={"rows": 2, "maxlength": 280},
    )
    address = StringField(_l("Address"), validators=[Optional(), Length(max=255)])
    phone = StringField(
        _l("Phone"),
        validators=[
            Optional(),
            Length(max=40),
            Regexp(r"^[0-9+().\s-]+$", message=_l("Only digits, spaces and + ( ) . -")),
        ],
        render_kw={"type": "tel"},
    )
    email = EmailField(_l("E-mail"), validators=[Optional(), Email(), Length(max=254)])
    website = URLField(
        _l("Website"), validators=[Optional(), Length(max=255), http_url, URL(require_tld=False)]
    )


class ActorEditForm(ActorCreateForm):
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=20000)], render_kw={"rows": 8}
    )
    lat = FloatField(
        _l("Latitude"),
        validators=[Optional(), NumberRange(min=-90, max=90)],
        render_kw={"inputmode": "decimal"},
    )
    lon = FloatField(
        _l("Longitude"),
        validators=[Optional(), NumberRange(min=-180, max=180)],
        render_kw={"inputmode": "decimal"},
    )
    neighbourhood = SelectField(_l("Neighbourhood"), choices=[], validate_choice=False)
    hashtags = SelectMultipleField(
        _l("Hashtags"),
        choices=[],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    hours = FormField(OpeningHoursForm)
    logo = FileField(_l("Logo"), render_kw={"accept": IMAGE_ACCEPT})
    photo = FileField(_l("Photo"), render_kw={"accept": IMAGE_ACCEPT})
    photo_alt = StringField(
        _l("Photo description"),
        validators=[Optional(), Length(max=250, message=_l("At most %(max)d characters."))],
    )
    # A shop's commerce declarations (shown on its page, in "open now" and Near me).
    click_and_collect = BooleanField(_l("Orders can be collected in the shop (click-and-collect)"))
    click_and_collect_note = StringField(
        _l("How to order and collect"),
        validators=[Optional(), Length(max=200, message=_l("At most %(max)d characters."))],
        render_kw={"maxlength": 200},
    )
    delivers = BooleanField(_l("The shop delivers"))
    delivery_note = StringField(
        _l("Where and how the shop delivers"),
        validators=[Optional(), Length(max=200, message=_l("At most %(max)d characters."))],
        render_kw={"maxlength": 200},
    )

    def commerce_fields(self) -> dict[str, Any]:
        """The declarations to save: a note goes with its declaration only (unticked, no note)."""
        collect, delivers = bool(self.click_and_collect.data), bool(self.delivers.data)
        return {
            "click_and_collect": collect,
            "click_and_collect_note": (self.click_and_collect_note.data or "").strip() if collect else "",
            "delivers": delivers,
            "delivery_note": (self.delivery_note.data or "").strip() if delivers else "",
        }

    def validate_neighbourhood(self, field: Any) -> None:
        if field.data and field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Not a valid choice."))

    def validate_lon(self, field: Any) -> None:
        if (self.lat.data is None) != (field.data is None):
            raise ValidationError(_l("Give both the latitude and the longitude, or neither."))


class KindForm(FlaskForm):
    """The town sets an actor's kind (the only way to a kind that carries powers)."""

    kind = SelectField(_l("Kind"), choices=kind_choices)


class InviteForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(_l("Role"), choices=role_choices, default="editor")


class ReturningConfirmForm(ConfirmForm):
    """A button (follow, remove, accept) that may say where to go back to."""

    next = HiddenField()


class MemberRoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=role_choices)


class SwitchRoleForm(FlaskForm):
    actor_id = StringField(validators=[Optional(), Regexp(r"^\d{0,18}$")])  # a database id at most


class DirectoryForm(Form):
    """The directory's GET filters: no CSRF, never "invalid" (unknown values are ignored)."""

    q = SearchField(_l("Search"))
    kind = SelectField(_l("Kind"), choices=[], validate_choice=False)
    hashtag = SelectField(_l("Hashtag"), choices=[], validate_choice=False)
    neighbourhood = SelectField(_l("Neighbourhood"), choices=[], validate_choice=False)
