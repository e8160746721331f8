"""A graph's stored DOT or SVG as an HTTP response: one way of serving them for the preview pages and the API.

Callers answer the errors in their own format (plain text for the pages, JSON for the API): this module
raises `jobs.ports.NotFound` when the file is not stored and `DependencyFailure` when storage fails.
"""

from __future__ import annotations

from django.http import FileResponse

from graphs.models import Graph
from graphs.services import DOT_SUFFIX, SVG_SUFFIX, graph_artifact_open

DOT_TYPE = "text/vnd.graphviz; charset=utf-8"
SVG_TYPE = "image/svg+xml"
CONTENT_TYPES = {DOT_SUFFIX: DOT_TYPE, SVG_SUFFIX: SVG_TYPE}
# The SVG holds flow-log text from the network: opened directly, nothing in it may run or load. The
# renderer's inline `style` attributes and `data:` images are all it needs.
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def artifact_response(graph: Graph, suffix: str, *, download: bool) -> FileResponse:
    """The stored file of `graph` with `suffix` (DOT_SUFFIX or SVG_SUFFIX), inline or as a download."""
    handle = graph_artifact_open(graph, suffix)
    response = FileResponse(
        handle, content_type=CONTENT_TYPES[suffix], as_attachment=download, filename=f"{graph.id}{suffix}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Only for the logged-in client, and revalidated: a re-run overwrites the file under the same URL.
    response["Cache-Control"] = "private, no-cache"
    if suffix == SVG_SUFFIX:
        response["Content-Security-Policy"] = SVG_CSP
    return response
