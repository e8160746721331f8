"""A graph's stored DOT or SVG as an HTTP response: one way of serving them for the preview pages and the API.

Downloads are named after the window (`window_file_name`). Callers answer the errors in their own format
(plain text for the pages, JSON for the API): this module raises `jobs.ports.NotFound` when the file is
not stored and `DependencyFailure` when storage fails.
"""

from __future__ import annotations

from datetime import datetime

from django.http import FileResponse

from graphs.models import Graph
from graphs.services import DOT_SUFFIX, SVG_SUFFIX, graph_artifact_open

DOT_TYPE = "text/vnd.graphviz; charset=utf-8"
SVG_TYPE = "image/svg+xml"
CONTENT_TYPES = {DOT_SUFFIX: DOT_TYPE, SVG_SUFFIX: SVG_TYPE}
# The SVG holds flow-log text from the network: opened directly, nothing in it may run or load. The
# renderer's inline `style` attributes and `data:` images are all it needs.
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def window_file_name(graph: Graph, suffix: str, part: str = "") -> str:
    """A download's name after the graph's window, so saved files sort and read by time:
    `graph_2019-01-01T0000Z_2019-01-01T0100Z.dot` (`part` goes before the suffix: `…_subnet.svg`)."""
    extra = f"_{part}" if part else ""
    return f"graph_{_compact(graph.start)}_{_compact(graph.stop)}{extra}{suffix}"


def _compact(moment: datetime) -> str:
    # Windows are whole minutes, and a colon is not allowed in file names on Windows.
    return moment.strftime("%Y-%m-%dT%H%MZ")


def artifact_response(graph: Graph, suffix: str, *, download: bool) -> FileResponse:
    """The stored file of `graph` with `suffix` (DOT_SUFFIX or SVG_SUFFIX), inline or as a download."""
    handle = graph_artifact_open(graph, suffix)
    response = FileResponse(
        handle,
        content_type=CONTENT_TYPES[suffix],
        as_attachment=download,
        filename=window_file_name(graph, suffix),
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Only for the logged-in client, and revalidated: a re-run overwrites the file under the same URL.
    response["Cache-Control"] = "private, no-cache"
    if suffix == SVG_SUFFIX:
        response["Content-Security-Policy"] = SVG_CSP
    return response
