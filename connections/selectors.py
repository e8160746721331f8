"""Answers from a graph's connections: the grouped view (nodes and edges) and the top lists."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connections.filters import Filters, paths_decode
from connections.places import LEVELS, Node
from connections.query import filtered
from connections.table import ConnectionTable, table_cursor

if TYPE_CHECKING:
    import duckdb

GROUPS = ("auto", *LEVELS)
MAX_NODES = 500
MAX_PORTS = 20  # per node pair and protocol; the rest merge into port -1
TOPS = ("talkers", "servers", "clients", "ports", "rejected", "internet_in", "internet_out")
RANKS = ("bytes", "packets", "connections")


def connection_view(
    table: ConnectionTable, filters: Filters, group: str = "auto", max_nodes: int = MAX_NODES,
    expand: tuple[str, ...] = (), max_ports: int = MAX_PORTS,
) -> dict[str, Any]:  # fmt: skip
    """Nodes and edges at `group` (auto: the finest level with at most `max_nodes` nodes), the nodes in
    `expand` opened one level finer. Beyond `max_nodes`, the heaviest nodes are kept (`truncated`); beyond
    `max_ports` ports between two nodes (per protocol), the lightest merge into one edge of port -1."""
    cursor = table_cursor()
    try:
        filtered(cursor, table, filters)
        levels = _level_counts(cursor, table)
        chosen = (
            group if group != "auto" else next((lv for lv in LEVELS if levels[lv] <= max_nodes), LEVELS[-1])
        )
        nodes_of = _register_nodes(cursor, table, LEVELS.index(chosen), set(expand))
        edges = _edges(cursor, max_ports)
        nodes = _nodes(cursor)
        totals = _totals(cursor)
    finally:
        cursor.close()
    kept = sorted(nodes, key=lambda row: -(row[1] + row[2]))[:max_nodes]
    keep = {row[0] for row in kept}
    kept_edges = [edge for edge in edges if edge[0] in keep and edge[1] in keep]
    totals.update(nodes=len(nodes), edges=len(edges), levels=levels)
    return {
        "group": chosen,
        "nodes": [
            _node_json(nodes_of[node_id], sent, received, members)
            for node_id, sent, received, members in kept
        ],
        "edges": [_edge_json(edge) for edge in kept_edges],
        "totals": totals,
        "truncated": len(kept) < len(nodes),
    }


EDGE_CSV_COLUMNS = (
    "client", "client_label", "server", "server_label", "port", "protocol", "action", "bytes_sent",
    "bytes_received", "packets", "records", "paths",
)  # fmt: skip
TOP_CSV_COLUMNS = ("key", "label", "bytes", "packets", "connections")


def view_csv_rows(view: dict[str, Any]) -> list[dict[str, Any]]:
    """A view's edges as the rows of its CSV (EDGE_CSV_COLUMNS): with the nodes' labels, and the
    traffic-path codes separated by spaces. The API's `?format=csv` and `manage.py graph_view` share it."""
    labels = {node["id"]: node["label"] for node in view["nodes"]}
    return [
        {**edge, "client_label": labels[edge["client"]], "server_label": labels[edge["server"]],
         "paths": " ".join(str(code) for code in edge.get("paths", ()))}
        for edge in view["edges"]
    ]  # fmt: skip


def connection_top(table: ConnectionTable, filters: Filters, of: str, by: str, limit: int) -> dict[str, Any]:
    cursor = table_cursor()
    try:
        filtered(cursor, table, filters)
        sql = _TOP_SQL[of].replace("{places}", table.places_name)
        rows = cursor.execute(sql + f" ORDER BY {by} DESC, key LIMIT ?", [limit]).fetchall()
    finally:
        cursor.close()
    return {"of": of, "by": by, "rows": [_top_row(table, of, row) for row in rows]}


def _level_counts(cursor: duckdb.DuckDBPyConnection, table: ConnectionTable) -> dict[str, int]:
    counts = ", ".join(f"count(DISTINCT p.{level})" for level in LEVELS)
    sql = (
        f"SELECT {counts} FROM (SELECT client AS address FROM f UNION SELECT server FROM f) e "
        f"JOIN {table.places_name} p USING (address)"
    )
    row = cursor.execute(sql).fetchall()[0]
    return dict(zip(LEVELS, (int(value) for value in row), strict=True))


def _register_nodes(
    cursor: duckdb.DuckDBPyConnection, table: ConnectionTable, level: int, expand: set[str]
) -> dict[str, Node]:
    """The view `node_of`: each address's node at `level`, one level finer wherever its node is expanded
    (repeatedly). Computed by DuckDB from the places table: nothing per address is built in Python."""
    node = LEVELS[0]
    for coarser in LEVELS[1 : level + 1]:
        node = f"CASE WHEN list_contains($expand::VARCHAR[], {coarser}) THEN {node} ELSE {coarser} END"
    sql = f"CREATE OR REPLACE TEMP TABLE node_of AS SELECT address, {node} AS node FROM {table.places_name}"
    cursor.execute(sql, {"expand": sorted(expand)} if level else None).fetchall()
    return table.nodes


_ACTION = (
    "CASE WHEN bool_or(action = 'MIXED') OR (bool_or(action = 'ACCEPT') AND bool_or(action = 'REJECT')) "
    "THEN 'MIXED' WHEN bool_or(action = 'REJECT') THEN 'REJECT' ELSE 'ACCEPT' END"
)


def _edges(cursor: duckdb.DuckDBPyConnection, max_ports: int) -> list[tuple[Any, ...]]:
    """Edges per node pair, port and protocol; beyond the `max_ports` heaviest ports of a pair and protocol
    the others merge into one edge with port -1 (a scanner's thousand probed ports stay one line)."""
    sql = (
        "WITH pairs AS ("
        f" SELECT mc.node AS client, ms.node AS server, f.port, f.protocol, {_ACTION} AS action,"
        " sum(bytes_sent)::BIGINT AS sent, sum(bytes_received)::BIGINT AS received,"
        " sum(packets_sent + packets_received)::BIGINT AS packets, sum(records)::BIGINT AS records,"
        " bit_or(paths) AS paths"
        " FROM f JOIN node_of mc ON mc.address = f.client JOIN node_of ms ON ms.address = f.server GROUP BY ALL"
        "), ranked AS ("
        " SELECT *, row_number() OVER (PARTITION BY client, server, protocol ORDER BY sent + received DESC, port)"
        " AS rank FROM pairs"
        ") SELECT client, server, CASE WHEN rank <= ? THEN port ELSE -1 END AS port, protocol,"
        f" {_ACTION}, sum(sent)::BIGINT, sum(received)::BIGINT, sum(packets)::BIGINT,"
        " sum(records)::BIGINT, bit_or(paths) FROM ranked GROUP BY ALL ORDER BY 6 + 7 DESC, 1, 2, 3, 4"
    )
    return cursor.execute(sql, [max_ports]).fetchall()


def _nodes(cursor: duckdb.DuckDBPyConnection) -> list[tuple[str, int, int, int]]:
    """Per node: bytes it sent and received (as a client and as a server), and its member addresses."""
    sql = (
        "SELECT node, sum(sent)::BIGINT, sum(received)::BIGINT, count(DISTINCT address) FROM ("
        " SELECT client AS address, bytes_sent AS sent, bytes_received AS received FROM f"
        " UNION ALL SELECT server, bytes_received, bytes_sent FROM f"
        ") JOIN node_of USING (address) GROUP BY node ORDER BY node"
    )
    return [(str(a), int(b), int(c), int(d)) for a, b, c, d in cursor.execute(sql).fetchall()]


def _totals(cursor: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    sql = (
        "SELECT count(*), coalesce(sum(bytes_sent), 0)::BIGINT, coalesce(sum(bytes_received), 0)::BIGINT, "
        "coalesce(sum(packets_sent + packets_received), 0)::BIGINT, coalesce(sum(records), 0)::BIGINT FROM f"
    )
    row = cursor.execute(sql).fetchall()[0]
    names = ("connections", "bytes_sent", "bytes_received", "packets", "records")
    return dict(zip(names, (int(value) for value in row), strict=True))


def _node_json(node: Node, sent: int, received: int, members: int) -> dict[str, Any]:
    return {"id": node.id, "label": node.label, "kind": node.kind, "members": members, "name": node.name,
            "bytes_sent": sent, "bytes_received": received}  # fmt: skip


def _edge_json(edge: tuple[Any, ...]) -> dict[str, Any]:
    client, server, port, protocol, action, sent, received, packets, records, paths = edge
    answer = {"client": client, "server": server, "port": port, "protocol": protocol, "action": action,
              "bytes_sent": sent, "bytes_received": received, "packets": packets, "records": records}  # fmt: skip
    if paths:  # only flow logs with traffic-path (version 5) give it
        answer["paths"] = paths_decode(paths)
    return answer


_PLACES = "JOIN {places} pc ON pc.address = f.client JOIN {places} ps ON ps.address = f.server"
_SUMS = "sum(bytes_sent + bytes_received)::BIGINT AS bytes, sum(packets_sent + packets_received)::BIGINT AS packets"
_TOP_SQL = {
    "talkers": (
        "SELECT address AS key, sum(b)::BIGINT AS bytes, sum(p)::BIGINT AS packets, count(*) AS connections FROM ("
        " SELECT client AS address, bytes_sent + bytes_received AS b, packets_sent + packets_received AS p FROM f"
        " UNION ALL SELECT server, bytes_sent + bytes_received, packets_sent + packets_received FROM f"
        ") GROUP BY address"
    ),
    "servers": f"SELECT server AS key, {_SUMS}, count(DISTINCT client) AS connections FROM f GROUP BY server",
    "clients": f"SELECT client AS key, {_SUMS}, count(*) AS connections FROM f GROUP BY client",
    "ports": f"SELECT port AS key, protocol, {_SUMS}, count(*) AS connections FROM f GROUP BY port, protocol",
    "rejected": (
        f"SELECT client AS key, {_SUMS}, count(*) AS connections FROM f WHERE action IN ('REJECT', 'MIXED') "
        "GROUP BY client"
    ),
    "internet_in": (
        f"SELECT server AS key, {_SUMS}, count(*) AS connections FROM f {_PLACES} "
        "WHERE pc.internet AND NOT ps.internet GROUP BY server"
    ),
    "internet_out": (
        f"SELECT client AS key, {_SUMS}, count(*) AS connections FROM f {_PLACES} "
        "WHERE NOT pc.internet AND ps.internet GROUP BY client"
    ),
}
_PROTOCOL_NAMES = {6: "tcp", 17: "udp", 1: "icmp", 58: "icmpv6"}


def _top_row(table: ConnectionTable, of: str, row: tuple[Any, ...]) -> dict[str, Any]:
    if of == "ports":
        port, protocol, total_bytes, packets, connections = row
        label = f"{port}/{_PROTOCOL_NAMES.get(protocol, protocol)}"
        return {
            "key": port,
            "label": label,
            "bytes": total_bytes,
            "packets": packets,
            "connections": connections,
        }
    key, total_bytes, packets, connections = row
    place = table.places.get(key)
    label = place.chain[0].label if place else key
    return {"key": key, "label": label, "bytes": total_bytes, "packets": packets, "connections": connections}
