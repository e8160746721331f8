"""The filtered connections of one request, as a temporary table `f` on a cursor of the shared database.

Every filter is a bound parameter or a small registered table of addresses (CIDR and search matches
are decided in Python over the window's distinct addresses, then joined), never text pasted into SQL.
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
    """Creates the temporary table `f`: the connections that pass, with their endpoints' places (pc, ps)."""
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
        if values:
            where.append(f"list_has_any(c.{column}, ?::VARCHAR[])")
            params.append(list(values))
    if filters.paths:
        where.append("c.paths & ? <> 0")
        params.append(filters.paths)
    if filters.min_bytes:
        where.append("c.bytes_sent + c.bytes_received >= ?")
        params.append(filters.min_bytes)
    if filters.internet == "in":
        where.append("pc.internet AND NOT ps.internet")
    elif filters.internet == "out":
        where.append("NOT pc.internet AND ps.internet")
    if filters.search:
        where.append("(contains(pc.search, ?) OR contains(ps.search, ?))")
        params += [filters.search, filters.search]
    for side, networks in (
        ("either", filters.address),
        ("client", filters.client),
        ("server", filters.server),
    ):
        if networks:
            where.append(_cidr_condition(cursor, table, side, networks))
    # A temporary table, not a view: DuckDB binds no parameters in a view's definition.
    sql = (
        "CREATE OR REPLACE TEMP TABLE f AS SELECT c.client, c.server, c.port, c.protocol, c.action, c.bytes_sent, "
        "c.bytes_received, c.packets_sent, c.packets_received, c.records, c.paths, "
        "pc.internet AS client_internet, ps.internet AS server_internet "
        f"FROM {table.name} c JOIN {table.places_name} pc ON pc.address = c.client "
        f"JOIN {table.places_name} ps ON ps.address = c.server"
    )
    if where:
        sql += " WHERE " + " AND ".join(where)
    cursor.execute(sql, params).fetchall()  # DuckDB wants every result finished before the next call


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
