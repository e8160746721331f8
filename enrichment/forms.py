"""Admin forms: a network group with its CIDRs one per line, and the upload forms."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from enrichment.cidrs import CIDR_EXAMPLE, cidr_parse
from enrichment.models import NetworkGroup

_SEPARATORS = re.compile(r"[\s,]+")


class CidrListField(forms.CharField):
    """CIDR blocks one per line (commas and spaces also separate); each is checked and kept canonical."""

    widget = forms.Textarea(attrs={"rows": 6, "cols": 40, "placeholder": "10.20.0.0/16\n198.51.100.0/24"})

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]  # a list, not a string
        text = super().to_python(value)
        return [item for item in _SEPARATORS.split(text or "") if item]

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise forms.ValidationError(f"Enter at least one CIDR block ({CIDR_EXAMPLE}).", code="required")

    def clean(self, value: Any) -> list[str]:
        texts = self.to_python(value)
        self.validate(texts)
        cidrs: list[str] = []
        errors = []
        for text in texts:
            try:
                cidr = str(cidr_parse(text))
            except ValueError as error:
                errors.append(forms.ValidationError(str(error), code="cidr"))
                continue
            if cidr not in cidrs:
                cidrs.append(cidr)
        if errors:
            raise forms.ValidationError(errors)
        return cidrs


class NetworkGroupForm(forms.ModelForm):
    cidrs = CidrListField(
        label="CIDR blocks",
        help_text=f"One per line ({CIDR_EXAMPLE}); host bits are cleared: 10.1.2.3/16 is kept as 10.1.0.0/16.",
    )

    class Meta:
        model = NetworkGroup
        fields = ("name", "cidrs", "description")


class EnrichmentUploadForm(forms.Form):
    file = forms.FileField(
        help_text="JSON printed by aws ec2 describe-network-interfaces, describe-instances, describe-subnets "
        "or describe-vpcs, or AWS's ip-ranges.json. The kind is recognised from the content."
    )
    region = forms.CharField(
        required=False,
        max_length=32,
        help_text="The region the output was listed in: scopes describe-vpcs output, which names no region.",
    )
    account = forms.CharField(
        required=False,
        max_length=32,
        help_text="The account it was listed in, when it should scope the import instead of the entries' owners.",
    )


class NetworkGroupsUploadForm(forms.Form):
    file = forms.FileField(
        help_text='JSON [{"name": …, "cidrs": […], "description": …}] or CSV name,cidr[,description] '
        "(one row per CIDR). Groups are created or updated by name; the others are kept."
    )
