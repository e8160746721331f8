"""The grapherd worker route `POST /{topic}/{event}` (docs/go-services-behaviour.md §3.5, §5.2)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.test import Client
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import OrmQ, Schedule

from graphs.flow import GraphFlow
from graphs.models import Graph
from jobs.window import window_parse
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


@pytest.fixture
def deliver(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """POST a job to the worker route; the task it queues runs inline (django-q2's SYNC) on commit."""

    def post(client: Client, body: str | bytes, path: str = "/graph/event") -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(path, data=body, content_type="application/octet-stream")

    return post


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
def test_bad_jobs_are_400_with_a_plain_text_message(
    client: Client, deliver: Callable[..., Any], body: str, message: str | None
) -> None:
    response = deliver(client, body)
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    if message is not None:
        assert response.content.decode() == message


def test_keys_match_case_insensitively_and_unknown_keys_and_trailing_data_are_ignored(
    client: Client, deliver: Callable[..., Any], digesterd: HttpStub
) -> None:
    digesterd.script(Answer(202), Answer(200, gzip.compress(DIGEST)))
    body = f'{{"ID": "{GRAPH_ID}", "Start": "{START}", "stop": "{STOP}", "extra": 1}} trailing'
    assert deliver(client, body).status_code == 204


def test_any_two_segment_path_is_the_worker_route(
    client: Client, deliver: Callable[..., Any], digesterd: HttpStub
) -> None:
    digesterd.script(Answer(202), Answer(200, gzip.compress(DIGEST)))
    assert deliver(client, payload(), path="/anything/goes").status_code == 204


def test_a_delivered_job_is_answered_204_and_built_by_the_worker_pool(
    client: Client, deliver: Callable[..., Any], digesterd: HttpStub
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


def test_the_digester_is_asked_for_the_jobs_window(
    client: Client, deliver: Callable[..., Any], digesterd: HttpStub
) -> None:
    digesterd.script(Answer(202), Answer(200, gzip.compress(DIGEST)))
    deliver(client, payload())
    post = digesterd.requests[0]
    assert post.method == "POST"
    assert post.path == "/?start=2019-01-01T00%3A00%3A00Z&stop=2019-01-01T01%3A00%3A00Z"


def test_a_redelivered_job_is_not_built_twice(
    client: Client, deliver: Callable[..., Any], digesterd: HttpStub
) -> None:
    digesterd.script(Answer(202), Answer(200, gzip.compress(DIGEST)))
    assert deliver(client, payload()).status_code == 204
    assert deliver(client, payload()).status_code == 204
    assert len(digesterd.requests) == 2
    assert Graph.objects.get(id=GRAPH_ID).attempts == 1


def test_a_digester_failure_is_recorded_on_the_job_and_retried_by_the_pool_not_by_the_appliance(
    client: Client, deliver: Callable[..., Any], digesterd: HttpStub
) -> None:
    digesterd.script(Answer(500), Answer(500), Answer(500), Answer(500))
    assert deliver(client, payload()).status_code == 204
    job = Graph.objects.get(id=GRAPH_ID)
    assert (job.status, job.attempts) == ("queued", 1)  # the retry is a django-q2 schedule
    assert "Received unexpected response from digester 500" in job.error
    assert Schedule.objects.filter(args__contains=GRAPH_ID).count() == 1


def test_a_storage_failure_is_recorded_on_the_job(
    client: Client, deliver: Callable[..., Any], digesterd: HttpStub, settings: Any, tmp_path: Path
) -> None:
    use_storage(settings, "graphs", ReadOnlyStorage, tmp_path)
    digesterd.script(Answer(202), Answer(200, gzip.compress(DIGEST)))
    assert deliver(client, payload()).status_code == 204
    assert "storage failed" in Graph.objects.get(id=GRAPH_ID).error


def test_a_job_is_delivered_again_until_its_attempts_run_out_then_acknowledged_without_work(
    client: Client, deliver: Callable[..., Any], digesterd: HttpStub, set_env: Any
) -> None:
    set_env(GRAPHERD_MAX_ATTEMPTS="2")
    digesterd.script(Answer(404))
    assert deliver(client, payload()).status_code == 204
    digesterd.script(Answer(404))
    assert deliver(client, payload()).status_code == 204
    assert deliver(client, payload()).status_code == 204
    assert len(digesterd.requests) == 2
    job = Graph.objects.get(id=GRAPH_ID)
    assert (job.status, job.attempts) == ("failed", 2)


def test_a_job_being_built_is_acknowledged_and_not_queued_again(
    client: Client, deliver: Callable[..., Any], django_capture_on_commit_callbacks: Any
) -> None:
    job_row(Graph, window_parse(START, STOP), status="running", attempts=1, started_at=timezone.now())
    with django_capture_on_commit_callbacks() as queued:
        response = client.post("/graph/event", data=payload(), content_type="application/octet-stream")
    assert response.status_code == 204
    assert queued == []


def test_the_worker_route_queues_the_job_and_answers_before_it_is_built(
    client: Client,
    deliver: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # Issue 12, defect 3: the route built jobs in the web worker, and two deliveries blocked all HTTP.
    monkeypatch.setattr(Conf, "SYNC", False)  # a real queue: nothing runs the task in this process
    monkeypatch.setattr(GraphFlow, "build", _never_in_the_web_process)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post("/graph/event", data=payload(), content_type="application/octet-stream")
        second = client.post("/other/event", data=payload(), content_type="application/octet-stream")
    assert (first.status_code, second.status_code) == (204, 204)
    assert Graph.objects.get(id=GRAPH_ID).status == "queued"
    assert OrmQ.objects.count() == 2  # the claim builds it once
    assert client.get("/healthz").status_code in (200, 503)  # answered: no web worker is held


def _never_in_the_web_process(self: GraphFlow, job: Any, window: Any) -> dict[str, Any]:
    raise AssertionError("a job was built in the web process")


def test_a_body_larger_than_any_job_message_is_413(client: Client, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = payload()[:-1] + ', "padding": "' + "x" * 2000 + '"}'
    response = client.post("/graph/event", data=body, content_type="application/octet-stream")
    assert response.status_code == 413
    assert response.content.decode() == (
        "the body is larger than 1000 bytes; a job message is {id, start, stop}"
    )


def test_a_body_of_several_megabytes_is_413_at_the_default_limit(client: Client) -> None:
    body = b'{"id": "' + b"x" * 4_000_000 + b'"}'
    response = client.post("/graph/event", data=body, content_type="application/octet-stream")
    assert response.status_code == 413


def test_deeply_nested_json_is_400_not_500(client: Client) -> None:
    body = '{"id": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = client.post("/graph/event", data=body, content_type="application/octet-stream")
    assert response.status_code == 400
    assert response.content.decode() == "invalid JSON: nested too deeply for a job message"


def test_a_window_longer_than_the_maximum_is_400(
    client: Client, deliver: Callable[..., Any], set_env: Any
) -> None:
    set_env(GRAPHERD_MAX_WINDOW="30m")
    response = deliver(client, payload())
    assert response.status_code == 400
    assert response.content.decode() == (
        "the window is longer than 1800s (GRAPHERD_MAX_WINDOW): ask for several shorter windows"
    )
