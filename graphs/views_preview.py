"""Preview pages under `/graphs/`: recent graphs, a form to request a window, the classic SVG viewer and
the stored files. The graph explorer (`/graphs/<id>/`) is graphs/views_explorer.py.

Views validate, call one service and map its errors; the SVG itself is never inlined by the server: the
classic page fetches it from `svg` (served so that nothing inside it can run) and sanitises it before
insertion. The classic page is the explorer's fallback for browsers without WebGL.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from digests.models import Digest
from graphs import selectors
from graphs.artifacts_http import artifact_response
from graphs.forms import WindowForm
from graphs.models import Graph
from graphs.services import DOT_SUFFIX, SVG_SUFFIX, graph_busy, graph_finishing, graph_request
from jobs.errors import ArtifactExists, JobInProgress
from jobs.models import ACTIVE_STATUSES, JobStatus
from jobs.ports import DependencyFailure, NotFound

log = logging.getLogger(__name__)
PAGE_SIZE = 25
REFRESH_SECONDS = 2
QUEUE_FAILED = "could not queue, try again"

# The pages load only their own script and style; the SVG's inline `style` attributes need 'unsafe-inline'.
SVG_PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

View = Callable[..., HttpResponseBase]


def page_csp(policy: str) -> Callable[[View], View]:
    """Give a page's answers this Content-Security-Policy, unless the view set its own."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            response = view(request, *args, **kwargs)
            response.setdefault("Content-Security-Policy", policy)
            return response

        return wrapped

    return decorate


@login_required
@require_http_methods(["GET", "POST"])
@page_csp(SVG_PAGE_CSP)
def graph_list(request: HttpRequest) -> HttpResponse:
    form = WindowForm(request.POST if request.method == "POST" else None)
    if form.is_valid() and (done := _request_window(request, form)):
        return done
    page = Paginator(selectors.graph_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "graphs/list.html", {"form": form, "page": page})


def _request_window(request: HttpRequest, form: WindowForm) -> HttpResponse | None:
    """Queue the form's window; a redirect to its graph, or None to show the form again."""
    try:
        job = graph_request(form.window)
    except (JobInProgress, ArtifactExists) as existing:
        messages.info(request, str(existing))
        # A marker or file written by another grapherd sharing the buckets has no row to show here.
        return (
            redirect("graphs:detail", existing.job_id)
            if selectors.graph_get(existing.job_id) is not None
            else None
        )
    except DependencyFailure as error:
        log.warning("graph request from the preview page failed: %s", error)
        form.add_error(None, QUEUE_FAILED)
        return None
    messages.success(request, "Graph requested; this page follows it until it is done.")
    return redirect("graphs:detail", job.id)


@login_required
@require_GET
@page_csp(SVG_PAGE_CSP)
def graph_svg_preview(request: HttpRequest, graph_id: UUID) -> HttpResponse:
    """The classic page: the SVG preview rendered by the worker, with pan, zoom, search and hover."""
    graph = graph_get_or_404(graph_id)
    active = (graph.status in ACTIVE_STATUSES and graph_busy(graph)) or graph_finishing(graph)
    has_svg = graph.status == JobStatus.DONE and not graph.svg_error
    context = {
        "graph": graph,
        "digest": Digest.objects.filter(id=graph.digest_id).first() if graph.digest_id else None,
        "active": active,
        "abandoned": graph.status in ACTIVE_STATUSES and not active,
        # A drawn preview does not wait for the rest of the run (a connection table still being stored or
        # folded): a reload would only reset the reader's pan and zoom.
        "refresh_seconds": REFRESH_SECONDS if active and not has_svg else None,
        "has_svg": has_svg,
    }
    return render(request, "graphs/svg_preview.html", context)


@login_required
@require_GET
def graph_svg(request: HttpRequest, graph_id: UUID) -> HttpResponseBase:
    return _artifact(graph_get_or_404(graph_id), SVG_SUFFIX, download=request.GET.get("download") == "1")


@login_required
@require_GET
def graph_dot(request: HttpRequest, graph_id: UUID) -> HttpResponseBase:
    return _artifact(graph_get_or_404(graph_id), DOT_SUFFIX, download=True)


def graph_get_or_404(graph_id: UUID) -> Graph:
    graph = selectors.graph_get(graph_id)
    if graph is None:
        raise Http404(f"graph {graph_id} does not exist")
    return graph


def _artifact(graph: Graph, suffix: str, *, download: bool) -> HttpResponseBase:
    try:
        return artifact_response(graph, suffix, download=download)
    except NotFound:
        return plain_response(404, f"no {suffix[1:].upper()} stored for graph {graph.id}\n")
    except DependencyFailure as error:
        log.error("preview could not open %s%s: %s", graph.id, suffix, error)
        return plain_response(503, "the graph storage is unavailable, try again\n")


def plain_response(status: int, text: str) -> HttpResponse:
    response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    return response
