"""A graph's connection table, loaded into this process's in-memory DuckDB database and kept there.

The first view of a graph reads its Parquet files (a second or so for a day of a large VPC); the next
ones query the loaded table. The places of its addresses (`connections.places`) are recomputed when the
enrichment changes. The least recently used tables are dropped beyond `CACHED_TABLES`.

Memory: what every view reads is loaded; the lists of ENIs and accounts that logged each connection (two
fifths of a loaded table, read only by the `eni` and `account` filters) and the hosts stay in the local
copies of the Parquet files, which those filters and a recomputation of the places read from disk.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from connections.places import LEVELS, Node, Owner, Place, places_of
from enrichment.selectors import addresses_describe, enrichment_version
from ops.tempfiles import PREFIX

if TYPE_CHECKING:  # duckdb and numpy load on the first view, not when Django starts
    import duckdb

CACHED_TABLES = 4
OWNER_COLUMNS = ("eni", "account", "vpc", "subnet", "instance")
Opener = Callable[[], IO[bytes]]


@dataclass
class ConnectionTable:
    name: str  # the DuckDB table of connections; `<name>_places` holds its addresses' nodes
    folder: Path = (
        Path()
    )  # the local copies: connections.parquet (its rows are the table's `row`), hosts.parquet
    places: dict[str, Place] = field(default_factory=dict)
    nodes: dict[str, Node] = field(default_factory=dict)  # every node of the places, by id
    version: str = ""  # the enrichment version the places were computed with

    @property
    def places_name(self) -> str:
        return f"{self.name}_places"

    @property
    def connections_file(self) -> str:
        return str(self.folder / "connections.parquet")

    @property
    def hosts_file(self) -> str:
        return str(self.folder / "hosts.parquet")


# Bounded: beyond the limit DuckDB spills to its temporary folder (swept with the process's other
# temporary folders, ops.tempfiles) instead of growing the web process.
MEMORY_LIMIT = "128MB"
_connection: duckdb.DuckDBPyConnection | None = None
_lock = threading.Lock()
_tables: OrderedDict[str, ConnectionTable] = OrderedDict()


def _database() -> duckdb.DuckDBPyConnection:
    """The process's database, opened on first use (only processes that answer views pay for it)."""
    global _connection
    if _connection is None:
        import duckdb

        folder = Path(tempfile.gettempdir()) / f"{PREFIX}{os.getpid()}-duckdb"
        config: dict[str, str | bool | int | float | list[str]] = {
            "memory_limit": MEMORY_LIMIT,
            "threads": 2,
            "temp_directory": str(folder),
            # Give freed query memory back to the system at once, not after it piles up (128 MB).
            "allocator_flush_threshold": "8MB",
            "allocator_bulk_deallocation_flush_threshold": "8MB",
            # And purge what the allocator keeps between requests in the background: the next request's
            # peak then starts from the loaded tables, not from the last request's leftovers.
            "allocator_background_threads": True,
        }
        _connection = duckdb.connect(config=config)
    return _connection


def table_cursor() -> duckdb.DuckDBPyConnection:
    """A cursor of the shared database for one request (cursors may be used from different threads)."""
    with _lock:
        return _database().cursor()


def table_get(key: str, connections: Opener, hosts: Opener) -> ConnectionTable:
    """The loaded table for `key` (a graph id and its build time), loading it on first use."""
    with _lock:
        table = _tables.get(key)
        if table is None:
            table = _load(key, connections, hosts)
            _tables[key] = table
            while len(_tables) > CACHED_TABLES:
                _drop(_tables.popitem(last=False)[1])
        _tables.move_to_end(key)
        version = enrichment_version()
        if table.version != version or not table.places:
            _places_load(table, version)
        return table


def tables_forget() -> None:
    """Drop every loaded table (tests, and after a graph's files were replaced)."""
    with _lock:
        while _tables:
            _drop(_tables.popitem()[1])


def _load(key: str, connections: Opener, hosts: Opener) -> ConnectionTable:
    name = "c_" + hashlib.sha256(key.encode()).hexdigest()[:16]
    # Named after this process, so that a sweep removes it once the process is gone (ops.tempfiles).
    table = ConnectionTable(name, Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-view-")))
    try:
        for opener, path in ((connections, table.connections_file), (hosts, table.hosts_file)):
            with opener() as source, open(path, "wb") as target:
                shutil.copyfileobj(source, target, 1 << 20)
        database = _database()
        described = database.execute("DESCRIBE SELECT * FROM read_parquet(?)", [table.connections_file])
        columns = {row[0] for row in described.fetchall()}
        # Tables written before traffic-path was kept have no `paths` column.
        paths = "" if "paths" in columns else ", 0::UTINYINT AS paths"
        database.execute(
            f"CREATE OR REPLACE TABLE {name} AS SELECT * EXCLUDE (enis, accounts, file_row_number){paths}, "
            "file_row_number::UINTEGER AS row FROM read_parquet(?, file_row_number = true)",
            [table.connections_file],
        ).fetchall()
    except BaseException:
        shutil.rmtree(table.folder, ignore_errors=True)
        raise
    return table


def _places_load(table: ConnectionTable, version: str) -> None:
    addresses = [
        row[0]
        for row in _database()
        .execute(f"SELECT client FROM {table.name} UNION SELECT server FROM {table.name}")
        .fetchall()
    ]
    database = _database()
    hosts = [table.hosts_file]
    present = {row[0] for row in database.execute("DESCRIBE SELECT * FROM read_parquet(?)", hosts).fetchall()}
    # Host tables written before rich records were read have no vpc, subnet and instance columns.
    selected = [f"coalesce({name}, '')" if name in present else "''" for name in OWNER_COLUMNS]
    rows = database.execute(f"SELECT address, {', '.join(selected)} FROM read_parquet(?)", hosts).fetchall()
    owners = {address: Owner(*fields) for address, *fields in rows}
    table.places = places_of(addresses, addresses_describe(addresses), owners)
    table.nodes = {node.id: node for place in table.places.values() for node in place.chain}
    import numpy as np

    columns: dict[str, np.ndarray] = {"address": np.array(addresses, dtype=object)}
    columns["internet"] = np.array([table.places[a].internet for a in addresses], dtype=bool)
    for index, level in enumerate(LEVELS):
        columns[level] = np.array([table.places[a].chain[index].id for a in addresses], dtype=object)
    columns["search"] = np.array([table.places[a].search for a in addresses], dtype=object)
    cursor = _database().cursor()
    schema = ", ".join(
        ["address VARCHAR", "internet BOOLEAN", *(f"{level} VARCHAR" for level in LEVELS), "search VARCHAR"]
    )
    cursor.execute(f"CREATE OR REPLACE TABLE {table.places_name} ({schema})").fetchall()
    if addresses:  # numpy arrays are registered as they are (no pandas, no pyarrow in the web tier)
        cursor.register("new_places", columns)
        cursor.execute(f"INSERT INTO {table.places_name} SELECT * FROM new_places").fetchall()
    cursor.close()
    table.version = version


def _drop(table: ConnectionTable) -> None:
    for name in (table.name, table.places_name):
        _database().execute(f"DROP TABLE IF EXISTS {name}").fetchall()
    shutil.rmtree(table.folder, ignore_errors=True)
