"""Read-side queries for graphs, shared by the API, the command and the pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from django.db.models import QuerySet

from digests.models import Digest
from graphs.models import Graph

# Filter name -> ORM lookup. Ranges are half-open ([from, before)), like the windows themselves.
_FILTER_LOOKUPS = {
    "status": "status",
    "start_from": "start__gte",
    "start_before": "start__lt",
    "created_from": "created_at__gte",
    "created_before": "created_at__lt",
}


def graph_list(*, filters: Mapping[str, Any] | None = None) -> QuerySet[Graph]:
    """Graphs, newest first; `filters` holds validated values keyed by the names above."""
    lookups = {
        _FILTER_LOOKUPS[name]: value
        for name, value in (filters or {}).items()
        if name in _FILTER_LOOKUPS and value not in (None, "")
    }
    # The id breaks ties so that pages never repeat or skip a row.
    return Graph.objects.filter(**lookups).order_by("-created_at", "-id")


DIGEST_FIGURES = ("engine", "partials", "partials_reused")


def graph_get(graph_id: UUID | str) -> Graph | None:
    return Graph.objects.filter(id=graph_id).first()


def graph_digest_figures(graph: Graph) -> dict[str, Any]:
    """What the digest of the graph's window says of its build: the engine that built it (builtin,
    duckdb, athena) and its hourly pieces (`partials`, `partials_reused`); empty values when the digest
    came from a remote digesterd or its row is gone. Read once per graph object."""
    cached = getattr(graph, "_digest_figures", None)
    if cached is None:
        row = (
            Digest.objects.filter(id=graph.digest_id).values(*DIGEST_FIGURES).first()
            if graph.digest_id
            else None
        )
        cached = row or {"engine": "", "partials": 0, "partials_reused": 0}
        graph._digest_figures = cached  # type: ignore[attr-defined]  # a per-object cache
    return cached
