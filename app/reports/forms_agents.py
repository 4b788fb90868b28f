"""Forms of the town's side of street reports: a category (the town admin's), and an agent's
assignment, status change, reply and queue filter. Checks that need the database live in
services_agents.py; the routes put their messages on the field they concern."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.forms import NoBidiControls, optional_int, strip


class CategoryForm(FlaskForm):
    name = StringField(_l("Name"), filters=[strip], validators=[DataRequired(), Length(max=120), NoBidiControls()])
    description = TextAreaField(_l("Description"), filters=[strip], validators=[Optional(), Length(max=300)],
                                render_kw={"rows": 2})
    service_code = StringField(_l("Open311 service code"), filters=[strip],
                               validators=[Optional(), Length(max=40)])
    service_actor_id = SelectField(_l("Service that handles it"), coerce=optional_int, validate_choice=False)
    expected_days = IntegerField(_l("Expected resolution time (days)"), default=7,
                                 validators=[DataRequired(), NumberRange(min=1, max=365)])


class AssignForm(FlaskForm):
    agent_id = SelectField(_l("Assigned to"), coerce=optional_int, validate_choice=False)


class StatusForm(FlaskForm):
    status = SelectField(_l("New status"), validators=[DataRequired()])
    note = TextAreaField(_l("Public note"), filters=[strip], validators=[Optional(), Length(max=2000)],
                         render_kw={"rows": 3})
    not_ours_service = StringField(_l("The service that handles it (for “not for us”)"), filters=[strip],
                                   validators=[Optional(), Length(max=200), NoBidiControls()])
    merged_into = SelectField(_l("The report it duplicates (for “merged”)"), coerce=optional_int,
                              validate_choice=False)


class ReplyForm(FlaskForm):
    body = TextAreaField(_l("Message to the reporter"), filters=[strip],
                         validators=[DataRequired(), Length(max=4000)], render_kw={"rows": 4})


class PhotoForm(FlaskForm):
    photo_id = IntegerField(validators=[DataRequired()])


class PlaceForm(FlaskForm):
    """An agent puts a report on the map (the map fills these; they can be typed too)."""

    lat = StringField(_l("Latitude"), filters=[strip], validators=[DataRequired()])
    lon = StringField(_l("Longitude"), filters=[strip], validators=[DataRequired()])
