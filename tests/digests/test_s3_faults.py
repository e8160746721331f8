"""S3 faults through a moto server behind a fault-injecting HTTP proxy: bursts of 5xx and connection
resets are retried a bounded number of times; an object that keeps failing, vanishes or is corrupt fails
the job with a message naming it, and nothing incomplete is served."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.storage import storages
from django.test import Client

from graphs.models import Graph
from jobs.window import window_parse
from tests.faults import HttpFaultProxy, moto_s3_client, moto_s3_server
from tests.flowlogs import FILE_NAME, KEY_DIR, flow_log_bytes

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
BUCKET = "flow-logs"
KEY = f"{KEY_DIR}/{FILE_NAME}"
QUERY = "/?start=2019-01-01T00:00:00Z&stop=2019-01-01T01:00:00Z"
GRAPH_ID = window_parse("2019-01-01T00:00:00Z", "2019-01-01T01:00:00Z").job_id("graph")


@pytest.fixture
def s3(grapherd_env: dict[str, str], set_env: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A bucket holding one flow log, reached by grapherd through the fault proxy (`s3.proxy`)."""
    with moto_s3_server() as endpoint:
        client = moto_s3_client(endpoint)
        client.create_bucket(Bucket=BUCKET)
        client.put_object(Bucket=BUCKET, Key=KEY, Body=flow_log_bytes())
        host, port = endpoint.removeprefix("http://").split(":")
        proxy = HttpFaultProxy(host, int(port))
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL_S3"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        grapherd_env.pop("VPC_FLOW_LOGS_PATH")
        set_env(
            VPC_FLOW_LOGS_BUCKET=BUCKET, VPC_FLOW_LOGS_BUCKET_REGION="us-east-1", GRAPHERD_MAX_ATTEMPTS="1"
        )
        client.proxy = proxy
        yield client
        proxy.close()


def build(client: Client) -> Graph:
    assert client.post(QUERY).status_code == 202  # the task runs inline in tests
    return Graph.objects.get(id=GRAPH_ID)


def assert_failed_naming(graph: Graph, client: Client, key: str) -> None:
    assert graph.status == "failed"
    assert f"cannot read flow-log object {key}" in graph.error, graph.error
    assert client.get(QUERY).status_code == 404  # nothing served: no partial graph
    assert not storages["graphs"].exists(f"{GRAPH_ID}.dot")


def test_a_burst_of_5xx_and_a_reset_connection_are_retried_and_the_graph_is_built(
    s3: Any, client: Client
) -> None:
    s3.proxy.reset("list-type=2", times=1)
    s3.proxy.fail(FILE_NAME, times=2, status=503)
    graph = build(client)
    assert (graph.status, graph.edges, graph.error) == ("done", 3, "")
    assert s3.proxy.seen[f"/{BUCKET}/{KEY}"] == 3  # two 503s, then the object
    assert client.get(QUERY).status_code == 200


def test_an_object_that_keeps_failing_fails_the_graph_after_bounded_retries_naming_it(
    s3: Any, client: Client
) -> None:
    s3.proxy.fail(FILE_NAME, times=1000, status=500)
    assert_failed_naming(build(client), client, KEY)
    assert 3 <= s3.proxy.seen[f"/{BUCKET}/{KEY}"] <= 9  # bounded: botocore's attempts, the body's retries


def test_an_object_that_vanished_after_the_listing_fails_the_graph_naming_it(
    s3: Any, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from digests.sources.s3 import S3Source

    listing = S3Source.list

    def list_then_vanish(self: S3Source, *args: Any) -> Any:
        refs = list(listing(self, *args))
        s3.delete_object(Bucket=BUCKET, Key=KEY)  # a lifecycle rule, say, between listing and reading
        return iter(refs)

    monkeypatch.setattr(S3Source, "list", list_then_vanish)
    assert_failed_naming(build(client), client, KEY)


def test_a_corrupt_gzip_object_fails_the_graph_naming_it(s3: Any, client: Client) -> None:
    corrupt = f"{KEY_DIR}/{FILE_NAME.replace('a1b2c3d4', 'deadbeef')}"
    s3.put_object(Bucket=BUCKET, Key=corrupt, Body=b"\x1f\x8b\x08\x00 cut short, not a gzip stream")
    assert_failed_naming(build(client), client, corrupt)
