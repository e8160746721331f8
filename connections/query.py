"""The filtered connections of one request, as a temporary table `f` on a cursor of the shared database.

Every filter is a bound parameter, a subquery over the window's places (search, internet) or a small
registered table of addresses (CIDR matches are decided in Python over the window's distinct addresses),
never text pasted into SQL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connections.filters import Filters, Network
from connections.places import address_in
from connections.table import ConnectionTable

if TYPE_CHECKING:
    import duckdb

ACTIONS_OF = {"accept": ("ACCEPT", "MIXED"), "reject": ("REJECT", "MIXED"), "mixed": ("MIXED",)}


def filtered(cursor: duckdb.DuckDBPyConnection, table: ConnectionTable, filters: Filters) -> None:
    """Creates `f`: the connections that pass. Without filters it is a view of the whole table, so a
    request copies nothing; with filters, a temporary table of the connections that pass (DuckDB binds no
    parameters in a view's definition), usually a small part of the window."""
    where, params = _conditions(cursor, table, filters)
    columns = (
        "c.client, c.server, c.port, c.protocol, c.action, c.bytes_sent, c.bytes_received, c.packets_sent, "
        "c.packets_received, c.records, c.paths"
    )
    if not where:
        cursor.execute(f"CREATE OR REPLACE TEMP VIEW f AS SELECT {columns} FROM {table.name} c").fetchall()
        return
    sql = (
        f"CREATE OR REPLACE TEMP TABLE f AS SELECT {columns} FROM {table.name} c WHERE {' AND '.join(where)}"
    )
    cursor.execute(sql, params).fetchall()  # DuckDB wants every result finished before the next call


def _conditions(
    cursor: duckdb.DuckDBPyConnection, table: ConnectionTable, filters: Filters
) -> tuple[list[str], list[object]]:
    where: list[str] = []
    params: list[object] = []
    if filters.ports:
        where.append("(" + " OR ".join("c.port BETWEEN ? AND ?" for _ in filters.ports) + ")")
        params += [bound for pair in filters.ports for bound in pair]
    if filters.protocols:
        where.append(f"c.protocol IN ({', '.join('?' for _ in filters.protocols)})")
        params += list(filters.protocols)
    if filters.action:
        actions = ACTIONS_OF[filters.action]
        where.append(f"c.action IN ({', '.join('?' for _ in actions)})")
        params += list(actions)
    for column, values in (("accounts", filters.accounts), ("enis", filters.enis)):
        if values:  # these lists stay on disk (connections.table): read them for the rows that match
            where.append(
                "c.row IN (SELECT file_row_number FROM read_parquet(?, file_row_number = true) "
                f"WHERE list_has_any({column}, ?::VARCHAR[]))"
            )
            params += [table.connections_file, list(values)]
    for condition, value in (
        ("c.paths & ? <> 0", filters.paths),
        ("c.bytes_sent + c.bytes_received >= ?", filters.min_bytes),
    ):
        if value:
            where.append(condition)
            params.append(value)
    # Conditions on the endpoints' places pick addresses among the window's few tens of thousands, not
    # among its connections: a join of every connection with its places costs tens of MB.
    places = table.places_name
    if filters.internet:
        outside = f"(SELECT address FROM {places} WHERE internet)"
        inside = f"(SELECT address FROM {places} WHERE NOT internet)"
        client, server = (outside, inside) if filters.internet == "in" else (inside, outside)
        where.append(f"c.client IN {client} AND c.server IN {server}")
    if filters.search:
        found = f"(SELECT address FROM {places} WHERE contains(search, ?))"
        where.append(f"(c.client IN {found} OR c.server IN {found})")
        params += [filters.search, filters.search]
    for side, networks in (
        ("either", filters.address),
        ("client", filters.client),
        ("server", filters.server),
    ):
        if networks:
            where.append(_cidr_condition(cursor, table, side, networks))
    return where, params


def _cidr_condition(
    cursor: duckdb.DuckDBPyConnection, table: ConnectionTable, side: str, networks: tuple[Network, ...]
) -> str:
    import numpy as np

    matched = [address for address in table.places if address_in(address, list(networks))]
    name = f"cidr_{side}"
    cursor.register(name, {"address": np.array(matched or [""], dtype=object)})
    inside = f"IN (SELECT address FROM {name})"
    if side == "client":
        return f"c.client {inside}"
    if side == "server":
        return f"c.server {inside}"
    return f"(c.client {inside} OR c.server {inside})"
