"""Form pieces every domain's forms share: a button form, several choices as checkboxes, and
field filters."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, SelectMultipleField
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

# Characters that reorder the text around them (Unicode's explicit embeddings, overrides and
# isolates, and the two marks): in a name, "U+202E" makes "Mairie\u202eetrela" read as
# something else, and spills into the text after it. Nobody needs one in a name or a title.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes (rendered by the ``checkboxes`` macro)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class NoBidiControls:
    """Refuses the characters that reorder text (``BIDI_CONTROLS``) in a name or a title."""

    message = _l("This text contains an invisible character that changes the direction of the text. "
                 "Please remove it.")

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if isinstance(field.data, str) and any(c in BIDI_CONTROLS for c in field.data):
            raise ValidationError(self.message)


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
