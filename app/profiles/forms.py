"""The profile and onboarding forms: interests, actors to follow, place, and the whole profile."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import Length, Optional

from app.forms import MultiCheckboxField, NoBidiControls, optional_int, optional_str


class HashtagsForm(FlaskForm):
    hashtags = MultiCheckboxField(_l("Your interests"), coerce=int)


class FollowForm(FlaskForm):
    actors = MultiCheckboxField(_l("Actors to follow"), coerce=int)


class PlaceForm(FlaskForm):
    neighbourhood = SelectField(_l("Neighbourhood where you live"), coerce=optional_int)
    population_type = SelectField(_l("You are here as"), coerce=optional_str)


class ProfileForm(FlaskForm):
    display_name = StringField(_l("Display name"), validators=[Optional(), Length(max=80), NoBidiControls()])
    language = SelectField(_l("Language"), coerce=optional_str)
    hashtags = MultiCheckboxField(_l("Your interests"), coerce=int)
    neighbourhood = SelectField(_l("Neighbourhood where you live"), coerce=optional_int)
    population_type = SelectField(_l("You are here as"), coerce=optional_str)
    personalise = BooleanField(
        _l("Use my interests, neighbourhood and population type to personalise what I see")
    )
