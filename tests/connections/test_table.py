"""Loading a graph's connection table into the web process (connections.table)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import IO

import duckdb
import pytest

from connections.filters import filters_parse
from connections.selectors import connection_view
from connections.table import table_get

pytestmark = pytest.mark.django_db


def opener(path: Path) -> Callable[[], IO[bytes]]:
    return lambda: path.open("rb")


def test_a_table_written_before_traffic_paths_were_kept_still_answers(tmp_path: Path) -> None:
    connections, hosts = tmp_path / "c.parquet", tmp_path / "h.parquet"
    with (
        duckdb.connect() as db
    ):  # the columns of a release without `paths`, hosts without vpc/subnet/instance
        db.execute(
            "COPY (SELECT '10.0.1.10' AS client, '10.0.2.20' AS server, 5432 AS port, 6 AS protocol, "
            "'ACCEPT' AS action, 100::BIGINT AS bytes_sent, 900::BIGINT AS bytes_received, "
            "1::BIGINT AS packets_sent, 2::BIGINT AS packets_received, 2::BIGINT AS records, "
            "['eni-a'] AS enis, ['111111111111'] AS accounts) TO ? (FORMAT parquet)",
            [str(connections)],
        ).fetchall()
        db.execute(
            "COPY (SELECT '10.0.1.10' AS address, 'eni-a' AS eni, '111111111111' AS account) TO ? (FORMAT parquet)",
            [str(hosts)],
        ).fetchall()
    table = table_get("old-release", opener(connections), opener(hosts))
    [edge] = connection_view(table, filters_parse({"eni": "eni-a"}), "host")["edges"]
    assert (edge["client"], edge["server"], edge["bytes_received"]) == ("10.0.1.10", "10.0.2.20", 900)
    assert "paths" not in edge
    assert connection_view(table, filters_parse({"path": "igw"}), "host")["edges"] == []
