"""REST API v1 for graphs: one view per operation; views validate, call one service or selector, and
leave the translation of domain errors to HTTP to `api_error_response` (graphs/api/errors.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, ClassVar
from uuid import UUID

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound as HttpNotFound
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from graphs.api.errors import ArtifactMissing, GraphBusy, api_error_response
from graphs.api.pagination import GraphPagination
from graphs.api.serializers import (
    DependencyErrorSerializer,
    ErrorSerializer,
    GraphConflictSerializer,
    GraphDetailOutputSerializer,
    GraphOutputSerializer,
    RerunInputSerializer,
    WindowErrorsSerializer,
    WindowInputSerializer,
)
from graphs.artifacts_http import SVG_TYPE, artifact_response
from graphs.models import Graph
from graphs.selectors import graph_get, graph_list
from graphs.services import (
    DOT_SUFFIX,
    SVG_SUFFIX,
    graph_busy,
    graph_request,
    graph_rerun,
)
from jobs.errors import JobInProgress
from jobs.models import ACTIVE_STATUSES, Job, JobStatus
from jobs.ports import NotFound
from ops.health import worker_seen

log = logging.getLogger("grapherd.api")
TAG = "graphs"


class GraphApi(APIView):
    def handle_exception(self, exc: Exception) -> Response:
        response = api_error_response(exc, self.request)
        return response if response is not None else super().handle_exception(exc)

    def _graph(self, graph_id: UUID) -> Graph:
        graph = graph_get(graph_id)
        if graph is None:
            raise HttpNotFound(f"graph {graph_id} does not exist")
        return graph

    def _accepted(self, job: Job) -> Response:
        data = GraphOutputSerializer(job, context={"request": self.request}).data
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["links"]["self"]})


_CONFLICT = OpenApiResponse(GraphConflictSerializer, description="In progress, or already built.")
_BUSY = OpenApiResponse(GraphConflictSerializer, description="Queued or running.")
_UNAUTHENTICATED = OpenApiResponse(ErrorSerializer, description="No valid token or session.")
_UNAVAILABLE = OpenApiResponse(DependencyErrorSerializer, description="Storage, marker or queue unavailable.")
_MISSING = OpenApiResponse(ErrorSerializer, description="No such graph.")


class GraphListCreateApi(GraphApi):
    # The list (GET) and the request of a window (POST) share the collection's URL, hence one view.

    pagination_class = GraphPagination

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=JobStatus.choices, required=False)
        start_from = serializers.DateTimeField(
            required=False, help_text="Window start at or after (ISO 8601)."
        )
        start_before = serializers.DateTimeField(required=False, help_text="Window start before (ISO 8601).")
        created_from = serializers.DateTimeField(
            required=False, help_text="Requested at or after (ISO 8601)."
        )
        created_before = serializers.DateTimeField(required=False, help_text="Requested before (ISO 8601).")

    @extend_schema(
        operation_id="graphs_list",
        tags=[TAG],
        summary="List graphs, newest first",
        description="Ranges are half-open: `start_from <= start < start_before`, the same for `created_*`.",
        parameters=[FilterSerializer],
        responses={
            200: GraphOutputSerializer(many=True),
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="Invalid filters or page, by field."),
            401: _UNAUTHENTICATED,
            404: OpenApiResponse(ErrorSerializer, description="A page past the last."),
        },
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(graph_list(filters=filters.validated_data), request, view=self)
        data = GraphOutputSerializer(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        operation_id="graphs_create",
        tags=[TAG],
        summary="Request the graph of a window",
        description=(
            "Queues the graph of `[start, stop)` (times truncated to the minute). The answer is the job, "
            "with `Location` pointing at it; poll it until `status` is `done` or `failed`. Times may be "
            "RFC 3339, `2019-01-01 00:00` (UTC when the zone is left out), a date, epoch seconds, `now` "
            "or `-1h`; a time that is not one of these is a 400 naming the parameter, e.g. "
            '`{"stop": ["stop is required"]}` or `{"non_field_errors": ["start must be before stop"]}`.'
        ),
        request=WindowInputSerializer,
        responses={
            202: GraphOutputSerializer,
            400: OpenApiResponse(
                WindowErrorsSerializer, description="Why a time or the window was refused, by parameter."
            ),
            401: _UNAUTHENTICATED,
            409: _CONFLICT,
            503: _UNAVAILABLE,
        },
    )
    def post(self, request: Request) -> Response:
        serializer = WindowInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._accepted(graph_request(serializer.validated_data["window"]))


class GraphDetailApi(GraphApi):
    @extend_schema(
        operation_id="graphs_retrieve",
        tags=[TAG],
        summary="A graph job",
        description="`progress` says whether a queued or running graph is still being worked on, and "
        "whether any worker is alive: what a page polling the job shows.",
        responses={200: GraphDetailOutputSerializer, 401: _UNAUTHENTICATED, 404: _MISSING},
    )
    def get(self, request: Request, graph_id: UUID) -> Response:
        graph = self._graph(graph_id)
        active = graph.status in ACTIVE_STATUSES
        progress = {"busy": active and graph_busy(graph), "worker": worker_seen()}
        context = {"request": request, "progress": progress}
        return Response(GraphDetailOutputSerializer(graph, context=context).data)


class _CanRerun(BasePermission):
    """Re-running replaces a graph's artifacts: it needs `graphs.change_graph`, not only a login."""

    message = "re-running a graph needs the permission graphs.change_graph"

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.has_perm("graphs.change_graph"))


class GraphRerunApi(GraphApi):
    permission_classes = (IsAuthenticated, _CanRerun)

    @extend_schema(
        operation_id="graphs_rerun",
        tags=[TAG],
        summary="Build a graph again",
        description="Re-queues a done or failed graph; its artifacts are replaced when the new run finishes. "
        "The flow logs are read again (the window's digest is rebuilt) unless `reuse_digest=true`.",
        request=None,
        parameters=[RerunInputSerializer],
        responses={
            202: GraphOutputSerializer,
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="`reuse_digest` is not a boolean."),
            401: _UNAUTHENTICATED,
            403: OpenApiResponse(ErrorSerializer, description="No permission graphs.change_graph."),
            404: _MISSING,
            409: _BUSY,
            503: _UNAVAILABLE,
        },
    )
    def post(self, request: Request, graph_id: UUID) -> Response:
        options = RerunInputSerializer(data=request.query_params)
        options.is_valid(raise_exception=True)
        graph = self._graph(graph_id)
        try:
            job = graph_rerun(graph, reuse_digest=options.validated_data["reuse_digest"])
        except JobInProgress as busy:
            # Answered like the artifacts of a busy graph, with the status that refused the re-run.
            raise GraphBusy(graph_get(graph_id) or graph) from busy
        return self._accepted(job)


class _JsonErrorsNegotiation(BaseContentNegotiation):
    """Artifacts answer with their own type whatever `Accept` says; errors are always JSON."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = JSONRenderer()
        return renderer, renderer.media_type

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return None


def _artifact_schema(name: str, media_type: str, what: str, missing: str) -> Any:
    return extend_schema(
        operation_id=f"graphs_{name}",
        tags=[TAG],
        summary=f"The stored {what}",
        description=(
            f"The {what} of a done graph. 404 when the graph does not exist or has no {what} ({missing}). "
            "409 while the graph is queued or running, a re-run of a done graph included: the stored "
            "file is about to be replaced, so poll the graph until it is done."
        ),
        responses={
            (200, media_type): OpenApiResponse(OpenApiTypes.BINARY, description=what),
            401: _UNAUTHENTICATED,
            404: OpenApiResponse(ErrorSerializer, description=f"No such graph, or no {what} stored."),
            409: _BUSY,
            503: _UNAVAILABLE,
        },
    )


class _GraphArtifactApi(GraphApi):
    content_negotiation_class = _JsonErrorsNegotiation
    suffix: ClassVar[str]

    def get(self, request: Request, graph_id: UUID) -> FileResponse:
        graph = self._graph(graph_id)
        if graph_busy(graph):  # a re-run is about to replace the stored file
            raise GraphBusy(graph)
        try:
            return artifact_response(graph, self.suffix, download=False)
        except NotFound as error:
            raise ArtifactMissing(graph, self.suffix) from error


class GraphDotApi(_GraphArtifactApi):
    suffix = DOT_SUFFIX

    @_artifact_schema("dot", "text/vnd.graphviz", "DOT graph", "the graph failed")
    def get(self, request: Request, graph_id: UUID) -> FileResponse:
        return super().get(request, graph_id)


class GraphSvgApi(_GraphArtifactApi):
    suffix = SVG_SUFFIX

    @_artifact_schema("svg", SVG_TYPE, "SVG preview", "failed, or too large to draw: see `figures.svg_error`")
    def get(self, request: Request, graph_id: UUID) -> FileResponse:
        return super().get(request, graph_id)


def schema_v1_endpoints(endpoints: list[tuple[Any, ...]], **kwargs: Any) -> list[tuple[Any, ...]]:
    """drf-spectacular preprocessing hook: the Go-compatible routes speak the Go wire protocol (documented in
    the README), not this API, so the schema describes `/api/v1/` only."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]
