from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    StringField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from app.accounts.passwords import password_problems
from app.forms import NoBidiControls, strip


def _check_new_password(form: FlaskForm, field: PasswordField, email: str) -> None:
    problems = password_problems(field.data or "", email)
    if problems:
        raise ValidationError(" ".join(problems))


def address_field(label: Any, required_message: Any) -> EmailField:
    """An e-mail address an account will be reached at: required, well formed, storable."""
    return EmailField(
        label,
        filters=[strip],
        validators=[
            DataRequired(required_message),
            Email(_l("Enter a valid e-mail address.")),
            Length(max=254),
        ],
    )


class RegisterForm(FlaskForm):
    email = address_field(_l("E-mail address"), _l("Enter your e-mail address."))
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Choose a password."))])
    display_name = StringField(
        _l("Display name (optional)"), validators=[Optional(), Length(max=80), NoBidiControls()]
    )
    accept_terms = BooleanField(
        _l("I accept the terms of use and the privacy policy"),
        validators=[DataRequired(_l("You need to accept the terms to create an account."))],
    )

    def validate_password(self, field: PasswordField) -> None:
        _check_new_password(self, field, self.email.data or "")


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        filters=[strip],
        validators=[DataRequired(_l("Enter your e-mail address."))],
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])
    next = HiddenField()


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        filters=[strip],
        validators=[
            DataRequired(_l("Enter your e-mail address.")),
            Email(_l("Enter a valid e-mail address.")),
        ],
    )


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"), validators=[DataRequired(_l("Choose a password."))]
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(_l("Type the new password again.")),
            EqualTo("password", _l("The two passwords differ.")),
        ],
    )

    def __init__(self, *args: Any, email: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._email = email

    def validate_password(self, field: PasswordField) -> None:
        _check_new_password(self, field, self._email)


class ChangePasswordForm(ResetPasswordForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Enter your current password."))]
    )
    log_out_others = BooleanField(_l("Log out my other sessions"), default=True)


class ChangeEmailForm(FlaskForm):
    email = address_field(_l("New e-mail address"), _l("Enter your new e-mail address."))
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Enter your current password."))]
    )


class TwoFactorCodeForm(FlaskForm):
    code = StringField(
        _l("Code"),
        filters=[strip],
        validators=[DataRequired(_l("Enter the code.")), Length(max=40)],
    )


class DisableTwoFactorForm(FlaskForm):
    password = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Enter your current password."))]
    )
    code = StringField(
        _l("Code from your app"),
        filters=[strip],
        validators=[DataRequired(_l("Enter the code.")), Length(max=40)],
    )
