"""Forms whose errors are announced: every invalid field is marked ``aria-invalid`` and points
at its message with ``aria-describedby``, so a screen reader hears the error with the field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.db import models
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from referral_hub.api_input import clean_text, parse_id


class AccessibleForm(forms.Form):
    """Every submitted string is cleaned like an API body (``api_input.clean_text``: no bidi
    overrides or other invisible characters) before any field sees it."""

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        if isinstance(data, QueryDict):
            cleaned = data.copy()
            for key in list(cleaned):
                cleaned.setlist(key, [clean_text(value) for value in data.getlist(key)])
            data = cleaned
        super().__init__(data, *args, **kwargs)

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        names = [field] if field else []
        if isinstance(error, dict):
            names = list(error)
        for name in names:
            if name in self.fields:
                self._mark_invalid(name)

    def _mark_invalid(self, name: str) -> None:
        widget = self.fields[name].widget
        bound = self[name]
        described = [f"{bound.auto_id}_error"]
        if self.fields[name].help_text:
            described.append(f"{bound.auto_id}_helptext")
        widget.attrs["aria-invalid"] = "true"
        widget.attrs["aria-describedby"] = " ".join(described)


class NormalisedField(forms.CharField):
    """The page-form twin of ``api_input.NormalisedCharField``: the same ``normalise`` rule
    (``consent.kana.to_katakana``, ``to_phone``), its ``ValueError`` shown at the field."""

    def __init__(self, *, normalise: Callable[[str], str], **kwargs: Any) -> None:
        self.normalise = normalise
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        text = super().to_python(value)
        try:
            return self.normalise(text) if text else text
        except ValueError as exc:
            raise forms.ValidationError(str(exc).split(" / ")[0], code="invalid") from exc


def _refuse_non_ids(values: list[Any]) -> None:
    # A value that is no row id (beyond bigint, "²") would overflow the lookup on SQLite and
    # means nothing anyway: the same rule as the API's (api_input.parse_id).
    for value in values:
        if not isinstance(value, models.Model) and parse_id(value) is None:
            raise forms.ValidationError(_("一覧から選んでください。"), code="invalid_choice")


class IdChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField whose submitted value must be a row id."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values:
            _refuse_non_ids([value])
        return super().to_python(value)


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A ModelMultipleChoiceField whose submitted values must be row ids."""

    def _check_values(self, value: Any) -> Any:
        _refuse_non_ids(list(value))
        return super()._check_values(value)


def error_summary(*forms_: forms.Form) -> list[dict[str, str]]:
    """The errors of every form, in page order, each linking to its field."""
    items: list[dict[str, str]] = []
    for form in forms_:
        if form is None or not form.is_bound:
            continue
        for message in form.non_field_errors():
            items.append({"href": "", "message": str(message)})
        for name, field in form.fields.items():
            for message in form.errors.get(name, []):
                bound = form[name]
                anchor = bound.auto_id
                if getattr(field.widget, "allow_multiple_selected", False) or isinstance(
                    field.widget, forms.RadioSelect
                ):
                    anchor = f"{bound.auto_id}_0"
                items.append(
                    {"href": f"#{anchor}", "message": f"{field.label}: {message}", "field": name}
                )
    return items
