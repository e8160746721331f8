"""The Athena query text, run by DuckDB on tables shaped like the Athena tables (`$path`, `dt` and a `line`
column for text objects; the Parquet columns for Parquet objects), digests as the built-in engine does."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from digests.engine.digest import digest_objects
from digests.engine.objects import FlowLogObject
from digests.engines.athena import AthenaSettings, athena_query
from digests.engines.athena_ddl import TableLayout, parquet_columns
from digests.engines.sql import QueryResult, translated
from digests.sources.delivery import DeliveryLayout
from tests.flowlogs import HEADER, RECORDS, T0

SETTINGS = AthenaSettings("flowlogs", "vpc_flow_logs", "primary", "", "us-east-1")
WINDOW = (T0, T0 + 3600)
DAY = "2019/01/01"


def text_layout() -> TableLayout:
    return TableLayout(
        "b", "AWSLogs/${account_id}/vpcflowlogs/${region}/${dt}/", ("1",), ("r",), DeliveryLayout.DEFAULT
    )


def run_athena_sql(connection: duckdb.DuckDBPyConnection, layout: TableLayout) -> bytes:
    sql = translated(athena_query(layout, SETTINGS, *WINDOW), "duckdb")
    result, out = QueryResult(), io.BytesIO()
    for kind, text, records in connection.execute(sql).fetchall():
        if (line := result.add_row(kind, text, records)) is not None:
            out.write(line)
    return out.getvalue()


def builtin(data: bytes) -> bytes:
    out = io.BytesIO()
    digest_objects([FlowLogObject("o", data)], *WINDOW, out)
    return out.getvalue()


@pytest.fixture
def connection() -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect() as db:
        db.execute("CREATE SCHEMA flowlogs")
        yield db


def test_text_objects_digest_alike_one_header_per_object(connection: duckdb.DuckDBPyConnection) -> None:
    custom = "srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status account-id interface-id version"
    objects = {
        "s3://b/one.log.gz": "\n".join([HEADER, *RECORDS, "  " + RECORDS[0].replace(" ", "\t")]),
        "s3://b/two.log.gz": "\n".join(
            [custom, f"10.0.0.9 10.0.0.1 22 4000 6 1 2 {T0} {T0 + 9} ACCEPT OK 1 eni-9 2"]
        ),
        "s3://b/late.log.gz": "\n".join([HEADER, RECORDS[0]]),  # in a day outside the window's partitions
    }
    connection.execute('CREATE TABLE flowlogs.vpc_flow_logs ("$path" VARCHAR, dt VARCHAR, line VARCHAR)')
    for path, text in objects.items():
        dt = "2019/01/05" if "late" in path else DAY
        for line in text.split("\n"):
            connection.execute("INSERT INTO flowlogs.vpc_flow_logs VALUES (?, ?, ?)", [path, dt, line])
    # one text of both objects: the second's header lays out the lines after it, as a second object would
    expected = builtin("\n".join(t for p, t in objects.items() if "late" not in p).encode())
    assert expected.count(b"\n") == 4
    assert run_athena_sql(connection, text_layout()) == expected


@pytest.mark.parametrize("packets", [pa.int64(), pa.float64(), pa.string()])
def test_parquet_objects_digest_alike(
    connection: duckdb.DuckDBPyConnection, tmp_path: Path, packets: pa.DataType
) -> None:
    table = pa.table(
        {
            "account_id": ["1", "1", None, "1"],
            "interface_id": ["eni-1", "eni 2", "eni-3", "eni-1"],
            "srcaddr": ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.1"],
            "dstaddr": ["10.0.0.9", "10.0.0.9", "", "10.0.0.9"],
            "srcport": pa.array([40000, 40001, None, 40000], pa.int32()),
            "dstport": pa.array([443, 443, 22, 443], pa.int64()),
            "protocol": ["6", "None", "x", "6"],
            "packets": pa.array([1, 2, None, 4], pa.int64()).cast(packets),
            "bytes": pa.array([10, 20, 30, 40], pa.int64()),
            "start": pa.array([T0 + 1, T0 + 2, T0 + 3, (T0 + 4) * 1000], pa.int64()),
            "end": pa.array([T0 + 61, T0 + 62, T0 + 63, T0 + 64], pa.int64()),
            "action": ["ACCEPT", "ACCEPT", "REJECT", "ACCEPT"],
            "log_status": ["OK", "OK", "OK", "ok"],
        }
    )
    path = tmp_path / "flows.parquet"
    pq.write_table(table, path)
    connection.execute(
        'CREATE TABLE flowlogs.vpc_flow_logs AS SELECT ? AS "$path", ? AS dt, * FROM read_parquet(?)',
        ["s3://b/flows.parquet", DAY, str(path)],
    )
    columns = parquet_columns(path.read_bytes())
    layout = TableLayout("b", text_layout().template, ("1",), ("r",), DeliveryLayout.DEFAULT, columns)
    expected = builtin(path.read_bytes())
    assert expected.count(b"\n") == 3
    assert run_athena_sql(connection, layout) == expected


def test_the_partition_filter_spans_the_windows_days_with_slack() -> None:
    layout = text_layout()
    start, stop = datetime.fromtimestamp(T0, UTC), datetime.fromtimestamp(T0 + 86_400, UTC)
    assert layout.partitions(start, stop) == ("2018/12/31", "2019/01/02")
