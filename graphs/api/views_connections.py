"""API v1 connection views: `/api/v1/graphs/<id>/view` and `/top`, as JSON or `?format=csv`."""

from __future__ import annotations

import csv
import io
from typing import Any
from uuid import UUID

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from connections.filters import FilterInvalid, filters_parse
from connections.selectors import (
    EDGE_CSV_COLUMNS,
    GROUPS,
    MAX_NODES,
    MAX_PORTS,
    RANKS,
    TOP_CSV_COLUMNS,
    TOPS,
    connection_top,
    view_csv_rows,
)
from graphs.api.errors import GraphBusy
from graphs.api.serializers import ErrorSerializer, GraphConflictSerializer, NotReadySerializer
from graphs.api.views import TAG, GraphApi
from graphs.artifacts_http import window_file_name
from graphs.models import Graph
from graphs.services import ConnectionsMissing, graph_busy, graph_connections
from graphs.view_query import TOP_LIMIT, ViewInvalid, choice_param, count_param, view_query
from jobs.models import JobStatus


class CsvRenderer(BaseRenderer):
    """`?format=csv`: the rows the view hands over (`{"columns": [...], "rows": [...]}`), as CSV."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        out = io.StringIO()
        if isinstance(data, dict) and "columns" in data:
            writer = csv.DictWriter(
                out, fieldnames=data["columns"], extrasaction="ignore", lineterminator="\n"
            )
            writer.writeheader()
            writer.writerows(data["rows"])
        else:  # an error answer: its detail, one line
            out.write(f"error\n{data.get('detail', data) if isinstance(data, dict) else data}\n")
        return out.getvalue().encode()


def _rows_forget(response: Response) -> None:
    response.data = None


class _ConnectionsApi(GraphApi):
    renderer_classes = (JSONRenderer, CsvRenderer)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, FilterInvalid | ViewInvalid):
            parameter = exc.parameter
            return Response({"detail": str(exc), "parameter": parameter}, status=400)
        if isinstance(exc, ConnectionsMissing):  # built before connection tables, its digest gone: re-run it
            return Response({"detail": str(exc)}, status=409)
        return super().handle_exception(exc)

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        # A response is in a reference cycle with this view (its renderer context), so it lives until the
        # garbage collector's next full pass; a view's rows (tens of MB for a host view of a large VPC)
        # must not live with it: once rendered, only the bytes are needed.
        response.add_post_render_callback(_rows_forget)
        return response

    def _ready_graph(self, graph_id: UUID) -> Graph:
        graph = self._graph(graph_id)
        if graph.status != JobStatus.DONE or graph_busy(graph):
            raise GraphBusy(graph)
        return graph

    def _csv(self, request: Request) -> bool:
        return request.accepted_renderer.format == "csv"

    def _csv_download(self, table: dict[str, Any], graph_id: UUID, part: str) -> Response:
        """CSV rows, offered as a file named after the window (`graph_<start>_<stop>_view.csv`)."""
        name = window_file_name(self._graph(graph_id), ".csv", part)
        return Response(table, headers={"Content-Disposition": f'attachment; filename="{name}"'})


_FILTERS = [
    OpenApiParameter("port", str, description="Server ports and ranges: `443,8000-8080`."),
    OpenApiParameter("protocol", str, description="Numbers or names: `tcp,udp,icmp` or `6`."),
    OpenApiParameter("action", str, enum=["accept", "reject", "mixed"],
                     description="accept: ACCEPT or MIXED connections; reject: REJECT or MIXED; mixed."),
    OpenApiParameter("address", str, description="CIDRs or addresses on either side."),
    OpenApiParameter("client", str, description="CIDRs or addresses of the client."),
    OpenApiParameter("server", str, description="CIDRs or addresses of the server."),
    OpenApiParameter("account", str, description="Account ids of the ENIs that logged the connection."),
    OpenApiParameter("eni", str, description="ENI ids that logged the connection."),
    OpenApiParameter("min_bytes", int, description="Bytes both ways together, at least."),
    OpenApiParameter("internet", str, enum=["in", "out"],
                     description="in: internet clients of VPC servers; out: VPC clients of internet servers."),
    OpenApiParameter("search", str, description="A substring of an address, name or id, on either side."),
    OpenApiParameter("path", str, description="traffic-path codes 1-8 or names (vpc, igw-or-gateway-endpoint, vgw, "
                     "peering, inter-region-peering, local-gateway, gateway-endpoint, igw): connections that left "
                     "by one of them (flow logs version 5)."),
    OpenApiParameter("format", str, enum=["json", "csv"], description="`csv` answers the rows as CSV."),
]  # fmt: skip
_RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    int,
    OpenApiParameter.HEADER,
    response=[503],
    description="Seconds to wait before asking again.",
)
_ERRORS = {
    401: OpenApiResponse(ErrorSerializer, description="No valid token or session."),
    400: OpenApiResponse(
        ErrorSerializer, description="A parameter that cannot be parsed (`parameter` names it)."
    ),
    404: OpenApiResponse(ErrorSerializer, description="No such graph."),
    409: OpenApiResponse(GraphConflictSerializer, description="Not done yet, failed, or being built again."),
    503: OpenApiResponse(
        NotReadySerializer,
        description="Done, but its connection table is still being built (its worker stores it after the DOT, "
        "or a task folds it from the stored digest of a graph built without one): ask again after "
        "`Retry-After` seconds. The same code, with `dependency` instead of `retry_after`, when the queue "
        "is unavailable.",
    ),
}


class ViewNodeSerializer(serializers.Serializer):
    id = serializers.CharField(
        help_text="At `group=host`, the address; else `subnet:…`, `vpc:…`, `account:…`."
    )
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.label
    kind = serializers.ChoiceField(
        choices=["host", "subnet", "vpc", "account", "internet", "aws-service", "group"]
    )
    members = serializers.IntegerField(help_text="Addresses in the node.")
    name = serializers.CharField(help_text="The enrichment name (Name tag, group name); empty when none.")
    bytes_sent = serializers.IntegerField()
    bytes_received = serializers.IntegerField()


class ViewEdgeSerializer(serializers.Serializer):
    client = serializers.CharField(help_text="A node id.")
    server = serializers.CharField(help_text="A node id.")
    port = serializers.IntegerField(help_text="The server's port.")
    protocol = serializers.IntegerField()
    action = serializers.ChoiceField(choices=["ACCEPT", "REJECT", "MIXED"])
    bytes_sent = serializers.IntegerField(help_text="Client → server.")
    bytes_received = serializers.IntegerField(help_text="Server → client.")
    packets = serializers.IntegerField(help_text="Both ways.")
    records = serializers.IntegerField(help_text="Digest lines merged.")
    paths = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=8),
        required=False,
        help_text="Optional: the traffic-path codes (flow logs version 5) its records left by: 1 within the "
        "VPC, 2 internet gateway or gateway endpoint, 3 virtual private gateway, 4 intra-region peering, "
        "5 inter-region peering, 6 local gateway, 7 gateway endpoint, 8 internet gateway. Absent when the "
        "flow logs do not give it.",
    )


class ViewOutputSerializer(serializers.Serializer):
    group = serializers.ChoiceField(choices=list(GROUPS[1:]), help_text="The level drawn (auto resolved).")
    nodes = ViewNodeSerializer(many=True)
    edges = ViewEdgeSerializer(many=True)
    totals = serializers.DictField(help_text="connections, bytes_sent, bytes_received, packets, records of the "
                                   "filtered connections; nodes and edges before truncation; levels: node "
                                   "counts at host, subnet, vpc and account.")  # fmt: skip
    truncated = serializers.BooleanField(help_text="More nodes than `max_nodes`: the heaviest were kept.")


class TopRowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The address, or the port for `of=ports`.")
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.label
    bytes = serializers.IntegerField()
    packets = serializers.IntegerField()
    connections = serializers.IntegerField(help_text="For `servers`: distinct clients.")


class TopOutputSerializer(serializers.Serializer):
    of = serializers.ChoiceField(choices=list(TOPS))
    by = serializers.ChoiceField(choices=list(RANKS))
    rows = TopRowSerializer(many=True)


class GraphViewApi(_ConnectionsApi):
    @extend_schema(
        operation_id="graphs_view",
        tags=[TAG],
        summary="The connection view: who talks to whom, grouped",
        parameters=[
            OpenApiParameter(
                "group",
                str,
                enum=list(GROUPS),
                description="Default auto: the finest level whose node count fits `max_nodes`.",
            ),
            OpenApiParameter("max_nodes", int, description=f"Default {MAX_NODES}."),
            OpenApiParameter("expand", str, many=True, description="Node ids to open one level finer."),
            OpenApiParameter(
                "max_ports",
                int,
                description=f"Default {MAX_PORTS}: edges between two nodes (per "
                "protocol) beyond this many ports merge into one edge of port -1.",
            ),
            *_FILTERS,
            _RETRY_AFTER,
        ],
        responses={200: ViewOutputSerializer, (200, "text/csv"): OpenApiTypes.STR, **_ERRORS},
    )
    def get(self, request: Request, graph_id: UUID) -> Response:
        view = view_query(request.query_params).run(self._ready_graph(graph_id))
        if self._csv(request):
            rows = view_csv_rows(view)
            return self._csv_download({"columns": EDGE_CSV_COLUMNS, "rows": rows}, graph_id, "view")
        return Response(view)


class GraphTopApi(_ConnectionsApi):
    @extend_schema(
        operation_id="graphs_top",
        tags=[TAG],
        summary="Top lists: talkers, servers, clients, ports, rejected sources, internet in and out",
        parameters=[
            OpenApiParameter("of", str, enum=list(TOPS), description="Default talkers."),
            OpenApiParameter("by", str, enum=list(RANKS), description="Default bytes."),
            OpenApiParameter("limit", int, description=f"Default 20, at most {TOP_LIMIT}."),
            *_FILTERS,
            _RETRY_AFTER,
        ],
        responses={200: TopOutputSerializer, (200, "text/csv"): OpenApiTypes.STR, **_ERRORS},
    )
    def get(self, request: Request, graph_id: UUID) -> Response:
        params = request.query_params
        filters = filters_parse(params)
        of = choice_param(params, "of", TOPS, "talkers")
        by = choice_param(params, "by", RANKS, "bytes")
        limit = count_param(params, "limit", 20, TOP_LIMIT)
        top = connection_top(graph_connections(self._ready_graph(graph_id)), filters, of, by, limit)
        if self._csv(request):
            table = {"columns": TOP_CSV_COLUMNS, "rows": top["rows"]}
            return self._csv_download(table, graph_id, f"top-{of}")
        return Response(top)
