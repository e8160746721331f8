"""End to end: POST a window, the worker digests the flow logs and builds the graph, GET returns it."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from django.core.files.storage import storages
from django.test import Client
from moto import mock_aws

from digests.models import Digest
from grapherd_site.settings import storages_from_config
from graphs.dot import dot_text
from graphs.models import Graph
from ops.env import config_read
from tests.flowlogs import FILE_NAME, KEY_DIR, flow_log_bytes, write_flow_log

QUERY = "/?start=2019-01-01T00:00:00Z&stop=2019-01-01T01:00:00Z"
GRAPH_ID = "96069e46-92fe-5bb8-aa83-14139ca72643"
DIGEST_ID = "9740a140-ba85-5600-8b93-7b46eec77617"
EXPECTED_DIGEST = [
    "2 123456789012 eni-0a1 10.0.1.10 10.0.2.20 0 443 6 15 6000 1546300860 1546301760 ACCEPT OK",
    "2 123456789012 eni-0a1 10.0.2.20 10.0.1.10 443 0 6 8 7000 1546300860 1546301760 ACCEPT OK",
    "2 123456789012 eni-0b2 198.51.100.7 10.0.1.10 0 22 6 3 180 1546300860 1546301760 REJECT OK",
]

pytestmark = pytest.mark.django_db(transaction=True)


def run_window(client: Client) -> bytes:
    assert client.post(QUERY).status_code == 202  # the django-q2 task runs inline in tests
    response = client.get(QUERY)
    assert response.status_code == 200
    return response.getvalue()


def assert_built(dot: bytes) -> None:
    text = dot.decode()
    assert text == dot_text(EXPECTED_DIGEST)  # the job's bulk writer writes what the reference writes
    assert text.count(" -> ") == 3
    assert '\tn10012 [label="10.0.1.10"]' not in text  # ids drop dots only: 10.0.1.10 -> n100110
    assert '\tn100110 [label="10.0.1.10"]' in text
    assert "color=red" in text
    graph = Graph.objects.get(id=GRAPH_ID)
    assert (graph.status, graph.edges, graph.nodes, graph.records) == ("done", 3, 3, 3)
    assert graph.dot_bytes == len(dot)
    assert graph.svg_bytes > 0 and graph.svg_error == ""
    digest = Digest.objects.get(id=DIGEST_ID)
    assert (digest.status, digest.files, digest.in_window, digest.groups) == ("done", 1, 4, 3)
    assert digest.skipped["nodata_skipdata"] == 1
    assert digest.skipped["outside_window"] == 1
    with storages["digests"].open(f"{DIGEST_ID}.log.gz") as stored:
        assert gzip.decompress(stored.read()).decode().splitlines() == EXPECTED_DIGEST


def test_embedded_defaults_build_a_graph_from_a_local_folder(client: Client, flowlogs_dir: Path) -> None:
    write_flow_log(flowlogs_dir)
    assert_built(run_window(client))
    assert storages["graphs"].exists(f"{GRAPH_ID}.svg")
    assert client.post(QUERY).status_code == 409


def test_a_rerun_asked_to_reuse_the_digest_does_not_read_the_flow_logs_again(
    client: Client, flowlogs_dir: Path
) -> None:
    from graphs.services import graph_rerun

    path = write_flow_log(flowlogs_dir)
    first = run_window(client)
    path.unlink()  # a recomputed digest would now be empty
    before = Graph.objects.get(id=GRAPH_ID)
    storages["graphs"].delete(f"{GRAPH_ID}.dot")  # so the DOT below can only come from the re-run
    graph_rerun(before, reuse_digest=True)
    after = Graph.objects.get(id=GRAPH_ID)
    assert after.status == "done"
    assert after.finished_at is not None and before.finished_at is not None
    assert after.finished_at > before.finished_at
    assert storages["graphs"].open(f"{GRAPH_ID}.dot").read() == first


def test_a_rerun_reads_the_flow_logs_again_by_default(client: Client, flowlogs_dir: Path) -> None:
    from graphs.services import graph_rerun

    write_flow_log(flowlogs_dir)
    run_window(client)
    write_flow_log(flowlogs_dir, records=[])  # the header alone: the records are gone
    graph_rerun(Graph.objects.get(id=GRAPH_ID))
    after = Graph.objects.get(id=GRAPH_ID)
    assert (after.status, after.records, after.edges) == ("done", 0, 0)
    assert after.warnings == ["1 file read, but they hold no flow-log record"]


def test_the_built_in_digesterd_routes_serve_raw_gzip(client: Client, flowlogs_dir: Path) -> None:
    write_flow_log(flowlogs_dir)
    assert client.post("/digests/?start=2019-01-01T00:00:00Z&stop=2019-01-01T01:00:00Z").status_code == 202
    response = client.get("/digests/?start=2019-01-01T00:00:00Z&stop=2019-01-01T01:00:00Z")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert "Content-Encoding" not in response
    body = response.getvalue()
    assert gzip.decompress(body).decode().splitlines() == EXPECTED_DIGEST


@pytest.fixture
def s3_everywhere(settings: Any, set_env: Any, tmp_path: Path) -> Iterator[Any]:
    env = {
        "GRAPH_STORAGE_BUCKET": "graphs",
        "GRAPH_PROGRESS_BUCKET": "graph-progress",
        "DIGEST_STORAGE_BUCKET": "digests",
        "DIGEST_PROGRESS_BUCKET": "digest-progress",
        "VPC_FLOW_LOGS_BUCKET": "flow-logs",
        "VPC_FLOW_LOGS_BUCKET_REGION": "us-east-1",
    }
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        for bucket in env.values():
            if bucket != "us-east-1":
                s3.create_bucket(Bucket=bucket)
        set_env(**env, VPC_FLOW_LOGS_PATH="")
        settings.STORAGES = storages_from_config(config_read(env, tmp_path)[0])
        yield s3


def test_s3_storage_markers_and_flow_logs_build_the_same_graph(client: Client, s3_everywhere: Any) -> None:
    s3_everywhere.put_object(Bucket="flow-logs", Key=f"{KEY_DIR}/{FILE_NAME}", Body=flow_log_bytes())
    assert_built(run_window(client))
    keys = {o["Key"] for o in s3_everywhere.list_objects_v2(Bucket="graphs")["Contents"]}
    assert keys == {
        f"{GRAPH_ID}{suffix}" for suffix in (".dot", ".svg", ".connections.parquet", ".hosts.parquet")
    }
    assert s3_everywhere.list_objects_v2(Bucket="graph-progress")["KeyCount"] == 0


def test_standalone_mode_queues_through_its_own_worker_route(
    client: Client, flowlogs_dir: Path, live_server: Any, set_env: Any
) -> None:
    write_flow_log(flowlogs_dir)
    set_env(STREAM_APPLIANCE_ENDPOINT=f"{live_server.url}/graph/event")
    assert_built(run_window(client))
