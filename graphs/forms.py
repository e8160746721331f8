"""The preview page's "request a window" form: validated by the API's `window_clean`, so both accept and
refuse the same input with the same words."""

from __future__ import annotations

from typing import Any

from django import forms

from graphs.api.serializers import WindowInvalid, window_clean
from jobs.window import Window

_HELP = "RFC3339, e.g. 2019-01-01T00:00:00Z; truncated to whole minutes."


class WindowForm(forms.Form):
    # CharFields, not DateTimeFields: the text goes to the Go-compatible parser unchanged, so the errors
    # shown are the exact messages API clients get.
    start = forms.CharField(
        max_length=40,
        strip=False,
        help_text=_HELP,
        widget=forms.TextInput(attrs={"placeholder": "2019-01-01T00:00:00Z"}),
    )
    stop = forms.CharField(
        max_length=40,
        strip=False,
        help_text=_HELP,
        widget=forms.TextInput(attrs={"placeholder": "2019-01-01T01:00:00Z"}),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if "start" in data and "stop" in data:
            try:
                data["window"] = window_clean(data["start"], data["stop"])
            except WindowInvalid as invalid:
                for field, message in invalid.errors.items():
                    self.add_error(field, forms.ValidationError(message, code="window"))
        return data

    @property
    def window(self) -> Window:
        window: Window = self.cleaned_data["window"]
        return window
