"""The graph explorer (`/graphs/<id>/`) and its SVG export of a view (`/graphs/<id>/view.svg`).

The page is a shell: the explorer's script (a bundle built from graphs/frontend/ by `make bundle`) reads
the views from API v1 with the page's session and draws them with WebGL. While the graph is queued or
running, the same script polls the graph's JSON and shows its stage. The classic SVG page stays at
`/graphs/<id>/svg-preview` for browsers without WebGL.
"""

from __future__ import annotations

import logging
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from connections.filters import FilterInvalid
from digests.models import Digest
from graphs.artifacts_http import SVG_CSP, SVG_TYPE, window_file_name
from graphs.services import ConnectionsMissing, ConnectionsNotReady, graph_busy
from graphs.svg import SvgRenderError
from graphs.view_query import ViewInvalid, view_query
from graphs.view_svg import ViewTooLarge, view_svg
from graphs.views_preview import graph_get_or_404, page_csp, plain_response
from jobs.models import ACTIVE_STATUSES, JobStatus
from ops.config import config_get
from ops.health import worker_seen

log = logging.getLogger(__name__)

# The explorer needs no inline style at all (its script styles elements through the CSSOM) and runs its
# layout worker from its own origin; the PNG it saves is a download, which no fetch directive governs.
EXPLORER_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "worker-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


@login_required
@require_GET
@page_csp(EXPLORER_CSP)
def graph_explorer(request: HttpRequest, graph_id: UUID) -> HttpResponse:
    graph = graph_get_or_404(graph_id)
    active = graph.status in ACTIVE_STATUSES
    # Said at once on the first paint; the script keeps it up to date from the API afterwards. A cache
    # that cannot tell (one private to each process) says "unknown…": no claim either way then.
    worker = worker_seen() if active else "ok"
    context = {
        "graph": graph,
        "digest": Digest.objects.filter(id=graph.digest_id).first() if graph.digest_id else None,
        "done": graph.status == JobStatus.DONE,
        "worker": worker,
        "worker_missing": worker != "ok" and not worker.startswith("unknown"),
        "abandoned": active and not graph_busy(graph),
        "has_svg": graph.status == JobStatus.DONE and not graph.svg_error,
    }
    return render(request, "graphs/explorer.html", context)


@login_required
@require_GET
def graph_view_svg(request: HttpRequest, graph_id: UUID) -> HttpResponse:
    """The view the explorer shows (same parameters as the API's `/view`) as an SVG file."""
    graph = graph_get_or_404(graph_id)
    if graph.status != JobStatus.DONE or graph_busy(graph):
        return plain_response(409, f"graph {graph.id} is {graph.status}; export it once it is done\n")
    try:
        query = view_query(request.GET)
        svg = view_svg(query.run(graph), timeout=config_get().svg_timeout_s)
    except (FilterInvalid, ViewInvalid, ViewTooLarge) as error:
        return plain_response(400, f"{error}\n")
    except ConnectionsMissing as error:
        return plain_response(404, f"{error}\n")
    except ConnectionsNotReady as error:  # answered at once, as API v1 does: no thread waits for a worker
        response = plain_response(503, f"{error}; try again in a few seconds\n")
        response["Retry-After"] = str(error.retry_after)
        return response
    except SvgRenderError as error:
        log.warning("view export of %s failed: %s", graph.id, error)
        return plain_response(503, f"the SVG could not be drawn: {error}\n")
    response = HttpResponse(svg, content_type=SVG_TYPE)
    response["Content-Security-Policy"] = SVG_CSP  # flow-log text inside: nothing in it may run
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = f'attachment; filename="{window_file_name(graph, ".svg", query.group)}"'
    response["Cache-Control"] = "private, no-cache"
    return response
