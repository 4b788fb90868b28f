"""The town's editor of a legal page: one form per language (``prefix`` = the language, so that
the fields of the page's forms keep distinct ids)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import TextAreaField


class LegalTextForm(FlaskForm):
    # Checked by app.legal.services.text_problem (empty, too long), which the service enforces too.
    body = TextAreaField()
