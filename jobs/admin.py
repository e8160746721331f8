"""Admin for job rows: read-only views of what a job did, and the two operator actions (re-run, fail stuck).
`JobAdmin` is registered by each app for its model (`graphs.admin`, `digests.admin`).

Rows change only through the job services (the same ones the API uses), never through admin forms, so
markers, queue and row stay consistent: no add, no edit, no delete.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets, model_ngettext
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from jobs.completeness import incomplete_reason
from jobs.errors import JobInProgress
from jobs.flow import JobFlow
from jobs.models import Job
from jobs.ports import DependencyFailure
from jobs.window import WindowError

EMPTY = "—"


class JobAdmin(admin.ModelAdmin):
    """What graph and digest admins share; subclasses name their job flow, which re-runs and fails jobs
    the same way the API does."""

    flow: Callable[[], JobFlow]  # a staticmethod returning the app's flow

    list_filter = ("status", "complete")
    date_hierarchy = "created_at"
    # `^` is istartswith: the whole id or its first characters (with or without dashes) both match.
    search_fields = ("^id", "^start_text")
    search_help_text = "Search by id (or its first characters) or by window start, e.g. 2019-01-01T00."
    ordering = ("-created_at",)
    list_per_page = 50
    actions: tuple[str, ...] = ("rerun_selected", "fail_stuck_selected")
    timing_fields = ("created_at", "queued_at", "started_at", "finished_at", "updated_at", "duration")
    # What the result can be trusted for, and what a running attempt is doing (jobs.progress).
    trust_fields = ("warnings_list", "completeness", "rebuild_at", "stage")

    def rerun(self, job: Job) -> None:
        type(self).flow().rerun(job)

    def fail_stuck(self, job: Job) -> bool:
        return type(self).flow().fail_stuck(str(job.id))

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

    @admin.display(description="warnings")
    def warnings_list(self, job: Job) -> SafeString | str:
        if not job.warnings:
            return EMPTY
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((w,) for w in job.warnings)))

    @admin.display(description="complete")
    def completeness(self, job: Job) -> str:
        return incomplete_reason(job) or ("yes" if job.status == "done" else EMPTY)

    @admin.display(description="duration")
    def duration(self, job: Job) -> str:
        seconds = job.duration_seconds
        return EMPTY if seconds is None else f"{seconds:.2f} s"

    # --- actions -------------------------------------------------------------------------------

    @admin.action(description="Re-run selected %(verbose_name_plural)s", permissions=["operate"])
    def rerun_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self.rerun_each(request, queryset, self.rerun)

    def rerun_each(
        self, request: HttpRequest, queryset: QuerySet[Any], rerun: Callable[[Any], object]
    ) -> None:
        requeued = busy = 0
        for job in queryset:
            try:
                rerun(job)
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
