from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from app.forms import MultiCheckboxField, NoBidiControls

EVENT_LABELS = {
    "publication.published": _l("A publication is published"),
    "report.status_changed": _l("A street report changes status"),
    "poll.closed": _l("A poll closes"),
}

# app.outbound says why an address is refused in English, for logs; the town reads it here.
REFUSAL_LABELS = {
    "only http and https addresses can be used": _l("Only http and https addresses can be used."),
    "the address has no host name": _l("The address has no host name."),
    "the address may not hold a user name or password": _l("The address may not hold a user name or password."),
    "the address's port is not a number": _l("The address’s port is not a number."),
    "only the ports 80 and 443 can be used": _l("Only the ports 80 and 443 can be used."),
    "this address leads to a private or internal network": _l(
        "This address leads to a private or internal network: it cannot receive webhooks."),
}


# Why an attempt failed, as the delivery log shows it (app.outbound's and the sender's words).
FAILURE_LABELS = {
    "the server could not be reached": _l("The server could not be reached."),
    "no answer in time": _l("No answer in time."),
    "the secure connection failed": _l("The secure connection failed."),
    "endpoint disabled": _l("Not sent: the endpoint was disabled."),
}


def failure_label(error: str) -> str:
    """The log's "last answer": an HTTP status stays as it is, known reasons are translated."""
    if not error or error.startswith("HTTP "):
        return error
    label = FAILURE_LABELS.get(error) or REFUSAL_LABELS.get(error)
    return str(label) if label is not None else error


def refusal_label(reason: str) -> str:
    label = REFUSAL_LABELS.get(reason)
    if label is not None:
        return str(label)
    return str(_l("This address cannot be reached: check its host name."))


def disabled_reason_label(reason: str) -> str:
    if reason == "gone":
        return str(_l("The endpoint answered 410 Gone: it asked to receive nothing more."))
    if reason.startswith("refused:"):
        return str(_l("Its address was refused when sending: %(reason)s", reason=refusal_label(reason[8:])))
    return reason


class EndpointEventsForm(FlaskForm):
    description = StringField(_l("Description"), validators=[Length(max=200), NoBidiControls()])
    events = MultiCheckboxField(_l("Events"), choices=[SelectChoice(key, label) for key, label in EVENT_LABELS.items()],
                                validators=[DataRequired(_l("Choose at least one event."))])


class EndpointForm(EndpointEventsForm):
    url = StringField(_l("Address (URL)"), validators=[DataRequired(), Length(max=500), NoBidiControls()])
