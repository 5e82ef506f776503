"""Field helpers shared by forms: GOV.UK widgets and clean-up of odd input."""
from __future__ import annotations

import unicodedata

from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovRadioInput
from wtforms import RadioField, SelectField
from wtforms.validators import ValidationError

# Characters that render as nothing or reorder text: they let two strings look alike.
_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202a", "\u202b", "\u202c",
              "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"}


def clean_text(value):
    """Filter for text fields: NFC, no control or invisible characters, trimmed."""
    if value is None:
        return value
    value = unicodedata.normalize("NFC", str(value))
    value = "".join(
        ch for ch in value
        if ch in "\n\t" or (ch not in _INVISIBLE and unicodedata.category(ch) not in ("Cc", "Cs"))
    )
    return value.strip()


class MaxLength:
    """Length check with a GOV.UK message naming the field."""

    def __init__(self, maximum: int, what: str):
        self.maximum, self.what = maximum, what

    def __call__(self, form, field):
        if field.data and len(field.data) > self.maximum:
            raise ValidationError(f"{self.what} must be {self.maximum} characters or fewer")


class _ChoiceMessage:
    """A value that is not one of the choices (or cannot be coerced, like agency_id=abc) gets
    the field's own GOV.UK message, not WTForms' "Not a valid choice"."""

    def __init__(self, *args, invalid_message: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.invalid_message = invalid_message

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(self.invalid_message)

    def pre_validate(self, form):
        if self.process_errors or not self.raw_data or not self.raw_data[0]:
            return  # already reported, or empty: the required validator says so
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError(self.invalid_message)


class ChoiceSelectField(_ChoiceMessage, SelectField):
    pass


class ChoiceRadioField(_ChoiceMessage, RadioField):
    pass


def _keep_legend(params: dict, field) -> dict:
    # govuk-frontend-wtf only supplies the legend when the template passes no fieldset at
    # all; a template that styles the legend would otherwise leave the group unnamed.
    legend = params.setdefault("fieldset", {}).setdefault("legend", {})
    if not legend.get("text") and not legend.get("html"):
        legend["text"] = field.label.text
    return params


class GovRadios(GovRadioInput):
    def map_gov_params(self, field, **kwargs):
        return _keep_legend(super().map_gov_params(field, **kwargs), field)


class GovDate(GovDateInput):
    def map_gov_params(self, field, **kwargs):
        return _keep_legend(super().map_gov_params(field, **kwargs), field)
