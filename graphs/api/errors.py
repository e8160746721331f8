"""The one place where domain errors become HTTP answers for API v1 (HackSoft's exception handler): the
views raise, `api_error_response` answers."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from django.urls import reverse
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from graphs.models import Graph
from graphs.services import SVG_SUFFIX, ConnectionsNotReady
from jobs.errors import ArtifactExists, JobInProgress
from jobs.ports import DependencyFailure, NotFound

log = logging.getLogger("grapherd.api")
RETRY_AFTER_SECONDS = "30"


class GraphBusy(Exception):
    """The graph is queued or running, so it cannot be re-run and its artifacts may be about to change."""

    def __init__(self, graph: Graph) -> None:
        super().__init__(f"graph {graph.id} is {graph.status}")
        self.graph = graph


class ArtifactMissing(Exception):
    def __init__(self, graph: Graph, suffix: str) -> None:
        reason = f": {graph.svg_error}" if suffix == SVG_SUFFIX and graph.svg_error else ""
        super().__init__(f"graph {graph.id} ({graph.status}) has no stored {suffix[1:].upper()}{reason}")
        self.graph = graph


def api_error_response(error: Exception, request: Request) -> Response | None:
    """The one place where domain errors become HTTP answers; None leaves the error to DRF."""
    if isinstance(error, JobInProgress | ArtifactExists):
        body: dict[str, Any] = {
            "detail": str(error),
            "id": error.job_id,
            "url": _detail_url(request, error.job_id),
        }
        return Response(body, status=status.HTTP_409_CONFLICT)
    if isinstance(error, GraphBusy):
        graph = error.graph
        body = {
            "detail": str(error),
            "id": graph.id,
            "status": graph.status,
            "url": _detail_url(request, graph.id),
        }
        return Response(body, status=status.HTTP_409_CONFLICT)
    if isinstance(error, ConnectionsNotReady):  # answered at once: no web thread waits for a worker
        graph, seconds = error.graph, error.retry_after
        body = {
            "detail": str(error),
            "id": graph.id,
            "url": _detail_url(request, graph.id),
            "retry_after": seconds,
        }
        headers = {"Retry-After": str(seconds)}
        return Response(body, status=status.HTTP_503_SERVICE_UNAVAILABLE, headers=headers)
    if isinstance(error, ArtifactMissing):
        return Response({"detail": str(error)}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(error, NotFound):
        return Response({"detail": f"{error} is not stored"}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(error, DependencyFailure):
        # The detail may name buckets or hosts: it goes to the log, not to the client.
        log.error("dependency-failure %s: %s", error.dependency, error.detail)
        body = {
            "detail": f"the {error.dependency} is unavailable; try again later",
            "dependency": error.dependency,
        }
        headers = {"Retry-After": RETRY_AFTER_SECONDS}
        return Response(body, status=status.HTTP_503_SERVICE_UNAVAILABLE, headers=headers)
    return None


def _detail_url(request: Request, graph_id: UUID | str) -> str:
    return request.build_absolute_uri(reverse("api:graph-detail", args=[graph_id]))
