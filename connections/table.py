"""A graph's connection table, loaded into this process's in-memory DuckDB database and kept there.

The first view of a graph reads its Parquet files (a second or so for a day of a large VPC); the next
ones query the loaded table. The places of its addresses (`connections.places`) are recomputed when the
enrichment changes. The least recently used tables are dropped beyond `CACHED_TABLES`.
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

from connections.places import LEVELS, Owner, Place, places_of
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
    places: dict[str, Place] = field(default_factory=dict)
    version: str = ""  # the enrichment version the places were computed with

    @property
    def places_name(self) -> str:
        return f"{self.name}_places"


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
    with tempfile.TemporaryDirectory(prefix="grapherd-view-") as folder:
        paths = []
        for index, opener in enumerate((connections, hosts)):
            path = f"{folder}/{index}.parquet"
            with opener() as source, open(path, "wb") as target:
                shutil.copyfileobj(source, target, 1 << 20)
            paths.append(path)
        database = _database()
        columns = {
            row[0]
            for row in database.execute("DESCRIBE SELECT * FROM read_parquet(?)", [paths[0]]).fetchall()
        }
        # Tables written before traffic-path was kept have no `paths` column.
        extra = "" if "paths" in columns else ", 0::UTINYINT AS paths"
        database.execute(
            f"CREATE OR REPLACE TABLE {name} AS SELECT *{extra} FROM read_parquet(?)", [paths[0]]
        ).fetchall()
        database.execute(
            f"CREATE OR REPLACE TABLE {name}_hosts AS SELECT * FROM read_parquet(?)", [paths[1]]
        ).fetchall()
    return ConnectionTable(name)


def _places_load(table: ConnectionTable, version: str) -> None:
    addresses = [
        row[0]
        for row in _database()
        .execute(f"SELECT client FROM {table.name} UNION SELECT server FROM {table.name}")
        .fetchall()
    ]
    database = _database()
    present = {row[0] for row in database.execute(f"DESCRIBE {table.name}_hosts").fetchall()}
    # Host tables written before rich records were read have no vpc, subnet and instance columns.
    selected = [f"coalesce({name}, '')" if name in present else "''" for name in OWNER_COLUMNS]
    rows = database.execute(f"SELECT address, {', '.join(selected)} FROM {table.name}_hosts").fetchall()
    owners = {address: Owner(*fields) for address, *fields in rows}
    table.places = places_of(addresses, addresses_describe(addresses), owners)
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
    for name in (table.name, f"{table.name}_hosts", table.places_name):
        _database().execute(f"DROP TABLE IF EXISTS {name}").fetchall()
