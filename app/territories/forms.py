"""Forms of the territory administration. Checks that need the database or shapely live in
services.py; the routes add their messages to the field they concern."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import FloatField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.forms import MultiCheckboxField, NoBidiControls
from app.territories.models import RELEASE_BOUNDS

LANGUAGE_CHOICES = [SelectChoice("fr", "Français"), SelectChoice("nl", "Nederlands"), SelectChoice("en", "English")]


class SettingsForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120), NoBidiControls()])
    tagline = StringField(_l("Tagline"), validators=[Optional(), Length(max=200), NoBidiControls()])
    primary_color = StringField(_l("Main colour"), validators=[DataRequired(), Length(max=7)])
    accent_color = StringField(_l("Accent colour"), validators=[DataRequired(), Length(max=7)])
    timezone = StringField(_l("Time zone"), validators=[DataRequired(), Length(max=64)])
    default_language = SelectField(_l("Default language"), choices=LANGUAGE_CHOICES)
    enabled_languages = MultiCheckboxField(_l("Enabled languages"), choices=LANGUAGE_CHOICES)
    hosts = TextAreaField(_l("Host names (one a line)"), validators=[DataRequired()])
    tile_url = StringField(_l("Map tiles (URL template)"), validators=[Optional(), Length(max=255)])
    survey_hosts = TextAreaField(_l("Hosts whose surveys may be shown inside poll pages (one a line)"),
                                 validators=[Optional(), Length(max=2000)], render_kw={"rows": 3})
    logo = FileField(_l("Logo (square image)"))
    # How counts of people are released (app.releases.engine), within RELEASE_BOUNDS; a field
    # left out keeps its value.
    release_epsilon = FloatField(
        _l("Privacy spent per released count (epsilon)"),
        validators=[Optional(), NumberRange(*RELEASE_BOUNDS["release_epsilon"])])
    release_daily_budget = FloatField(
        _l("Privacy budget of each actor and of the town, per day"),
        validators=[Optional(), NumberRange(*RELEASE_BOUNDS["release_daily_budget"])])
    established_after_days = IntegerField(
        _l("An account counts after (days)"),
        validators=[Optional(), NumberRange(*RELEASE_BOUNDS["established_after_days"])])
    presence_window_minutes = IntegerField(
        _l("A count of people present stands for (minutes)"),
        validators=[Optional(), NumberRange(*RELEASE_BOUNDS["presence_window_minutes"])])
    statistics_window_minutes = IntegerField(
        _l("A campaign's figures are updated every (minutes)"),
        validators=[Optional(), NumberRange(*RELEASE_BOUNDS["statistics_window_minutes"])])
    min_zone_radius_m = IntegerField(
        _l("Smallest zone a campaign may target (radius in metres)"),
        validators=[Optional(), NumberRange(*RELEASE_BOUNDS["min_zone_radius_m"])])


class AreaForm(FlaskForm):
    """A GeoJSON Polygon or MultiPolygon, pasted or uploaded."""

    geojson = TextAreaField(_l("GeoJSON geometry"))
    geojson_file = FileField(_l("…or a .geojson file"))


class NeighbourhoodForm(AreaForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120), NoBidiControls()])


class HashtagForm(FlaskForm):
    tag = StringField(_l("New hashtag"), validators=[DataRequired(), Length(max=40)])


class ModerationForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[Length(max=280)])
