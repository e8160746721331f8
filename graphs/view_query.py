"""The parameters of a connection view (`group`, `max_nodes`, `expand`, `max_ports` and the filters), as
the explorer's SVG export reads them: the same names, defaults, limits and messages as API v1's `/view`
(graphs/api/views_connections.py), so the export of a view is the view the page drew."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.http import QueryDict

from connections.filters import Filters, filters_parse
from connections.selectors import GROUPS, MAX_NODES, MAX_PORTS, connection_view
from graphs.models import Graph
from graphs.services import graph_connections

MAX_NODES_LIMIT = 100_000
MAX_PORTS_LIMIT = 65_536
TOP_LIMIT = 1000  # rows of a top list


class ViewInvalid(Exception):
    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


def choice_param(params: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    value = params.get(name, default).strip() or default
    if value not in choices:
        raise ViewInvalid(name, f"{name}: {value!r} must be one of {', '.join(choices)}")
    return value


def count_param(params: Mapping[str, str], name: str, default: int, limit: int) -> int:
    value = params.get(name, str(default)).strip() or str(default)
    if not value.isdigit() or not 1 <= int(value) <= limit:
        raise ViewInvalid(name, f"{name}: {value!r} must be a whole number from 1 to {limit}")
    return int(value)


@dataclass(frozen=True)
class ViewQuery:
    filters: Filters
    group: str
    max_nodes: int
    expand: tuple[str, ...]
    max_ports: int

    def run(self, graph: Graph) -> dict[str, Any]:
        """The view of a done graph; raises graphs.services.ConnectionsMissing or ConnectionsNotReady."""
        table = graph_connections(graph)
        return connection_view(table, self.filters, self.group, self.max_nodes, self.expand, self.max_ports)


def view_query(params: QueryDict) -> ViewQuery:
    """Raises connections.filters.FilterInvalid or ViewInvalid, each naming the parameter."""
    return ViewQuery(
        filters=filters_parse(params),
        group=choice_param(params, "group", GROUPS, "auto"),
        max_nodes=count_param(params, "max_nodes", MAX_NODES, MAX_NODES_LIMIT),
        expand=tuple(value for value in params.getlist("expand") if value),
        max_ports=count_param(params, "max_ports", MAX_PORTS, MAX_PORTS_LIMIT),
    )
