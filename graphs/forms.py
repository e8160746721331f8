"""The list page's "request a window" form: validated by the API's `window_clean`, so the form, API v1
and the CLI accept the same time forms and refuse the same input with the same words."""

from __future__ import annotations

from typing import Any

from django import forms

from graphs.api.serializers import WindowInvalid, window_clean
from jobs.window import Window

_HELP = "UTC unless you give a zone: 2019-01-01 00:00, 2019-01-01T00:00:00Z, a date, epoch seconds, now, -1h."
# The preset buttons submit the window as relative times, read at the moment of the request.
PRESETS = {"last-hour": ("-1h", "now"), "last-day": ("-1d", "now")}


class WindowForm(forms.Form):
    # CharFields, not DateTimeFields: the text goes to `jobs.time_forms` unchanged, so the errors shown
    # are the messages API clients get; not required, so a blank field says "stop is required" too.
    start = forms.CharField(
        max_length=40,
        required=False,
        help_text=_HELP,
        widget=forms.TextInput(attrs={"placeholder": "2019-01-01 00:00", "autocomplete": "off"}),
    )
    stop = forms.CharField(
        max_length=40,
        required=False,
        help_text=_HELP,
        widget=forms.TextInput(attrs={"placeholder": "2019-01-01 01:00", "autocomplete": "off"}),
    )

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        if data is not None and data.get("preset") in PRESETS:
            data = data.copy()
            data["start"], data["stop"] = PRESETS[data["preset"]]
        super().__init__(data, **kwargs)

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
