"""The publication forms: one per kind, sharing the common fields."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import g
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FloatField,
    IntegerField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    URL,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from app.forms import MultiCheckboxField, NoBidiControls
from app.geo import normalised_zone, radius_problem
from app.publications.recurrence import WEEKDAYS as WEEKDAY_CODES
from app.publications.recurrence import Repeat, parse_repeat
from app.publications.services import resolve_hashtags
from app.territories.context import current_zone
from app.territories.models import POPULATION_LABELS, POPULATION_TYPES
from app.territories.services import check_area, embed_allowed
from app.timezones import DATETIME_LOCAL_FORMATS


def local_datetime_field(label: str, required: bool) -> DateTimeLocalField:
    return DateTimeLocalField(
        label,
        validators=[InputRequired(message=_l("Please give a date and time."))] if required else [Optional()],
        format=DATETIME_LOCAL_FORMATS,
        tz=current_zone,  # dates are typed on the town's clock
        invalid_value_message=_l("Please give a valid date and time."),
    )


class PublicationForm(FlaskForm):
    """Fields common to news, events and offers."""

    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(message=_l("Please give a title.")),
            Length(max=160, message=_l("At most %(max)d characters.")),
            NoBidiControls(),
        ],
    )
    summary = TextAreaField(
        _l("Summary"),
        validators=[Length(max=280, message=_l("At most %(max)d characters."))],
        render_kw={"rows": 3},
    )
    body_md = TextAreaField(
        _l("Text"),
        validators=[Length(max=20000, message=_l("At most %(max)d characters."))],
        render_kw={"rows": 10},
    )
    hashtags = StringField(_l("Hashtags"), validators=[Length(max=500)])
    image = FileField(_l("Image"), render_kw={"accept": "image/jpeg,image/png,image/webp,image/gif"})
    image_alt = StringField(
        _l("Image description"),
        validators=[Length(max=250, message=_l("At most %(max)d characters."))],
    )
    remove_image = BooleanField(_l("Remove the current image"))

    resolved_hashtags: list = []

    def validate_hashtags(self, field: StringField) -> None:
        found, unknown = resolve_hashtags(g.territory, field.data)
        self.resolved_hashtags = found
        if unknown:
            raise ValidationError(
                ngettext(
                    "%(tags)s is not in the town's hashtag catalogue.",
                    "%(tags)s are not in the town's hashtag catalogue.",
                    len(unknown),
                    tags=", ".join(f"#{tag}" for tag in unknown),
                )
            )


class PlaceMixin:
    """A place name and optional coordinates (both or neither); optionally the zone where it
    applies: a radius around the coordinates, or a drawn polygon."""

    lat = FloatField(
        _l("Latitude"),
        validators=[Optional(), NumberRange(min=-90, max=90, message=_l("Between -90 and 90."))],
    )
    lon = FloatField(
        _l("Longitude"),
        validators=[Optional(), NumberRange(min=-180, max=180, message=_l("Between -180 and 180."))],
    )

    radius_m = IntegerField(
        _l("Radius in metres (optional)"),
        validators=[Optional()],
        invalid_value_message=_l("Type the radius as a whole number of metres, e.g. 300."),
    )
    zone_geojson = TextAreaField(_l("…or a drawn zone (optional)"), render_kw={"rows": 4})

    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def]
        valid: bool = super().validate(extra_validators)  # type: ignore[misc]
        lat, lon, radius, zone = self.lat, self.lon, self.radius_m, self.zone_geojson
        if not (lat.errors or lon.errors) and (lat.data is None) != (lon.data is None):
            missing = lon if lon.data is None else lat
            missing.errors = [*missing.errors, _l("Give both latitude and longitude, or neither.")]
            valid = False
        problem = radius_problem(radius.data) if not radius.errors else None
        if problem:
            radius.errors = [*radius.errors, problem]
            valid = False
        elif radius.data is not None and (lat.data is None or lon.data is None):
            radius.errors = [*radius.errors, _l("A radius needs the latitude and longitude of its centre.")]
            valid = False
        text = (zone.data or "").strip()
        if text:
            if radius.data is not None:
                zone.errors = [*zone.errors, _l("Give a radius or a drawn zone, not both.")]
                valid = False
            else:
                checked = check_area(text, within=g.territory)
                if checked.ok:
                    zone.data = normalised_zone(checked.geometry)  # type: ignore[arg-type]
                else:
                    zone.errors = [*zone.errors, *checked.errors]
                    valid = False
        else:
            zone.data = None
        return valid


class NewsForm(PublicationForm):
    pass


class EventForm(PlaceMixin, PublicationForm):
    starts_at = local_datetime_field(_l("Starts"), required=True)
    ends_at = local_datetime_field(_l("Ends"), required=True)
    place_name = StringField(
        _l("Place"),
        validators=[
            DataRequired(message=_l("Please say where it takes place.")),
            Length(max=160, message=_l("At most %(max)d characters.")),
            NoBidiControls(),
        ],
    )

    # Repeats (the weekly market, the pool's sessions): stored as an RFC 5545 RRULE.
    repeat = RadioField(
        _l("Repeats"),
        choices=[SelectChoice("none", _l("Does not repeat")), SelectChoice("daily", _l("Every day")),
                 SelectChoice("weekly", _l("Every week")), SelectChoice("monthly", _l("Every month"))],
        default="none",
    )
    repeat_interval = IntegerField(
        _l("Every how many days, weeks or months"),
        default=1,
        validators=[Optional(), NumberRange(min=1, max=52, message=_l("Between 1 and 52."))],
        invalid_value_message=_l("Type a whole number, e.g. 2 for every other week."),
    )
    repeat_weekdays = MultiCheckboxField(_l("On"), validate_choice=False)
    repeat_until = DateField(_l("Until (included)"), validators=[Optional()],
                             invalid_value_message=_l("Please give a valid date."))
    repeat_count = IntegerField(
        _l("…or this many times"),
        validators=[Optional(), NumberRange(min=1, max=500, message=_l("Between 1 and 500."))],
        invalid_value_message=_l("Type a whole number, e.g. 10."),
    )

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.repeat_weekdays.choices = weekday_choices()

    def validate_ends_at(self, field: DateTimeLocalField) -> None:
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("The end must be after the start."))

    def validate_repeat_until(self, field: DateField) -> None:
        if self.repeat.data == "none" or field.data is None:
            return
        if self.repeat_count.data:
            raise ValidationError(_l("Give an end date or a number of times, not both."))
        if self.starts_at.data and field.data < self.starts_at.data.date():
            raise ValidationError(_l("The last day must not be before the first."))

    def validate_repeat_weekdays(self, field: MultiCheckboxField) -> None:
        field.data = [day for day in WEEKDAY_CODES if day in (field.data or [])]

    def repeat_choice(self) -> Repeat:
        if self.repeat.data not in ("daily", "weekly", "monthly"):
            return Repeat()
        return Repeat(
            frequency=self.repeat.data,
            interval=self.repeat_interval.data or 1,
            weekdays=tuple(self.repeat_weekdays.data or ()) if self.repeat.data == "weekly" else (),
            until=self.repeat_until.data,
            count=None if self.repeat_until.data else self.repeat_count.data,
        )

    def show_repeat(self, rrule: str, tz: object) -> None:
        """Fill the repeat fields from a stored RRULE (the edit page)."""
        choice = parse_repeat(rrule, tz)
        self.repeat.data = choice.frequency
        self.repeat_interval.data = choice.interval
        self.repeat_weekdays.data = list(choice.weekdays)
        self.repeat_until.data = choice.until
        self.repeat_count.data = choice.count



def weekday_choices() -> list[tuple[str, str]]:
    labels = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
              _l("Saturday"), _l("Sunday"))
    return [(code, str(label)) for code, label in zip(WEEKDAY_CODES, labels, strict=True)]


def population_choices() -> list[tuple[str, str]]:
    return [(kind, str(POPULATION_LABELS[kind])) for kind in POPULATION_TYPES]


class OfferForm(PlaceMixin, PublicationForm):
    valid_from = local_datetime_field(_l("Valid from"), required=True)
    valid_until = local_datetime_field(_l("Valid until"), required=True)
    place_name = StringField(
        _l("Place (optional)"),
        validators=[Optional(), Length(max=160, message=_l("At most %(max)d characters.")), NoBidiControls()],
    )

    is_welcome_offer = BooleanField(_l("Welcome offer: send it once to people who enter the zone"))
    welcome_population_types = MultiCheckboxField(_l("Who is welcomed"), validate_choice=False)

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.welcome_population_types.choices = population_choices()

    def validate_valid_until(self, field: DateTimeLocalField) -> None:
        if self.valid_from.data and field.data and field.data <= self.valid_from.data:
            raise ValidationError(_l("The end of validity must be after its start."))

    def validate_welcome_population_types(self, field: MultiCheckboxField) -> None:
        field.data = [kind for kind in POPULATION_TYPES if kind in (field.data or [])]
        if self.is_welcome_offer.data and not field.data:
            raise ValidationError(_l("Choose who the welcome offer is for, e.g. tourists and visitors."))

    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def]
        valid = super().validate(extra_validators)
        if self.is_welcome_offer.data and not self.zone_geojson.errors and not self.radius_m.errors \
                and not self.zone_geojson.data and self.radius_m.data is None:
            self.is_welcome_offer.errors = [
                *self.is_welcome_offer.errors,
                _l("A welcome offer needs a zone: a radius around its place or a drawn zone."),
            ]
            valid = False
        return valid


class PollForm(PlaceMixin, PublicationForm):
    """A poll's frame (its questions are written next, app.polls): when it is open, when
    respondents see the results, an optional zone (a place poll, shown in Near me to people who
    are there or live there), or an external survey it invites to instead."""

    valid_from = local_datetime_field(_l("Opens"), required=True)
    valid_until = local_datetime_field(_l("Closes"), required=True)
    place_name = StringField(
        _l("Place (optional)"),
        validators=[Optional(), Length(max=160, message=_l("At most %(max)d characters.")), NoBidiControls()],
    )
    starts_at = local_datetime_field(_l("A date for the agenda (optional)"), required=False)
    ends_at = local_datetime_field(_l("Until (optional)"), required=False)
    poll_results = RadioField(
        _l("Respondents see the results"),
        choices=[SelectChoice("live", _l("As the answers come in")),
                 SelectChoice("closed", _l("Once the poll has closed"))],
        default="live",
    )
    survey_url = StringField(
        _l("External survey (optional)"),
        validators=[
            Optional(),
            Length(max=500, message=_l("At most %(max)d characters.")),
            URL(require_tld=True, message=_l("Give the survey's full address, starting with https://.")),
        ],
        description=_l("If the town's survey tool holds the questions, give its address: the poll "
                       "then invites people to it instead of asking questions here."),
    )
    survey_embed = BooleanField(_l("Show the survey inside the page (only from hosts the town allows)"))

    def validate_valid_until(self, field: DateTimeLocalField) -> None:
        if self.valid_from.data and field.data and field.data <= self.valid_from.data:
            raise ValidationError(_l("The closing time must be after the opening time."))

    def validate_ends_at(self, field: DateTimeLocalField) -> None:
        if field.data and not self.starts_at.data:
            raise ValidationError(_l("Give the date first."))
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("The end must be after the start."))

    def validate_survey_url(self, field: StringField) -> None:
        if field.data and not field.data.lower().startswith("https://"):
            raise ValidationError(_l("Give the survey's full address, starting with https://."))

    def validate_survey_embed(self, field: BooleanField) -> None:
        if field.data and not self.survey_url.errors:
            if not self.survey_url.data:
                raise ValidationError(_l("Give the survey's address to show it inside the page."))
            if not embed_allowed(g.territory, self.survey_url.data):
                raise ValidationError(_l(
                    "The town does not show surveys from %(host)s inside its pages. Untick this box "
                    "to link to the survey instead, or ask the town to add this host in its settings.",
                    host=_host_of(self.survey_url.data),
                ))


def _host_of(url: str) -> str:
    try:
        return urlsplit((url or "").strip()).hostname or "?"
    except ValueError:
        return "?"


FORMS: dict[str, type[PublicationForm]] = {
    "news": NewsForm, "event": EventForm, "offer": OfferForm, "poll": PollForm,
}

# The fields each kind stores (besides hashtags and image).
KIND_FIELDS = {
    "news": ("title", "summary", "body_md", "image_alt"),
    "event": ("title", "summary", "body_md", "image_alt", "starts_at", "ends_at", "place_name", "lat", "lon",
              "radius_m", "zone_geojson"),
    "offer": ("title", "summary", "body_md", "image_alt", "valid_from", "valid_until", "place_name", "lat", "lon",
              "radius_m", "zone_geojson", "is_welcome_offer", "welcome_population_types"),
    "poll": ("title", "summary", "body_md", "image_alt", "valid_from", "valid_until", "starts_at", "ends_at",
             "place_name", "lat", "lon",
             "radius_m", "zone_geojson", "poll_results", "survey_url", "survey_embed"),
}

