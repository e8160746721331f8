"""The preview page's "request a window" form: the API's parsing, so both accept and refuse the same input."""

from __future__ import annotations

from typing import Any

from django import forms

from digests.window import Window, WindowError, instant_parse, window_parse

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

    def clean_start(self) -> str:
        return _instant_text(self.cleaned_data["start"])

    def clean_stop(self) -> str:
        return _instant_text(self.cleaned_data["stop"])

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if "start" in data and "stop" in data:
            try:
                data["window"] = window_parse(data["start"], data["stop"])
            except WindowError as error:
                raise forms.ValidationError(str(error), code="window") from error
        return data

    @property
    def window(self) -> Window:
        window: Window = self.cleaned_data["window"]
        return window


def _instant_text(value: str) -> str:
    """Parse one end on its own so a bad value is reported next to its field."""
    try:
        instant_parse(value)
    except WindowError as error:
        raise forms.ValidationError(str(error), code="instant") from error
    return value
