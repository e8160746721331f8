"""Enrichment in the admin: the imports (read-only: rows come only from imports, uploads and refreshes),
their entries, and the operator's network groups (editable). Both lists have an upload page that calls
the same service as the command line and reports its summary or its error as a message.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from enrichment.errors import EnrichmentError
from enrichment.forms import EnrichmentUploadForm, NetworkGroupForm, NetworkGroupsUploadForm
from enrichment.models import (
    AwsIpRange,
    EnrichmentImport,
    Instance,
    NetworkGroup,
    NetworkInterface,
    Subnet,
    Vpc,
)
from enrichment.services import enrichment_import_upload, network_groups_import_upload


class UploadAdmin(admin.ModelAdmin):
    """Adds an "Upload a file" page (and a button on the list) to a model admin; staff with the model's
    add permission only."""

    change_list_template = "admin/enrichment/change_list_upload.html"
    upload_form: type[forms.Form]
    upload_title: str

    def upload(self, form: forms.Form) -> object:
        """Import the form's file; returns the summary (shown as a message) or raises EnrichmentError."""
        raise NotImplementedError

    def has_upload_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(f"{self.opts.app_label}.add_{self.opts.model_name}"))

    def get_urls(self) -> list[URLPattern]:
        name = f"{self.opts.app_label}_{self.opts.model_name}_upload"
        return [path("upload/", self.admin_site.admin_view(self.upload_view), name=name), *super().get_urls()]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_upload", current_app=self.admin_site.name
        )
        context = {**(extra_context or {}), "upload_url": url if self.has_upload_permission(request) else ""}
        return super().changelist_view(request, context)

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_upload_permission(request):
            raise PermissionDenied
        posted = request.method == "POST"
        form = self.upload_form(request.POST, request.FILES) if posted else self.upload_form()
        if posted and form.is_valid():
            try:
                summary = self.upload(form)
            except EnrichmentError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(request, str(summary), messages.SUCCESS)
                changelist = f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"
                return HttpResponseRedirect(reverse(changelist, current_app=self.admin_site.name))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": self.upload_title,
            "form": form,
        }
        return TemplateResponse(request, "admin/enrichment/upload.html", context)


def _uploaded(form: forms.Form) -> tuple[bytes, str]:
    uploaded = form.cleaned_data["file"]
    return uploaded.read(), uploaded.name


@admin.register(EnrichmentImport)
class EnrichmentImportAdmin(UploadAdmin):
    list_display = ("kind", "scope", "source", "entries", "imported_at")
    list_filter = ("kind", "source")
    search_fields = ("scope", "source", "account", "region")
    search_help_text = "Search by scope, file name, account or region."
    date_hierarchy = "imported_at"
    fields = ("kind", "scope", "account", "region", "source", "entries", "imported_at")
    readonly_fields = fields
    actions = ("forget_selected",)
    upload_form = EnrichmentUploadForm
    upload_title = "Import an AWS JSON file"

    def upload(self, form: forms.Form) -> object:
        data, name = _uploaded(form)
        return enrichment_import_upload(
            data, name, account=form.cleaned_data["account"], region=form.cleaned_data["region"]
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Django's delete page would list every entry (ip-ranges.json has ~10,000): the action below
        # deletes the same rows and reports counts instead.
        return False

    def has_forget_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("enrichment.delete_enrichmentimport"))

    @admin.action(description="Forget selected imports and their entries", permissions=["forget"])
    def forget_selected(self, request: HttpRequest, queryset: QuerySet[EnrichmentImport]) -> None:
        imports = queryset.count()
        entries = sum(batch.entries for batch in queryset)
        queryset.delete()
        self.message_user(
            request,
            f"Forgot {imports} import{'s' if imports != 1 else ''} and {entries} entries; import them again to restore them.",
            messages.SUCCESS,
        )


@admin.register(NetworkGroup)
class NetworkGroupAdmin(UploadAdmin):
    form = NetworkGroupForm
    list_display = ("name", "cidr_list", "description", "updated_at")
    search_fields = ("name", "description")
    readonly_fields = ("created_at", "updated_at")
    upload_form = NetworkGroupsUploadForm
    upload_title = "Import network groups"

    def upload(self, form: forms.Form) -> object:
        return network_groups_import_upload(*_uploaded(form))

    @admin.display(description="CIDR blocks")
    def cidr_list(self, group: NetworkGroup) -> str:
        return ", ".join(group.cidrs)


class ImportedEntryAdmin(admin.ModelAdmin):
    """Entries of imports: browse and search only."""

    list_select_related = ("enrichment_import",)
    list_per_page = 100

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="imported at", ordering="enrichment_import__imported_at")
    def imported_at(self, entry: Any) -> Any:
        return entry.enrichment_import.imported_at


@admin.register(NetworkInterface)
class NetworkInterfaceAdmin(ImportedEntryAdmin):
    list_display = (
        "eni_id",
        "name",
        "description",
        "addresses",
        "instance_id",
        "subnet_id",
        "vpc_id",
        "account",
        "region",
        "imported_at",
    )
    search_fields = ("eni_id", "name", "description", "addresses", "instance_id")
    list_filter = ("region", "account")


@admin.register(Instance)
class InstanceAdmin(ImportedEntryAdmin):
    list_display = ("instance_id", "name", "addresses", "vpc_id", "account", "region", "imported_at")
    search_fields = ("instance_id", "name", "addresses")
    list_filter = ("region", "account")


@admin.register(Subnet)
class SubnetAdmin(ImportedEntryAdmin):
    list_display = ("subnet_id", "name", "cidrs", "vpc_id", "account", "region", "imported_at")
    search_fields = ("subnet_id", "name", "cidrs", "vpc_id")
    list_filter = ("region", "account")


@admin.register(Vpc)
class VpcAdmin(ImportedEntryAdmin):
    list_display = ("vpc_id", "name", "cidrs", "account", "region", "imported_at")
    search_fields = ("vpc_id", "name", "cidrs")
    list_filter = ("region", "account")


@admin.register(AwsIpRange)
class AwsIpRangeAdmin(ImportedEntryAdmin):
    list_display = ("prefix", "service", "region", "network_border_group", "imported_at")
    search_fields = ("^prefix",)  # istartswith: "52.95." finds the prefixes of that block
    list_filter = ("service", "region")
