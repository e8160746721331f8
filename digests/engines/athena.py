"""The Athena engine: the digest SQL (digests/engines/sql.py) run by Amazon Athena over the flow-log bucket.

The table (digests/engines/athena_ddl.py, `manage.py athena_ddl` prints it) is created once by an operator;
each digest is one query whose partition filter reads the window's days or hours only. The rows come back
through GetQueryResults, page by page, into the same digest artifact the other engines write. The job
records the query id, the bytes Athena scanned and the cost estimate ($5 per TB scanned, at least 10 MB a
query, as Athena bills). The objects themselves never pass through the worker, so the connection views of
an Athena window have no rich fields (vpc-id, pkt-srcaddr...): see the README's "Digest engines".
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from digests.engine.layouts import STRING_FIELDS, field_name
from digests.engine.objects import FlowLogReadError
from digests.engines.athena_ddl import TableLayout, layout_detect
from digests.engines.base import EngineInput, EngineRun
from digests.engines.sql import QueryResult, digest_query
from digests.rich import RichCopies
from digests.sources.s3 import S3Source
from ops.config import config_get

DOLLARS_PER_TB = 5.0
MINIMUM_BILLED_BYTES = 10 * 1000 * 1000
DONE_STATES = ("SUCCEEDED", "FAILED", "CANCELLED")
# The order of the Parquet rows' text lines, as the built-in engine writes them (kernel_layouts.KERNEL_FIELDS).
CANONICAL_FIELDS = (
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "action",
    "log-status",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
)
_NAME = re.compile(r"[A-Za-z0-9_]+")


class AthenaQueryError(FlowLogReadError):
    """The digest query failed in Athena (named by its query id, with Athena's reason)."""


@dataclass(frozen=True)
class AthenaSettings:
    database: str
    table: str
    workgroup: str
    output: str  # s3:// location of the results; empty: the workgroup's own
    region: str


class AthenaEngine:
    name = "athena"

    def __init__(self, settings: AthenaSettings, client: Any = None, poll_seconds: float = 1.0) -> None:
        self.settings = settings
        self.poll_seconds = poll_seconds
        self._client = client
        self._layouts: dict[str, TableLayout] = {}

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("athena", region_name=self.settings.region or None)
        return self._client

    def digest(self, given: EngineInput, out: BinaryIO, rich: RichCopies) -> EngineRun:
        if not isinstance(given.source, S3Source):
            raise FlowLogReadError("athena", "the athena engine reads an S3 bucket (VPC_FLOW_LOGS_BUCKET)")
        layout = self.layout(given.source)
        sql = athena_query(layout, self.settings, given.start, given.stop)
        query_id = self.start(sql)
        try:
            execution = self.wait(query_id)
        except AthenaQueryError:
            raise
        except BaseException:  # a time limit or a shutdown: the query must not go on costing money
            with contextlib.suppress(Exception):
                self.client.stop_query_execution(QueryExecutionId=query_id)
            raise
        result = QueryResult()
        for kind, text, records in self.rows(query_id):
            if (line := result.add_row(kind, text, records)) is not None:
                out.write(line)
        scanned = int(execution.get("Statistics", {}).get("DataScannedInBytes", 0))
        result.figures.bytes_read = scanned
        extra = {"query_id": query_id, "bytes_scanned": scanned, "cost_usd": athena_cost(scanned)}
        return EngineRun(result.figures, extra)

    def layout(self, source: S3Source) -> TableLayout:
        if source.bucket not in self._layouts:
            self._layouts[source.bucket] = layout_detect(source)
        return self._layouts[source.bucket]

    def start(self, sql: str) -> str:
        options: dict[str, Any] = {
            "QueryString": sql,
            "QueryExecutionContext": {"Database": self.settings.database},
            "WorkGroup": self.settings.workgroup,
        }
        if self.settings.output:
            options["ResultConfiguration"] = {"OutputLocation": self.settings.output}
        return str(self.client.start_query_execution(**options)["QueryExecutionId"])

    def wait(self, query_id: str) -> dict[str, Any]:
        """Polls until the query is done; raises AthenaQueryError when it failed or was cancelled."""
        while True:
            execution: dict[str, Any] = self.client.get_query_execution(QueryExecutionId=query_id)[
                "QueryExecution"
            ]
            status = execution.get("Status", {})
            if status.get("State") == "SUCCEEDED":
                return execution
            if status.get("State") in DONE_STATES:
                reason = status.get("StateChangeReason", status.get("State"))
                raise AthenaQueryError(f"athena query {query_id}", str(reason))
            time.sleep(self.poll_seconds)

    def rows(self, query_id: str) -> Iterator[tuple[int, str, int]]:
        """(kind, text, records) of every result row, page by page; the first row names the columns."""
        first = True
        for page in self.client.get_paginator("get_query_results").paginate(QueryExecutionId=query_id):
            rows = page["ResultSet"]["Rows"]
            if first and rows and _values(rows[0]) == ["kind", "text", "records"]:
                rows = rows[1:]
            first = False
            for row in rows:
                kind, text, records = _values(row)
                yield int(kind or 0), text or "", int(records or 0)


def _values(row: dict[str, Any]) -> list[str | None]:
    return [datum.get("VarCharValue") for datum in row.get("Data", [])]


def athena_engine() -> AthenaEngine:
    config = config_get()
    settings = AthenaSettings(
        database=config.athena_database,
        table=config.athena_table,
        workgroup=config.athena_workgroup,
        output=config.athena_output,
        region=config.athena_region or config.flow_logs_region,
    )
    return AthenaEngine(settings)


def athena_cost(scanned: int) -> float:
    """Athena's price for a query that scanned `scanned` bytes, in US dollars."""
    return round(max(scanned, MINIMUM_BILLED_BYTES) / 1e12 * DOLLARS_PER_TB, 6)


def athena_query(layout: TableLayout, settings: AthenaSettings, start: int, stop: int) -> str:
    """The digest SQL over the table, its partitions limited to the window's."""
    from datetime import UTC, datetime

    first, last = layout.partitions(datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(stop, UTC))
    for name in (settings.database, settings.table):
        if not _NAME.fullmatch(name):
            raise FlowLogReadError("athena", f"{name!r} is not an Athena database or table name")
    table = f'"{settings.database}"."{settings.table}"'
    where = f"dt BETWEEN '{first}' AND '{last}'"
    # The names were checked above and the dates are ours: nothing outside reaches the SQL text.
    select = 'SELECT "$path" AS path, CAST(NULL AS BIGINT) AS line_no'
    if layout.parquet:
        header = " ".join(CANONICAL_FIELDS)
        rows = f"{select}, {_parquet_line(layout)} AS line FROM {table} WHERE {where}"
        headers = f"SELECT DISTINCT \"$path\", 0, '{header}' FROM {table} WHERE {where}"  # noqa: S608
        lines = f"{rows} UNION ALL {headers}"
    else:
        lines = f"{select}, line FROM {table} WHERE {where}"
    sql = digest_query(start, stop)
    return sql.replace("FROM flow_lines", f"FROM ({lines}) AS flow_lines")


def _parquet_line(layout: TableLayout) -> str:
    """A Parquet row as the built-in engine's text line (digests/engine/parquet.py's rules)."""
    columns: dict[str, tuple[str, str]] = {}
    for name, kind in layout.columns:
        columns.setdefault(field_name(name), (name, kind))
    parts = []
    for wanted in CANONICAL_FIELDS:
        if wanted not in columns:
            parts.append("'-'")
            continue
        name, kind = columns[wanted]
        text = f'CAST("{name}" AS VARCHAR)'
        if wanted in STRING_FIELDS:
            parts.append(f"coalesce(nullif(regexp_replace({text}, '[ \\t\\n\\r\\x0B\\f]', '_'), ''), '-')")
        elif kind in ("tinyint", "smallint", "int", "bigint"):
            parts.append(f"coalesce({text}, '-')")
        elif kind in ("float", "double"):  # the built-in engine reads 1.0 as 1 (Arrow writes it "1")
            value = f'"{name}"'
            parts.append(
                f"CASE WHEN {value} IS NULL THEN '-' "
                f"WHEN {value} = floor({value}) AND abs({value}) < 1e15 "
                f"THEN CAST(CAST({value} AS BIGINT) AS VARCHAR) ELSE '?' END"
            )
        else:
            parts.append(
                f"CASE WHEN {text} IS NULL OR {text} IN ('-', 'None', '') THEN '-' "
                f"WHEN NOT regexp_like({text}, '^[+-]?[0-9]+$') OR try_cast({text} AS BIGINT) IS NULL THEN '?' "
                f"ELSE CAST(try_cast({text} AS BIGINT) AS VARCHAR) END"
            )
    return " || ' ' || ".join(parts)
