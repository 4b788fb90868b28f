"""The privacy centre's forms, and the plain words it uses for purposes and channels."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired

# What each consent lets the platform do, said plainly (the purpose's name is CONSENT_LABELS).
PURPOSE_EXPLANATIONS = {
    "terms": _l("Needed to have an account. It ends when you delete your account."),
    "profile_targeting": _l(
        "Your interests, neighbourhood and population type put what matches them first and let "
        "actors reach you through these criteria, without ever seeing who you are."
    ),
    "notifications": _l("Actors' messages may reach you on this channel."),
    "live_location": _l(
        "While the app is open, the area you are in (about 0.1 km², never your exact position) "
        "is kept for at most one hour, to show what is near and send welcome offers."
    ),
}

CHANNEL_LABELS = {
    "push": _l("push notifications"),
    "email": _l("e-mail"),
    "sms": _l("text messages (SMS)"),
}


class ExportForm(FlaskForm):
    password = PasswordField(
        _l("Your password"), validators=[DataRequired(_l("Enter your password."))]
    )


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        _l("Your password"), validators=[DataRequired(_l("Enter your password."))]
    )
    confirm = BooleanField(
        _l("I understand that my account and my data will be erased, and that this cannot be undone"),
        validators=[DataRequired(_l("Tick the box to confirm."))],
    )
