"""The campaign form: what, to whom (criteria), on which channels, when."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import time
from typing import Any

from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FloatField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.actors.models import Actor
from app.campaigns.criteria import Criteria, CriteriaError, parse_criteria, population_label
from app.campaigns.models import BODY_MAX, CHANNELS, TITLE_MAX
from app.campaigns.permissions import can_send_alerts
from app.campaigns.services import (
    CampaignDraft,
    Schedule,
    first_run_at,
    linkable_publications,
)
from app.forms import MultiCheckboxField, NoBidiControls
from app.i18n import LANGUAGE_NAMES
from app.models_common import utcnow
from app.territories.context import current_zone
from app.territories.models import POPULATION_TYPES, Territory
from app.timezones import DATETIME_LOCAL_FORMATS, local_date, parse_hhmm

# The push payload (title, text, link, actor, icon, token) must stay under 4 KB once encrypted;
# these limits keep it well under.
PAGE_LINK = "page"
# The composer's steps, in order: the message, who receives it, how and when, the review.
STEPS = ("what", "who", "when", "review")


@dataclass(frozen=True)
class Summary:
    """The composer's review: every choice of the form in words, valid or not yet."""

    title: str
    body: str
    link: str
    criteria: list[str]
    channels: list[str]
    schedule: str
    is_alert: bool


def channel_label(channel: str) -> str:
    return {
        "push": _("Web push notification"),
        "email": _("E-mail"),
        "sms": _("SMS"),
        "inbox": _("In-app inbox"),
    }.get(channel, channel)


def weekday_names() -> list[tuple[str, str]]:
    names = [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]
    return [SelectChoice(str(i), name) for i, name in enumerate(names)]


class CampaignForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(message=_l("Please give a title.")),
            Length(max=TITLE_MAX, message=_l("At most %(max)d characters.")),
            NoBidiControls(),
        ],
    )
    body = TextAreaField(
        _l("Text"),
        validators=[
            DataRequired(message=_l("Please write the message.")),
            Length(max=BODY_MAX, message=_l("At most %(max)d characters.")),
        ],
        render_kw={"rows": 4},
    )
    link = SelectField(_l("The message leads to"), validate_choice=False)

    hashtags = MultiCheckboxField(_l("are interested in"), coerce=int, validate_choice=False)
    hashtag_mode = RadioField(
        _l("How many of these hashtags"),
        choices=[
            SelectChoice("any", _l("any of the ticked hashtags")),
            SelectChoice("all", _l("all of the ticked hashtags")),
        ],
        default="any",
        validate_choice=False,
    )
    followers = BooleanField(_l("follow this actor"))
    neighbourhoods = MultiCheckboxField(_l("live in"), coerce=int, validate_choice=False)
    population = MultiCheckboxField(_l("are"), validate_choice=False)
    languages = MultiCheckboxField(_l("use the app in"), validate_choice=False)
    # "are in this zone right now": a drawn zone, or a circle (centre and radius)
    present_zone = TextAreaField(_l("are in this zone right now"), render_kw={"rows": 3})
    present_lat = FloatField(_l("Latitude of the centre"), validators=[Optional()],
                             invalid_value_message=_l("Type a latitude in degrees, e.g. 43.175."))
    present_lon = FloatField(_l("Longitude of the centre"), validators=[Optional()],
                             invalid_value_message=_l("Type a longitude in degrees, e.g. 5.605."))
    present_radius = IntegerField(_l("Radius in metres"), validators=[Optional()],
                                  invalid_value_message=_l("Type the radius as a whole number of metres, e.g. 300."))
    # "live in this drawn zone"
    resident_zone = TextAreaField(_l("live in this drawn zone"), render_kw={"rows": 3})

    channels = MultiCheckboxField(_l("Channels"), validate_choice=False)
    when = RadioField(
        _l("When"),
        choices=[
            SelectChoice("now", _l("Now")),
            SelectChoice("at", _l("At a date and time")),
            SelectChoice("weekly", _l("Every week")),
        ],
        default="now",
        validate_choice=False,
    )
    send_at = DateTimeLocalField(
        _l("Date and time"), validators=[Optional()], format=DATETIME_LOCAL_FORMATS, tz=current_zone,
        invalid_value_message=_l("Please give a valid date and time."),
    )
    weekday = SelectField(_l("Every"), validate_choice=False, default="4")
    at_time = TimeField(_l("at"), validators=[Optional()], default=time(9, 0))
    repeat_until = DateField(_l("until"), validators=[Optional()])
    is_alert = BooleanField(_l("Civic alert"))

    def __init__(self, actor: Actor, territory: Territory, catalogue: list[Any], hoods: list[Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.actor = actor
        self.territory = territory
        self.hashtags.choices = [SelectChoice(h.id, h.label) for h in catalogue]
        self.neighbourhoods.choices = [SelectChoice(n.id, n.name) for n in hoods]
        self.population.choices = [SelectChoice(p, population_label(p)) for p in POPULATION_TYPES]
        self.languages.choices = [
            SelectChoice(c, LANGUAGE_NAMES.get(c, c)) for c in territory.enabled_languages
        ]
        self.channels.choices = [SelectChoice(c, channel_label(c)) for c in CHANNELS]
        self.link.choices = [SelectChoice(PAGE_LINK, _("The page of %(actor)s", actor=actor.name))] + [
            SelectChoice(str(p.id), p.title) for p in linkable_publications(actor)
        ]
        self.weekday.choices = weekday_names()
        self.criteria: Criteria | None = None
        self.criteria_errors: list[str] = []  # about the criteria as a whole

    # --- criteria ---------------------------------------------------------------------------

    def criteria_data(self) -> dict[str, Any]:
        rules: list[dict[str, Any]] = []
        if self.hashtags.data:
            rules.append({"kind": "hashtags", "ids": list(self.hashtags.data), "mode": self.hashtag_mode.data or "any"})
        if self.followers.data:
            rules.append({"kind": "followers"})
        if self.neighbourhoods.data:
            rules.append({"kind": "neighbourhoods", "ids": list(self.neighbourhoods.data)})
        if self.population.data:
            rules.append({"kind": "population", "types": list(self.population.data)})
        if self.languages.data:
            rules.append({"kind": "language", "codes": list(self.languages.data)})
        present_zone = (self.present_zone.data or "").strip()
        circle = {"lat": self.present_lat.data, "lon": self.present_lon.data, "radius_m": self.present_radius.data}
        if present_zone or any(v is not None for v in circle.values()):
            rules.append({"kind": "present_in_zone", "zone": present_zone,
                          **{k: v for k, v in circle.items() if v is not None}})
        if (self.resident_zone.data or "").strip():
            rules.append({"kind": "lives_in_zone", "zone": self.resident_zone.data.strip()})
        return {"match": "all", "rules": rules}

    def parse_criteria(self) -> Criteria | None:
        """The criteria, or None with the error put next to the field at fault."""
        try:
            criteria = parse_criteria(self.criteria_data(), self.territory)
        except CriteriaError as error:
            field = self._criteria_field(error.kind)
            if field is None:
                self.criteria_errors.append(error.message)
            else:
                field.errors = [*field.errors, error.message]
            return None
        if not criteria.rules:
            self.criteria_errors.append(_("Choose at least one criterion."))
            return None
        self.criteria = criteria
        return criteria

    def criteria_fields(self) -> list[Any]:
        return [self.hashtags, self.followers, self.neighbourhoods, self.population, self.languages,
                self.present_zone, self.present_lat, self.present_lon, self.present_radius,
                self.resident_zone]

    def _criteria_field(self, kind: str | None) -> Any:
        return {
            "hashtags": self.hashtags,
            "followers": self.followers,
            "neighbourhoods": self.neighbourhoods,
            "population": self.population,
            "language": self.languages,
            "present_in_zone": self.present_zone,
            "lives_in_zone": self.resident_zone,
        }.get(kind or "")

    def fill_criteria(self, data: dict[str, Any]) -> None:
        for rule in data.get("rules", []):
            kind = rule.get("kind")
            if kind == "hashtags":
                self.hashtags.data = rule.get("ids", [])
                self.hashtag_mode.data = rule.get("mode", "any")
            elif kind == "followers":
                self.followers.data = True
            elif kind == "neighbourhoods":
                self.neighbourhoods.data = rule.get("ids", [])
            elif kind == "population":
                self.population.data = rule.get("types", [])
            elif kind == "language":
                self.languages.data = rule.get("codes", [])
            elif kind == "present_in_zone":
                if rule.get("zone"):
                    self.present_zone.data = json.dumps(rule["zone"], separators=(",", ":"))
                else:
                    self.present_lat.data = rule.get("lat")
                    self.present_lon.data = rule.get("lon")
                    self.present_radius.data = rule.get("radius_m")
            elif kind == "lives_in_zone" and rule.get("zone"):
                self.resident_zone.data = json.dumps(rule["zone"], separators=(",", ":"))

    # --- the composer ------------------------------------------------------------------------

    def _fields_by_step(self) -> dict[str, tuple[Any, ...]]:
        return {
            "what": (self.title, self.body, self.link),
            "who": (*self.criteria_fields(), self.hashtag_mode),
            "when": (self.channels, self.when, self.send_at, self.weekday, self.at_time, self.repeat_until,
                     self.is_alert),
        }

    def problems(self) -> list[tuple[str, str, str]]:
        """Every error as (step, what it is about, message), in the composer's order."""
        found: list[tuple[str, str, str]] = []
        for step, fields in self._fields_by_step().items():
            found += [(step, str(f.label.text), str(error)) for f in fields for error in f.errors]
            if step == "who":
                found += [(step, _("Who receives it"), str(error)) for error in self.criteria_errors]
        if "csrf_token" in self:  # the form as a whole (an expired page): shown with the buttons
            found += [("review", _("The form"), str(error)) for error in self.csrf_token.errors]
        return found

    def step_with_errors(self) -> str | None:
        """The first step holding an error: the composer opens there after a refused post."""
        problems = self.problems()
        return problems[0][0] if problems else None

    def summary(self) -> Summary:
        criteria = self.criteria
        if criteria is None:
            try:
                criteria = parse_criteria(self.criteria_data(), self.territory)
            except CriteriaError:
                criteria = None
        return Summary(
            title=(self.title.data or "").strip(),
            body=(self.body.data or "").strip(),
            link=next((str(c.label) for c in self.link.choices or [] if c.value == self.link.data), ""),
            criteria=criteria.describe() if criteria is not None else [],
            channels=[channel_label(c) for c in self.channels.data or [] if c in CHANNELS],
            schedule=self.schedule_line(),
            is_alert=bool(self.is_alert.data),
        )

    def schedule_line(self) -> str:
        """When, in words, from what the form holds (the same words as a saved campaign's)."""
        when = self.when.data
        if when == "at":
            if self.send_at.data is None:
                return _("At a date and time still to be chosen")
            return _("On %(when)s", when=format_datetime(self.send_at.data, "medium"))
        if when == "weekly":
            day = next((c.label for c in weekday_names() if c.value == self.weekday.data), "")
            at = self.at_time.data.strftime("%H:%M") if self.at_time.data else ""
            line = _("Every %(day)s at %(time)s", day=day, time=at)
            if self.repeat_until.data:
                line += " " + _("until %(date)s", date=format_date(self.repeat_until.data, "long"))
            return line
        return _("Right away")

    # --- whole-form validation --------------------------------------------------------------

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        criteria = self.parse_criteria()
        valid = valid and criteria is not None
        chosen = [c for c in (self.channels.data or []) if c in CHANNELS]
        if not chosen:
            self.channels.errors = [*self.channels.errors, _("Choose at least one channel.")]
            valid = False
        elif len(chosen) != len(self.channels.data or []):
            self.channels.errors = [*self.channels.errors, _("Unknown channel.")]
            valid = False
        if self.link.data not in {choice.value for choice in self.link.choices or []}:
            self.link.errors = [*self.link.errors, _("Choose one of your publications or your page.")]
            valid = False
        if self.is_alert.data and not can_send_alerts(self.actor):
            self.is_alert.errors = [*self.is_alert.errors, _("Only a verified town service can send civic alerts.")]
            valid = False
        return self._validate_when() and valid

    def _validate_when(self) -> bool:
        now = utcnow()
        when = self.when.data
        if when == "now":
            return True
        if when == "at":
            if self.send_at.errors:
                return False
            if self.send_at.data is None:
                self.send_at.errors = [_("Please give a date and time.")]
                return False
            if self.send_at.data <= now:
                self.send_at.errors = [_("This moment is already past.")]
                return False
            return True
        if when == "weekly":
            ok = True
            if self.weekday.data not in {str(i) for i in range(7)}:
                self.weekday.errors = [_("Choose a day of the week.")]
                ok = False
            if self.at_time.data is None:
                if not self.at_time.errors:
                    self.at_time.errors = [_("Please give a time.")]
                ok = False
            if self.repeat_until.data is None:
                if not self.repeat_until.errors:
                    self.repeat_until.errors = [_("Please say until when.")]
                ok = False
            elif self.repeat_until.data < local_date(now, self.territory):
                self.repeat_until.errors = [_("This date is already past.")]
                ok = False
            if ok and self.schedule().kind == "weekly":
                if first_run_at(self.territory, self.schedule(), now) is None:
                    self.repeat_until.errors = [_("No such day before this date.")]
                    ok = False
            return ok
        self.when.errors = [_("Choose when to send.")]
        return False

    def schedule(self) -> Schedule:
        when = self.when.data
        if when == "at":
            return Schedule(kind="at", send_at=self.send_at.data)
        if when == "weekly":
            return Schedule(
                kind="weekly",
                weekday=int(self.weekday.data),
                at_time=self.at_time.data,
                until=self.repeat_until.data,
            )
        return Schedule(kind="now")

    def draft(self) -> CampaignDraft:
        assert self.criteria is not None
        link = self.link.data
        return CampaignDraft(
            title=self.title.data.strip(),
            body=self.body.data.strip(),
            publication_id=None if link == PAGE_LINK else int(link),
            criteria=self.criteria,
            channels=list(self.channels.data),
            schedule=self.schedule(),
            is_alert=bool(self.is_alert.data),
        )

    def fill_from(self, campaign: Any) -> None:
        """Pre-fill the form with a saved campaign (GET of the edit page)."""
        self.title.data = campaign.title
        self.body.data = campaign.body
        self.link.data = str(campaign.publication_id) if campaign.publication_id else PAGE_LINK
        self.fill_criteria(campaign.criteria)
        self.channels.data = campaign.channels
        self.when.data = campaign.schedule_kind
        self.is_alert.data = campaign.is_alert
        if campaign.schedule_kind == "at" and campaign.send_at:
            self.send_at.data = campaign.send_at
        if campaign.schedule_kind == "weekly":
            self.weekday.data = str(campaign.repeat_weekday)
            if campaign.repeat_time:
                self.at_time.data = parse_hhmm(campaign.repeat_time)
            if campaign.repeat_until:
                self.repeat_until.data = local_date(campaign.repeat_until, self.territory)
