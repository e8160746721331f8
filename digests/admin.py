"""Digest jobs in the admin: read-only, with the records skipped by reason and the graph of the window."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from digests.engine.figures import SKIP_REASONS
from digests.models import Digest
from digests.services import digest_flow
from jobs.admin import JobAdmin


def digest_figures_html(digest: Digest) -> SafeString:
    """A digest's figures with the skipped records by reason, as a small table (values escaped)."""
    rows: list[tuple[str, Any]] = [
        ("files", digest.files),
        ("records", digest.records),
        ("in window", digest.in_window),
        ("groups", digest.groups),
        *((f"skipped: {reason.replace('_', ' ')}", count) for reason, count in skipped_by_reason(digest)),
        ("unparsable object names", digest.skipped_keys),
        ("engine", digest.engine),
        ("partials (hours and edges)", digest.partials),
        ("partials reused", digest.partials_reused),
        *engine_figures(digest),
    ]
    body = format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows)
    return format_html('<table class="grapherd-figures">{}</table>', body)


def engine_figures(digest: Digest) -> list[tuple[str, Any]]:
    """What the engine added (Athena: query id, bytes scanned, cost estimate), named as stored."""
    extra = digest.engine_figures if isinstance(digest.engine_figures, dict) else {}
    return [(str(name).replace("_", " "), value) for name, value in sorted(extra.items())]


def skipped_by_reason(digest: Digest) -> list[tuple[str, int]]:
    """Known reasons first in their fixed order (zeros included), then any the engine added since."""
    skipped = digest.skipped if isinstance(digest.skipped, dict) else {}
    known = [(reason, int(skipped.get(reason, 0))) for reason in SKIP_REASONS]
    return known + [
        (str(reason), int(count)) for reason, count in skipped.items() if reason not in SKIP_REASONS
    ]


@admin.register(Digest)
class DigestAdmin(JobAdmin):
    list_display = (
        "short_id",
        "window",
        "status",
        "complete",
        "attempts",
        "duration",
        "files",
        "records",
        "in_window",
        "groups",
        "skipped_total",
        "engine",
        "partials",
        "created_at",
    )
    fieldsets = (
        (None, {"fields": ("id", "window", "start", "stop", "status", "attempts", "error")}),
        ("Trust and progress", {"fields": JobAdmin.trust_fields}),
        ("Timings", {"fields": JobAdmin.timing_fields}),
        ("Figures", {"fields": ("figures_table", "bytes_read", "digest_bytes")}),
    )
    flow = staticmethod(digest_flow)

    @admin.display(description="skipped")
    def skipped_total(self, digest: Digest) -> int:
        return sum(count for _, count in skipped_by_reason(digest))

    @admin.display(description="records and skips")
    def figures_table(self, digest: Digest) -> SafeString:
        return digest_figures_html(digest)
