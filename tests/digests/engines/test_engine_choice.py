"""GRAPHERD_DIGEST_ENGINE: its checks, and a digest job built by the engine it names, which it records."""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import Any

import boto3
import pytest
from django.core.files.storage import storages
from django.test import Client
from moto.athena.models import QueryResults, athena_backends
from moto.core import DEFAULT_ACCOUNT_ID

from digests.admin import digest_figures_html
from digests.engine.digest import digest_objects
from digests.engine.objects import FlowLogObject
from digests.models import Digest
from ops.env import config_read
from tests.awsmock import aws_mocked
from tests.digests.engines.athena_results import athena_rows
from tests.flowlogs import FILE_NAME, KEY_DIR, flow_log_bytes, write_flow_log

DIGEST_ID = "9740a140-ba85-5600-8b93-7b46eec77617"  # the window below
BODY = f'{{"id":"{DIGEST_ID}","start":"2019-01-01T00:00:00Z","stop":"2019-01-01T01:00:00Z"}}'
T0 = 1_546_300_800


def test_an_unknown_engine_is_an_error_and_the_builtin_engine_stands_in() -> None:
    config, problems = config_read({"GRAPHERD_DIGEST_ENGINE": "spark"}, Path("/data"))
    assert [(p.check_id, p.message) for p in problems] == [
        ("grapherd.E006", "GRAPHERD_DIGEST_ENGINE='SPARK' must be one of ATHENA, BUILTIN, DUCKDB.")
    ]
    assert config.digest_engine == "builtin"


def test_athena_needs_the_flow_logs_in_a_bucket() -> None:
    _, problems = config_read({"GRAPHERD_DIGEST_ENGINE": "athena"}, Path("/data"))
    assert [p.check_id for p in problems] == ["grapherd.E015"]
    config, problems = config_read(
        {"GRAPHERD_DIGEST_ENGINE": "Athena", "VPC_FLOW_LOGS_BUCKET": "logs"}, Path("/data")
    )
    assert (problems, config.digest_engine, config.athena_workgroup) == ([], "athena", "primary")


@pytest.mark.django_db
@pytest.mark.parametrize("engine", ["builtin", "duckdb"])
def test_a_digest_job_is_built_by_the_configured_engine_and_records_it(
    client: Client, flowlogs_dir: Path, set_env: Any, engine: str
) -> None:
    set_env(GRAPHERD_DIGEST_ENGINE=engine)
    path = write_flow_log(flowlogs_dir)
    response = client.post("/digests/digest/event", data=BODY, content_type="application/octet-stream")
    assert response.status_code == 204
    digest = Digest.objects.get(id=DIGEST_ID)
    assert (digest.status, digest.engine, digest.groups, digest.in_window, digest.files) == (
        "done",
        engine,
        3,
        4,
        1,
    )
    expected = io.BytesIO()
    digest_objects([FlowLogObject("a", path.read_bytes())], T0, T0 + 3600, expected)
    with storages["digests"].open(f"{DIGEST_ID}.log.gz") as stored:
        assert gzip.decompress(stored.read()) == expected.getvalue()
    assert f"<th>engine</th><td>{engine}</td>" in digest_figures_html(digest)


@pytest.mark.django_db
def test_an_athena_digest_job_records_the_query_the_bytes_scanned_and_the_cost(
    client: Client, set_env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with aws_mocked("us-east-1"):
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="flow-logs")
        data = flow_log_bytes()
        s3.put_object(Bucket="flow-logs", Key=f"{KEY_DIR}/{FILE_NAME}", Body=data)
        rows, expected = athena_rows(tmp_path, data, (T0, T0 + 3600))
        athena_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].query_results_queue.append(QueryResults(rows, []))
        monkeypatch.setattr("digests.engines.athena.time.sleep", lambda seconds: None)
        set_env(
            GRAPHERD_DIGEST_ENGINE="athena",
            VPC_FLOW_LOGS_BUCKET="flow-logs",
            VPC_FLOW_LOGS_BUCKET_REGION="us-east-1",
            VPC_FLOW_LOGS_PATH="",
        )
        response = client.post("/digests/digest/event", data=BODY, content_type="application/octet-stream")
    assert response.status_code == 204
    digest = Digest.objects.get(id=DIGEST_ID)
    assert (digest.status, digest.engine, digest.groups, digest.in_window) == ("done", "athena", 3, 4)
    assert set(digest.engine_figures) == {"query_id", "bytes_scanned", "cost_usd"}
    assert digest.engine_figures["cost_usd"] == 0.00005  # Athena's 10 MB minimum at $5 per TB
    with storages["digests"].open(f"{DIGEST_ID}.log.gz") as stored:
        assert gzip.decompress(stored.read()) == expected
    assert "<th>query id</th>" in digest_figures_html(digest)
