"""The vpcflow-grapherd API routes `POST /` and `GET /` (docs/go-services-behaviour.md §3.1, §5.1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import storages
from django.test import Client

from graphs.models import Graph
from jobs.window import window_parse
from tests.fakes import BrokenStorage, use_storage

START, STOP = "2019-01-01T00:00:00Z", "2019-01-01T01:00:00Z"
GRAPH_ID = "96069e46-92fe-5bb8-aa83-14139ca72643"
GO_LAYOUT = "2006-01-02T15:04:05.999999999Z07:00"

pytestmark = pytest.mark.django_db


def query(start: str = START, stop: str = STOP) -> str:
    return f"/?start={start}&stop={stop}"


def store_graph(job_id: str, body: bytes) -> None:
    from django.core.files.base import ContentFile

    storages["graphs"].save(f"{job_id}.dot", ContentFile(body))


def mark(job_id: str, body: bytes) -> None:
    from django.core.files.base import ContentFile

    storages["graph-progress"].save(f"{job_id}_in_progress", ContentFile(body))


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    ("start", "stop", "message"),
    [
        (
            "invalid ts",
            STOP,
            f'parsing time "invalid ts" as "{GO_LAYOUT}": cannot parse "invalid ts" as "2006"',
        ),
        (
            START,
            "invalid ts",
            f'parsing time "invalid ts" as "{GO_LAYOUT}": cannot parse "invalid ts" as "2006"',
        ),
        (STOP, START, "start should be before stop"),
    ],
)
def test_bad_windows_get_400_with_a_go_style_json_message(
    client: Client, method: str, start: str, stop: str, message: str
) -> None:
    response = getattr(client, method)(query(start, stop))
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    expected = '{"message":"' + message.replace('"', '\\"') + '"}\n'
    assert response.content.decode() == expected


def test_json_messages_escape_html_characters_as_go_does(client: Client) -> None:
    response = client.get("/?start=<a%26b>&stop=x")
    assert b"\\u003ca\\u0026b\\u003e" in response.content


def test_a_plus_sign_left_unencoded_becomes_a_space_and_is_rejected(client: Client) -> None:
    assert client.get("/?start=2019-01-01T00:00:00+00:00&stop=2019-01-01T01:00:00+00:00").status_code == 400
    assert (
        client.get("/?start=2019-01-01T00:00:00%2B00:00&stop=2019-01-01T01:00:00%2B00:00").status_code == 404
    )


def test_missing_parameters_count_as_empty_strings(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 400
    assert response.json()["message"] == f'parsing time "" as "{GO_LAYOUT}": cannot parse "" as "2006"'


def test_zero_length_windows_are_rejected_instead_of_stranded(client: Client) -> None:
    response = client.post(query(START, "2019-01-01T00:00:30Z"))
    assert response.status_code == 400
    assert not Graph.objects.exists()


def test_get_with_a_fresh_marker_answers_204_even_when_a_graph_is_stored(client: Client) -> None:
    store_graph(GRAPH_ID, b"digraph {\n}")
    mark(GRAPH_ID, b"2999-01-01T00:00:00Z")
    response = client.get(query())
    assert response.status_code == 204
    assert response.content == b""


def test_get_with_a_stale_or_unreadable_marker_falls_through_to_storage(client: Client) -> None:
    mark(GRAPH_ID, b"not a time")
    assert client.get(query()).status_code == 404
    mark(GRAPH_ID, b"2000-01-01T00:00:00Z")
    store_graph(GRAPH_ID, b"this is the graph you're looking for")
    response = client.get(query())
    assert response.status_code == 200
    assert response.getvalue() == b"this is the graph you're looking for"
    assert response["Content-Type"] == "application/octet-stream"
    assert "Content-Encoding" not in response


def test_get_of_an_unknown_window_is_an_empty_404(client: Client) -> None:
    response = client.get(query())
    assert response.status_code == 404
    assert response.content == b""


def test_storage_errors_become_500_without_leaking_details(
    client: Client, settings: Any, tmp_path: Path
) -> None:
    use_storage(settings, "graph-progress", BrokenStorage, tmp_path)
    for method in (client.get, client.post):
        response = method(query())
        assert response.status_code == 500
        assert response.content == b'{"message":"Internal Server Error"}\n'


def test_post_when_in_progress_is_a_409(client: Client) -> None:
    mark(GRAPH_ID, b"2999-01-01T00:00:00Z")
    response = client.post(query())
    assert response.status_code == 409
    assert response.json() == {"message": f"graph {GRAPH_ID} is being created"}


def test_post_when_the_graph_exists_is_a_409_naming_the_whole_window(client: Client) -> None:
    store_graph(GRAPH_ID, b"digraph {\n}")
    response = client.post(query())
    assert response.status_code == 409
    assert response.json() == {
        "message": "graph for the time 2019-01-01T00:00:00Z to 2019-01-01T01:00:00Z already exists"
    }


def test_post_queues_the_job_with_truncated_times_marks_it_and_answers_an_empty_202(client: Client) -> None:
    response = client.post(query("2019-01-01T00:00:45.5Z", "2019-01-01T01:00:59Z"))
    assert response.status_code == 202
    assert response.content == b""
    job = Graph.objects.get(id=GRAPH_ID)
    assert (job.status, job.start_text, job.stop_text) == ("queued", START, STOP)
    assert storages["graph-progress"].exists(f"{GRAPH_ID}_in_progress")


def test_a_second_post_while_queued_is_a_409_and_creates_no_second_job(client: Client) -> None:
    assert client.post(query()).status_code == 202
    assert client.post(query()).status_code == 409
    assert Graph.objects.count() == 1


def test_post_answers_202_when_writing_the_marker_fails(
    client: Client, settings: Any, tmp_path: Path
) -> None:
    from tests.fakes import ReadOnlyStorage

    use_storage(settings, "graph-progress", ReadOnlyStorage, tmp_path)
    assert client.post(query()).status_code == 202


def test_the_marker_body_is_an_rfc3339nano_utc_time(client: Client) -> None:
    client.post(query())
    body = storages["graph-progress"].open(f"{GRAPH_ID}_in_progress").read().decode()
    from jobs.window import instant_parse

    assert body.endswith("Z")
    instant_parse(body)


def test_other_methods_on_known_paths_are_empty_405s(client: Client) -> None:
    for response in (
        client.put("/"),
        client.delete("/"),
        client.head("/"),
        client.options("/"),
        client.get("/graph/event"),
    ):
        assert response.status_code == 405
        assert response.content == b""


def test_unknown_paths_get_gos_plain_404(client: Client) -> None:
    for path in ("/a", "/a/b/c", "/a/b/"):
        response = client.post(path)
        assert response.status_code == 404
        assert response.content == b"404 page not found\n"
        assert response["Content-Type"] == "text/plain; charset=utf-8"


def test_ids_of_equal_instants_written_with_other_offsets_differ_as_in_go() -> None:
    utc = window_parse("2019-01-01T07:00:00Z", "2019-01-01T08:00:00Z").job_id("graph")
    offset = window_parse("2019-01-01T00:00:00-07:00", "2019-01-01T01:00:00-07:00").job_id("graph")
    assert utc != offset


@pytest.mark.parametrize(
    "accept", ["text/plain", "application/octet-stream", "text/vnd.graphviz", "image/png"]
)
def test_the_accept_header_is_ignored_as_go_does(client: Client, accept: str) -> None:
    assert client.get(query(), HTTP_ACCEPT=accept).status_code == 404
    assert client.post(query(), HTTP_ACCEPT=accept).status_code == 202


def test_get_answers_204_while_the_job_is_queued_even_without_a_marker(
    client: Client, settings: Any, tmp_path: Path
) -> None:
    from tests.fakes import ReadOnlyStorage

    use_storage(settings, "graph-progress", ReadOnlyStorage, tmp_path)  # marking fails
    assert client.post(query()).status_code == 202
    assert client.get(query()).status_code == 204


def test_a_leftover_marker_does_not_hide_a_finished_job(client: Client) -> None:
    client.post(query())
    Graph.objects.filter(id=GRAPH_ID).update(status="done")
    store_graph(GRAPH_ID, b"digraph {\n}")
    mark(GRAPH_ID, b"2999-01-01T00:00:00Z")  # e.g. a delete that failed after the build
    assert client.get(query()).status_code == 200


def test_get_storage_errors_behind_a_working_marker_are_500(
    client: Client, settings: Any, tmp_path: Path
) -> None:
    use_storage(settings, "graphs", BrokenStorage, tmp_path)
    response = client.get(query())
    assert response.status_code == 500
    assert response.content == b'{"message":"Internal Server Error"}\n'


def test_a_queue_failure_is_a_500_and_leaves_the_window_free(
    client: Client, http_stub: Any, set_env: Any
) -> None:
    from tests.httpstub import Answer

    set_env(STREAM_APPLIANCE_ENDPOINT=http_stub.url + "/queue")
    http_stub.script(*[Answer(500)] * 4)
    response = client.post(query("2019-01-01T00:00:45.5Z", "2019-01-01T01:00:59Z"))
    assert response.status_code == 500
    assert response.content == b'{"message":"Internal Server Error"}\n'
    assert http_stub.requests[0].body == (f'{{"id":"{GRAPH_ID}","start":"{START}","stop":"{STOP}"}}'.encode())
    assert Graph.objects.get(id=GRAPH_ID).status == "failed"
    assert not storages["graph-progress"].exists(f"{GRAPH_ID}_in_progress")
    http_stub.script(Answer(200))
    assert client.post(query()).status_code == 202


def test_an_unexpected_failure_is_gos_json_500_not_an_html_page(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import DatabaseError

    def broken(*args: Any) -> None:
        raise DatabaseError("connection lost")

    monkeypatch.setattr("graphs.flow.GraphFlow.fetch", broken)
    response = client.get(query())
    assert response.status_code == 500
    assert response.content == b'{"message":"Internal Server Error"}\n'
