"""The reporter's forms: a new report, a note to reopen one, an answer in the private thread."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, MultipleFileField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from app.forms import strip
from app.reports.services import DESCRIPTION_MAX


class ReportForm(FlaskForm):
    # The category is a radio list drawn by the template (each with its expected time); read
    # and checked against the town's list by the route.
    lat = StringField(_l("Latitude"), filters=[strip])
    lon = StringField(_l("Longitude"), filters=[strip])
    address = StringField(_l("Address or landmark"), filters=[strip], validators=[Length(max=200)])
    description = TextAreaField(
        _l("What is wrong?"), filters=[strip],
        validators=[InputRequired(message=_l("Please describe the problem in a few words.")),
                    Length(max=DESCRIPTION_MAX)],
    )
    photos = MultipleFileField(_l("Photos (up to 3)"))
    # Made when the page is drawn: the same form sent twice makes one report.
    idempotency_key = HiddenField(validators=[Optional(), Regexp(r"^[A-Za-z0-9-]{8,64}$")])


class NoteForm(FlaskForm):
    note = TextAreaField(_l("What is still wrong?"), filters=[strip], validators=[Length(max=2000)])


class MessageForm(FlaskForm):
    body = TextAreaField(
        _l("Your answer"), filters=[strip],
        validators=[InputRequired(message=_l("Please write a message.")), Length(max=4000)],
    )
