"""Form pieces every domain's forms share: a button form, several choices as checkboxes, and
field filters."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes (rendered by the ``checkboxes`` macro)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def optional_int(value: Any) -> int | None:
    if value in (None, "", "None"):
        return None
    return int(value)


def optional_str(value: Any) -> str | None:
    return value or None


class ConfirmForm(FlaskForm):
    """A button that changes something (follow, remove, switch off): only the CSRF token."""
