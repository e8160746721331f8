"""Graph jobs in the admin: read-only, with links to the files and the digest of the same window."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from digests.admin import DigestAdmin, digest_figures_html
from digests.models import Digest
from graphs.models import Graph
from graphs.services import graph_flow, graph_rerun
from jobs.admin import EMPTY, JobAdmin


@admin.register(Graph)
class GraphAdmin(JobAdmin):
    list_display = (
        "short_id",
        "window",
        "status",
        "complete",
        "attempts",
        "duration",
        "records",
        "edges",
        "nodes",
        "created_at",
    )
    fieldsets = (
        (None, {"fields": ("id", "window", "start", "stop", "status", "attempts", "error", "links")}),
        ("Trust and progress", {"fields": JobAdmin.trust_fields}),
        ("Timings", {"fields": JobAdmin.timing_fields}),
        (
            "Figures",
            {"fields": ("records", "edges", "nodes", "dot_bytes", "svg_bytes", "svg_engine", "svg_error")},
        ),
        ("Digest of the same window", {"fields": ("digest_link", "digest_figures")}),
    )

    flow = staticmethod(graph_flow)
    actions = ("rerun_selected", "rerun_reusing_digest_selected", "fail_stuck_selected")

    @admin.action(
        description="Re-run selected graphs, reusing their complete digests", permissions=["operate"]
    )
    def rerun_reusing_digest_selected(self, request: HttpRequest, queryset: QuerySet[Graph]) -> None:
        """The plain re-run reads the flow logs again; this one keeps a complete stored digest."""
        self.rerun_each(request, queryset, lambda graph: graph_rerun(graph, reuse_digest=True))

    @admin.display(description="files")
    def links(self, graph: Graph) -> SafeString:
        dot = reverse("graphs:dot", args=[graph.id])
        return format_html(
            '<a href="{}">Preview page</a> · <a href="{}">Download DOT</a>', graph.get_absolute_url(), dot
        )

    @admin.display(description="digest")
    def digest_link(self, graph: Graph) -> str:
        if graph.digest_id is None:
            return "built by an external digester" if graph.status == "done" else EMPTY
        digest = self._digest(graph)
        if digest is None:
            return f"{graph.digest_id} (no row here)"
        url = reverse("admin:digests_digest_change", args=[digest.id])
        return format_html('<a href="{}">{}</a> ({})', url, digest.id, digest.get_status_display())

    @admin.display(description="digest figures")
    def digest_figures(self, graph: Graph) -> str:
        digest = self._digest(graph)
        return EMPTY if digest is None else digest_figures_html(digest)

    def _digest(self, graph: Graph) -> Digest | None:
        if graph.digest_id is None:
            return None
        return Digest.objects.filter(id=graph.digest_id).first()


# Graphs build on digests, not the other way round: the digest admin learns about the graph of its
# window here (the digests app's admin is registered first, as it comes first in INSTALLED_APPS).
admin.site.unregister(Digest)


@admin.register(Digest)
class DigestWithGraphAdmin(DigestAdmin):
    fieldsets = (*DigestAdmin.fieldsets, ("Graph", {"fields": ("graph_link",)}))  # type: ignore[assignment]

    @admin.display(description="graph of this window")
    def graph_link(self, digest: Digest) -> str:
        graph = Graph.objects.filter(digest_id=digest.id).only("id", "status").first()
        if graph is None:
            return EMPTY
        url = reverse("admin:graphs_graph_change", args=[graph.id])
        return format_html('<a href="{}">{}</a> ({})', url, graph.id, graph.get_status_display())
