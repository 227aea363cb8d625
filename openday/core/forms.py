"""The form kit every domain's forms share, and how a service's RuleError lands on a form."""
from __future__ import annotations

from collections.abc import Mapping

from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from openday.core.errors import RuleError

__all__ = ["MultiCheckboxField", "put_on_form", "strip"]


def strip(value):
    """A filter: text without surrounding blanks (anything else as it is)."""
    return value.strip() if isinstance(value, str) else value


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a row of check boxes (``_forms.html`` renders it as a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def put_on_form(form, error: RuleError, fields: Mapping[str, str | None] | None = None,
                default: str | None = None) -> list[str]:
    """Put the error's field messages on the fields they name, renamed through ``fields`` (a name
    mapped to None belongs to no field); names the form lacks go on ``default`` if given.

    Returns the messages that found no field, or ``[error.message]`` if the error names none: what
    the page shows above the form.
    """
    fields = fields or {}
    general: list[str] = []
    for name, message in error.fields.items():
        target = fields.get(name, name)
        if target is not None and target not in form and default is not None:
            target = default
        if target is not None and target in form:
            form[target].errors = list(form[target].errors) + [message]
        else:
            general.append(message)
    if not error.fields:
        general.append(error.message)
    return general
