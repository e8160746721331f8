"""Admin for job rows: read-only views of what a job did, and the two operator actions (re-run, fail stuck).

Rows change only through the job services (the same ones the API uses), never through admin forms, so
markers, queue and row stay consistent: no add, no edit, no delete.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets, model_ngettext
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from digests.jobflow import JobInProgress
from digests.models import Digest, Job
from digests.ports import DependencyFailure
from digests.types import SKIP_REASONS
from digests.window import WindowError

EMPTY = "—"


def digest_figures_html(digest: Digest) -> SafeString:
    """A digest's figures with the skipped records by reason, as a small table (values escaped)."""
    rows: list[tuple[str, Any]] = [
        ("files", digest.files),
        ("records", digest.records),
        ("in window", digest.in_window),
        ("groups", digest.groups),
        *((f"skipped: {reason.replace('_', ' ')}", count) for reason, count in skipped_by_reason(digest)),
        ("unparsable object names", digest.skipped_keys),
    ]
    body = format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows)
    return format_html('<table class="grapherd-figures">{}</table>', body)


def skipped_by_reason(digest: Digest) -> list[tuple[str, int]]:
    """Known reasons first in their fixed order (zeros included), then any the engine added since."""
    skipped = digest.skipped if isinstance(digest.skipped, dict) else {}
    known = [(reason, int(skipped.get(reason, 0))) for reason in SKIP_REASONS]
    return known + [
        (str(reason), int(count)) for reason, count in skipped.items() if reason not in SKIP_REASONS
    ]


class JobAdmin(admin.ModelAdmin):
    """What graph and digest admins share; subclasses say how to re-run and fail one job.

    Subclasses import the job services inside `rerun`/`fail_stuck`: admin modules load at every Django
    start (worker and management commands too), and the services pull in the digest engine and the
    renderer, which only these two actions need here.
    """

    list_filter = ("status",)
    date_hierarchy = "created_at"
    # `^` is istartswith: the whole id or its first characters (with or without dashes) both match.
    search_fields = ("^id", "^start_text")
    search_help_text = "Search by id (or its first characters) or by window start, e.g. 2019-01-01T00."
    ordering = ("-created_at",)
    list_per_page = 50
    actions = ("rerun_selected", "fail_stuck_selected")
    timing_fields = ("created_at", "queued_at", "started_at", "finished_at", "updated_at", "duration")

    def rerun(self, job: Any) -> None:
        raise NotImplementedError

    def fail_stuck(self, job: Any) -> bool:
        raise NotImplementedError

    # --- permissions: viewing only; the actions need the change permission -----------------------

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return list(flatten_fieldsets(self.get_fieldsets(request, obj)))

    def has_operate_permission(self, request: HttpRequest) -> bool:
        opts = self.opts
        return bool(request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}"))

    # --- columns -------------------------------------------------------------------------------

    @admin.display(description="id", ordering="id")
    def short_id(self, job: Job) -> str:
        return str(job.id)[:8]

    @admin.display(description="window", ordering="start")
    def window(self, job: Job) -> str:
        return f"{job.start_text} → {job.stop_text}"

    @admin.display(description="duration")
    def duration(self, job: Job) -> str:
        seconds = job.duration_seconds
        return EMPTY if seconds is None else f"{seconds:.2f} s"

    # --- actions -------------------------------------------------------------------------------

    @admin.action(description="Re-run selected %(verbose_name_plural)s", permissions=["operate"])
    def rerun_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        requeued = busy = 0
        for job in queryset:
            try:
                self.rerun(job)
            except JobInProgress:  # queued or running, and not abandoned: left alone
                busy += 1
            except (DependencyFailure, WindowError) as error:
                self.message_user(request, f"{job.id} could not be re-queued: {error}", messages.ERROR)
            else:
                requeued += 1
        if requeued or busy:
            text = f"Re-queued {requeued} {model_ngettext(self.opts, requeued)}"
            if busy:
                text += f"; {busy} {'was' if busy == 1 else 'were'} still queued or running"
            self.message_user(request, text, messages.SUCCESS if requeued else messages.WARNING)

    @admin.action(description="Mark selected stuck %(verbose_name_plural)s failed", permissions=["operate"])
    def fail_stuck_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        marked = sum(1 for job in queryset if self.fail_stuck(job))
        inactive = queryset.count() - marked
        text = f"Marked {marked} {model_ngettext(self.opts, marked)} failed"
        if inactive:
            text += f"; {inactive} {'was' if inactive == 1 else 'were'} not active (already done or failed)"
        self.message_user(request, text, messages.SUCCESS if marked else messages.WARNING)


@admin.register(Digest)
class DigestAdmin(JobAdmin):
    list_display = (
        "short_id",
        "window",
        "status",
        "attempts",
        "duration",
        "files",
        "records",
        "in_window",
        "groups",
        "skipped_total",
        "created_at",
    )
    fieldsets = (
        (None, {"fields": ("id", "window", "start", "stop", "status", "attempts", "error")}),
        ("Timings", {"fields": JobAdmin.timing_fields}),
        ("Figures", {"fields": ("figures_table", "bytes_read", "digest_bytes")}),
        ("Graph", {"fields": ("graph_link",)}),
    )

    def rerun(self, job: Digest) -> None:
        from digests.services import digest_rerun

        digest_rerun(job)

    def fail_stuck(self, job: Digest) -> bool:
        from digests.jobflow import job_fail_stuck
        from digests.services import digest_kind

        return job_fail_stuck(digest_kind(), str(job.id))

    @admin.display(description="skipped")
    def skipped_total(self, digest: Digest) -> int:
        return sum(count for _, count in skipped_by_reason(digest))

    @admin.display(description="records and skips")
    def figures_table(self, digest: Digest) -> SafeString:
        return digest_figures_html(digest)

    @admin.display(description="graph of this window")
    def graph_link(self, digest: Digest) -> str:
        from graphs.models import Graph  # graphs depends on digests, not the other way round

        graph = Graph.objects.filter(digest_id=digest.id).only("id", "status").first()
        if graph is None:
            return EMPTY
        url = reverse("admin:graphs_graph_change", args=[graph.id])
        return format_html('<a href="{}">{}</a> ({})', url, graph.id, graph.get_status_display())
