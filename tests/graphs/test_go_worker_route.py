"""The grapherd worker route `POST /{topic}/{event}` (docs/go-services-behaviour.md §3.5, §5.2)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.test import Client

from graphs.models import Graph
from tests.fakes import ReadOnlyStorage, use_storage
from tests.httpstub import Answer, HttpStub
from tests.rows import job_row

GRAPH_ID = "96069e46-92fe-5bb8-aa83-14139ca72643"
START, STOP = "2019-01-01T00:00:00Z", "2019-01-01T01:00:00Z"
DIGEST = (
    b"2 123456789010 eni-abc123de 172.31.16.139 172.31.16.21 0 80 6 20 1000 1418530010 1818530070 REJECT OK\n"
    b"2 123456789010 eni-abc123de 172.31.16.139 172.31.16.21 0 80 6 40 2000 1418530010 1818530070 ACCEPT OK\n"
)

pytestmark = pytest.mark.django_db


def payload(job_id: str = GRAPH_ID, start: str = START, stop: str = STOP) -> str:
    return json.dumps({"id": job_id, "start": start, "stop": stop})


def deliver(client: Client, body: str | bytes, path: str = "/graph/event") -> Any:
    return client.post(path, data=body, content_type="application/octet-stream")


@pytest.fixture
def digesterd(http_stub: HttpStub, set_env: Any) -> HttpStub:
    set_env(
        DIGESTER_ENDPOINT=http_stub.url + "/", DIGESTER_POLLING_INTERVAL="1", DIGESTER_POLLING_TIMEOUT="5000"
    )
    return http_stub


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("not json", None),
        ("", "EOF"),
        (payload(job_id=""), "missing ID field"),
        (
            payload(start=""),
            'parsing time "" as "2006-01-02T15:04:05.999999999Z07:00": cannot parse "" as "2006"',
        ),
        (
            payload(stop=""),
            'parsing time "" as "2006-01-02T15:04:05.999999999Z07:00": cannot parse "" as "2006"',
        ),
        (payload(stop="2018-12-31T23:59:00Z"), "invalid time range"),
        (payload(stop=START), "invalid time range"),
        ('{"id": 5}', "json: cannot unmarshal number into Go struct field payload.id of type string"),
        (payload(job_id="foo_key"), f"ID field 'foo_key' does not match the window (expected {GRAPH_ID})"),
        (
            payload(stop="2019-01-01T02:00:00Z"),
            f"ID field '{GRAPH_ID}' does not match the window (expected 7de74c20-0a24-5b4c-be03-088754b86c05)",
        ),
    ],
)
def test_bad_jobs_are_400_with_a_plain_text_message(client: Client, body: str, message: str | None) -> None:
    response = deliver(client, body)
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    if message is not None:
        assert response.content.decode() == message


def test_keys_match_case_insensitively_and_unknown_keys_and_trailing_data_are_ignored(
    client: Client, digesterd: HttpStub
) -> None:
    digesterd.script(Answer(202), Answer(200, gzip.compress(DIGEST)))
    body = f'{{"ID": "{GRAPH_ID}", "Start": "{START}", "stop": "{STOP}", "extra": 1}} trailing'
    assert deliver(client, body).status_code == 204


def test_any_two_segment_path_is_the_worker_route(client: Client, digesterd: HttpStub) -> None:
    digesterd.script(Answer(202), Answer(200, gzip.compress(DIGEST)))
    assert deliver(client, payload(), path="/anything/goes").status_code == 204


def test_a_delivered_job_is_built_stored_unmarked_and_answered_with_204(
    client: Client, digesterd: HttpStub
) -> None:
    storages["graph-progress"].save(f"{GRAPH_ID}_in_progress", ContentFile(b"2999-01-01T00:00:00Z"))
    digesterd.script(Answer(202), Answer(204), Answer(200, gzip.compress(DIGEST)))
    response = deliver(client, payload())
    assert response.status_code == 204
    assert response.content == b""
    dot = storages["graphs"].open(f"{GRAPH_ID}.dot").read().decode()
    assert dot.startswith("digraph {\n\tn1723116139 -> n172311621 [")
    assert not storages["graph-progress"].exists(f"{GRAPH_ID}_in_progress")
    job = Graph.objects.get(id=GRAPH_ID)
    assert (job.status, job.edges, job.nodes, job.records, job.attempts) == ("done", 2, 2, 2, 1)
    assert job.dot_bytes == len(dot.encode())


def test_the_digester_is_asked_for_the_jobs_window(client: Client, digesterd: HttpStub) -> None:
    digesterd.script(Answer(202), Answer(200, gzip.compress(DIGEST)))
    deliver(client, payload())
    post = digesterd.requests[0]
    assert post.method == "POST"
    assert post.path == "/?start=2019-01-01T00%3A00%3A00Z&stop=2019-01-01T01%3A00%3A00Z"


def test_a_redelivered_job_is_not_built_twice(client: Client, digesterd: HttpStub) -> None:
    digesterd.script(Answer(202), Answer(200, gzip.compress(DIGEST)))
    assert deliver(client, payload()).status_code == 204
    assert deliver(client, payload()).status_code == 204
    assert len(digesterd.requests) == 2
    assert Graph.objects.get(id=GRAPH_ID).attempts == 1


def test_a_digester_failure_is_a_500_that_names_no_internal_detail(
    client: Client, digesterd: HttpStub
) -> None:
    digesterd.script(Answer(500), Answer(500), Answer(500), Answer(500))
    response = deliver(client, payload())
    assert response.status_code == 500
    assert response.content.decode() == f"graph {GRAPH_ID} failed; see the job for details"
    job = Graph.objects.get(id=GRAPH_ID)
    assert job.status == "failed"
    assert "Received unexpected response from digester 500" in job.error


def test_a_storage_failure_is_a_500(
    client: Client, digesterd: HttpStub, settings: Any, tmp_path: Path
) -> None:
    use_storage(settings, "graphs", ReadOnlyStorage, tmp_path)
    digesterd.script(Answer(202), Answer(200, gzip.compress(DIGEST)))
    assert deliver(client, payload()).status_code == 500
    assert "storage failed" in Graph.objects.get(id=GRAPH_ID).error


def test_an_unmark_failure_is_a_500_so_the_appliance_retries(
    client: Client, digesterd: HttpStub, settings: Any, tmp_path: Path
) -> None:
    use_storage(settings, "graph-progress", ReadOnlyStorage, tmp_path)
    digesterd.script(Answer(202), Answer(200, gzip.compress(DIGEST)))
    response = deliver(client, payload())
    assert response.status_code == 500
    assert response.content.decode() == f"marker failed for graph {GRAPH_ID}"


def test_a_failed_job_can_be_delivered_again_until_its_attempts_run_out(
    client: Client, digesterd: HttpStub, set_env: Any
) -> None:
    set_env(GRAPHERD_MAX_ATTEMPTS="2")
    digesterd.script(Answer(404))
    assert deliver(client, payload()).status_code == 500
    digesterd.script(Answer(404))
    assert deliver(client, payload()).status_code == 500
    # Out of attempts: acknowledged so that the appliance stops redelivering; the row keeps the error.
    assert deliver(client, payload()).status_code == 204
    assert len(digesterd.requests) == 2
    job = Graph.objects.get(id=GRAPH_ID)
    assert (job.status, job.attempts) == ("failed", 2)


def test_a_job_another_delivery_is_building_gets_a_503_so_the_appliance_comes_back(client: Client) -> None:
    from django.utils import timezone

    from jobs.window import window_parse

    window = window_parse(START, STOP)
    job_row(
        Graph,
        window,
        status="running",
        attempts=1,
        started_at=timezone.now(),
    )
    response = deliver(client, payload())
    assert response.status_code == 503
    assert response.content.decode() == f"graph {GRAPH_ID} is being built by another delivery; retry later"
