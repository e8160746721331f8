"""The Athena engine: the table DDL for each delivery layout, and the digest's call sequence, on moto."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from botocore.stub import Stubber
from django.core.management import call_command
from django.core.management.base import CommandError
from moto.athena.models import QueryResults, athena_backends
from moto.core import DEFAULT_ACCOUNT_ID

from digests.engine.kernel_layouts import KERNEL_FIELDS
from digests.engines.athena import (
    CANONICAL_FIELDS,
    AthenaEngine,
    AthenaQueryError,
    AthenaSettings,
    athena_cost,
    athena_query,
)
from digests.engines.athena_ddl import athena_ddl, layout_detect
from digests.engines.base import EngineInput
from digests.rich import RichCopies
from digests.sources.delivery import DeliveryLayout, day_segment, hour_segment, region_prefix
from digests.sources.s3 import S3Source
from tests.awsmock import aws_mocked
from tests.digests.engines.athena_results import athena_rows
from tests.flowlogs import FILE_NAME, T0, flow_log_bytes

REGION = "us-east-1"
BUCKET = "flow-logs"
ACCOUNT = "123456789012"
SETTINGS = AthenaSettings("flowlogs", "vpc_flow_logs", "primary", "s3://athena-results/grapherd/", REGION)
WINDOW = (T0, T0 + 3600)


@pytest.fixture
def s3() -> Iterator[Any]:
    with aws_mocked(REGION):
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=BUCKET)
        yield client


def put(s3: Any, layout: DeliveryLayout, data: bytes, name: str = FILE_NAME, prefix: str = "") -> str:
    key = region_prefix(prefix, ACCOUNT, REGION, layout.hive) + day_segment(date(2019, 1, 1), layout.hive)
    if layout.hourly:
        key += hour_segment(0, layout.hive)
    s3.put_object(Bucket=BUCKET, Key=key + name, Body=data)
    return key + name


@pytest.mark.parametrize(
    ("layout", "template", "pattern"),
    [
        (DeliveryLayout.DEFAULT, "AWSLogs/${account_id}/vpcflowlogs/${region}/${dt}/", "yyyy/MM/dd"),
        (DeliveryLayout.HOURLY, "AWSLogs/${account_id}/vpcflowlogs/${region}/${dt}/", "yyyy/MM/dd/HH"),
        (
            DeliveryLayout.HIVE,
            "AWSLogs/aws-account-id=${account_id}/aws-service=vpcflowlogs/aws-region=${region}/${dt}/",
            "\\'year=\\'yyyy\\'/month=\\'MM\\'/day=\\'dd",
        ),
    ],
)
def test_the_ddl_projects_the_partitions_of_the_layout_found_in_the_bucket(
    s3: Any, layout: DeliveryLayout, template: str, pattern: str
) -> None:
    put(s3, layout, flow_log_bytes())
    ddl = athena_ddl(layout_detect(S3Source(BUCKET, client=s3)), "flowlogs", "vpc_flow_logs")
    assert ddl.startswith(
        "CREATE EXTERNAL TABLE IF NOT EXISTS `flowlogs`.`vpc_flow_logs` (\n  `line` string\n)"
    )
    assert f"'storage.location.template' = 's3://{BUCKET}/{template}'" in ddl
    assert f"'projection.dt.format' = '{pattern}'" in ddl
    assert f"'projection.account_id.values' = '{ACCOUNT}'" in ddl
    assert f"'projection.region.values' = '{REGION}'" in ddl
    assert "STORED AS TEXTFILE" in ddl
    assert f"LOCATION 's3://{BUCKET}/AWSLogs/'" in ddl


def test_the_ddl_of_parquet_logs_names_their_columns_under_the_key_prefix(s3: Any) -> None:
    table = pa.table({"srcaddr": ["10.0.0.1"], "srcport": pa.array([443], pa.int32()), "log_status": ["OK"]})
    sink = io.BytesIO()
    pq.write_table(table, sink)
    put(s3, DeliveryLayout.DEFAULT, sink.getvalue(), FILE_NAME.replace(".log.gz", ".log.parquet"), "org/logs")
    ddl = athena_ddl(layout_detect(S3Source(BUCKET, prefix="org/logs", client=s3)), "db", "t")
    assert "  `srcaddr` string,\n  `srcport` int,\n  `log_status` string\n)" in ddl
    assert "STORED AS PARQUET" in ddl
    assert f"LOCATION 's3://{BUCKET}/org/logs/AWSLogs/'" in ddl


def test_the_parquet_lines_follow_the_builtin_engines_canonical_layout() -> None:
    assert CANONICAL_FIELDS == KERNEL_FIELDS


def test_the_query_reads_the_windows_days_of_the_table_only(s3: Any) -> None:
    put(s3, DeliveryLayout.HOURLY, flow_log_bytes())
    query = athena_query(layout_detect(S3Source(BUCKET, client=s3)), SETTINGS, *WINDOW)
    assert "FROM \"flowlogs\".\"vpc_flow_logs\" WHERE dt BETWEEN '2018/12/31/23' AND '2019/01/01/01'" in query
    assert query.count('FROM (SELECT "$path" AS path') == 1


def test_a_digest_is_one_query_whose_rows_stream_into_the_digest(s3: Any, tmp_path: Path) -> None:
    data = flow_log_bytes()
    put(s3, DeliveryLayout.DEFAULT, data)
    rows, digest = athena_rows(tmp_path, data, WINDOW)
    backend = athena_backends[DEFAULT_ACCOUNT_ID][REGION]
    backend.query_results_queue.append(QueryResults(rows=rows, column_info=[]))
    engine = AthenaEngine(SETTINGS, boto3.client("athena", region_name=REGION), poll_seconds=0)
    out = io.BytesIO()
    source = S3Source(BUCKET, client=s3)
    run = engine.digest(EngineInput(source, [], *WINDOW), out, RichCopies(tmp_path))
    assert out.getvalue() == digest
    assert digest.count(b"\n") == 3
    assert (run.figures.records, run.figures.in_window, run.figures.groups) == (6, 4, 3)
    assert run.figures.skipped["nodata_skipdata"] == run.figures.skipped["outside_window"] == 1
    (execution,) = backend.executions.values()
    assert run.extra == {"query_id": execution.id, "bytes_scanned": 0, "cost_usd": athena_cost(0)}
    assert execution.context == {"Database": "flowlogs"}
    assert execution.config == {"OutputLocation": f"s3://athena-results/grapherd/{execution.id}.csv"}
    assert "dt BETWEEN '2018/12/31' AND '2019/01/01'" in execution.query


def test_a_failed_query_fails_the_digest_with_athenas_reason() -> None:
    client = boto3.client("athena", region_name=REGION)
    stub = Stubber(client)
    stub.add_response("start_query_execution", {"QueryExecutionId": "q-1"})
    status = {"State": "FAILED", "StateChangeReason": "TABLE_NOT_FOUND: vpc_flow_logs"}
    stub.add_response(
        "get_query_execution", {"QueryExecution": {"QueryExecutionId": "q-1", "Status": status}}
    )
    engine = AthenaEngine(SETTINGS, client, poll_seconds=0)
    with stub, pytest.raises(AthenaQueryError, match="athena query q-1: TABLE_NOT_FOUND"):
        engine.wait(engine.start("SELECT 1"))


def test_the_cost_estimate_is_five_dollars_a_terabyte_at_least_ten_megabytes() -> None:
    assert athena_cost(2 * 10**12) == 10.0
    assert athena_cost(0) == athena_cost(10 * 10**6) == 0.00005


def test_a_digest_stopped_while_athena_runs_stops_the_query(monkeypatch: pytest.MonkeyPatch, s3: Any) -> None:
    put(s3, DeliveryLayout.DEFAULT, flow_log_bytes())
    client = boto3.client("athena", region_name=REGION)
    stub = Stubber(client)
    stub.add_response("start_query_execution", {"QueryExecutionId": "q-2"})
    running = {"QueryExecution": {"QueryExecutionId": "q-2", "Status": {"State": "RUNNING"}}}
    stub.add_response("get_query_execution", running)
    stub.add_response("stop_query_execution", {}, {"QueryExecutionId": "q-2"})

    def time_limit(seconds: float) -> None:
        raise KeyboardInterrupt  # what django-q2's timeout or a shutdown raises in the worker

    monkeypatch.setattr("digests.engines.athena.time.sleep", time_limit)
    engine = AthenaEngine(SETTINGS, client)
    given = EngineInput(S3Source(BUCKET, client=s3), [], *WINDOW)
    with stub, pytest.raises(KeyboardInterrupt):
        engine.digest(given, io.BytesIO(), RichCopies(Path("unused")))
    stub.assert_no_pending_responses()


def test_athena_ddl_prints_the_ddl_for_a_bucket_in_the_configured_database(s3: Any, set_env: Any) -> None:
    set_env(GRAPHERD_ATHENA_DATABASE="flowlogs")
    put(s3, DeliveryLayout.HOURLY, flow_log_bytes())
    out = io.StringIO()
    call_command("athena_ddl", "--bucket", BUCKET, "--table", "vpc_hourly", stdout=out)
    assert out.getvalue().startswith("CREATE EXTERNAL TABLE IF NOT EXISTS `flowlogs`.`vpc_hourly`")
    assert "'projection.dt.interval.unit' = 'HOURS'" in out.getvalue()


def test_athena_ddl_names_what_it_could_not_find(s3: Any) -> None:
    with pytest.raises(CommandError, match=f"no AWSLogs account/region prefix found in s3://{BUCKET}"):
        call_command("athena_ddl", "--bucket", BUCKET)
