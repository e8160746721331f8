"""REST API v1 (`/api/v1/graphs/`) through DRF's test client, with real flow logs and the inline worker."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from graphs.models import Graph
from graphs.services import graph_flow
from graphs.tasks import graph_run_task
from jobs.time_forms import USE
from jobs.window import window_parse
from tests.flowlogs import FLOW_LOG_TEXT
from tests.rows import job_row
from tests.users import permission_grant

pytestmark = pytest.mark.django_db

START, STOP = "2019-01-01T00:00:00Z", "2019-01-01T01:00:00Z"
GRAPH_ID = window_parse(START, STOP).job_id("graph")
GRAPHS = "/api/v1/graphs/"
FLOW_LOG = FLOW_LOG_TEXT


@pytest.fixture
def user(django_user_model: type[User]) -> User:
    user = django_user_model.objects.create_user("analyst", password="correct horse battery")
    permission_grant(user, "graphs.change_graph")  # re-running a graph needs it
    return user


@pytest.fixture
def api(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def flow_logs(flowlogs_dir: Path) -> Path:
    path = flowlogs_dir / "flows.log"
    path.write_text(FLOW_LOG)
    return path


def worker_runs(graph_id: str) -> None:
    """The django-q2 worker takes the queued job (the task the queuer enqueued, run here)."""
    assert graph_run_task(graph_id) == "done"


@pytest.fixture
def built(api: APIClient, flow_logs: Path) -> str:
    """The graph of START..STOP, requested through the API and built by the worker."""
    assert api.post(GRAPHS, {"start": START, "stop": STOP}, format="json").status_code == 202
    worker_runs(GRAPH_ID)
    return GRAPH_ID


def graph_row(start: datetime, **values: Any) -> Graph:
    window = window_parse(
        start.strftime("%Y-%m-%dT%H:%M:%SZ"), (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    return job_row(Graph, window, **values)


def content(response: Any) -> bytes:
    """The body of a file (streaming) response."""
    return b"".join(response.streaming_content)


# --- authentication --------------------------------------------------------------------------------


def test_anonymous_clients_are_refused_with_a_token_challenge() -> None:
    response = APIClient().get(GRAPHS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_wrong_token_is_refused() -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get(GRAPHS).status_code == 401


def test_a_logged_in_session_is_accepted(user: User) -> None:
    client = APIClient()
    assert client.login(username="analyst", password="correct horse battery")
    assert client.get(GRAPHS).status_code == 200


# --- create ----------------------------------------------------------------------------------------


def test_posting_a_window_queues_the_graph_and_answers_202_with_the_job_and_its_location(
    api: APIClient,
) -> None:
    response = api.post(GRAPHS, {"start": START, "stop": STOP}, format="json")
    assert response.status_code == 202
    body = response.json()
    assert body["id"] == GRAPH_ID
    assert body["status"] == "queued"
    assert body["window"] == {"start": START, "stop": STOP}
    assert response["Location"] == f"http://testserver/api/v1/graphs/{GRAPH_ID}/"
    assert Graph.objects.get(id=GRAPH_ID).status == "queued"


def test_window_times_keep_their_offset_and_are_truncated_to_the_minute(api: APIClient) -> None:
    response = api.post(GRAPHS, {"start": "2019-01-01T01:00:30.5+01:00", "stop": STOP}, format="json")
    assert response.status_code == 202
    assert response.json()["window"] == {"start": "2019-01-01T01:00:00+01:00", "stop": STOP}


def test_an_unparseable_start_is_a_400_on_the_start_field_in_plain_words(api: APIClient) -> None:
    response = api.post(GRAPHS, {"start": "x", "stop": STOP}, format="json")
    assert response.status_code == 400
    assert response.json() == {"start": [f'start "x" is not a time; {USE}']}


def test_a_stop_without_a_zone_is_read_as_utc(api: APIClient) -> None:
    response = api.post(GRAPHS, {"start": START, "stop": "2019-01-01T01:00:00"}, format="json")
    assert response.status_code == 202
    assert response.json()["id"] == GRAPH_ID  # the same graph as the same window written with Z
    assert response.json()["window"] == {"start": START, "stop": STOP}


@pytest.mark.parametrize(
    ("start", "stop"),
    [
        ("2019-01-01 00:00", "2019-01-01 01:00"),
        ("2019-01-01T00:00", "2019-01-01T01:00"),
        ("1546300800", "1546304400"),
        ("2019-01-01", "2019-01-01T01:00:00Z"),
    ],
)
def test_common_time_forms_ask_for_the_same_graph_as_rfc3339_in_utc(
    api: APIClient, start: str, stop: str
) -> None:
    response = api.post(GRAPHS, {"start": start, "stop": stop}, format="json")
    assert response.status_code == 202, response.json()
    assert response.json()["id"] == GRAPH_ID


def test_relative_times_are_read_at_the_moment_of_the_request(api: APIClient) -> None:
    response = api.post(GRAPHS, {"start": "-1h", "stop": "now"}, format="json")
    assert response.status_code == 202
    window = response.json()["window"]
    start, stop = (datetime.fromisoformat(window[name]) for name in ("start", "stop"))
    assert stop - start == timedelta(hours=1)
    assert timezone.now() - stop < timedelta(minutes=2)


def test_missing_times_are_400s_naming_each_parameter(api: APIClient) -> None:
    response = api.post(GRAPHS, {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"start": ["start is required"], "stop": ["stop is required"]}


def test_a_blank_stop_is_required_too(api: APIClient) -> None:
    response = api.post(GRAPHS, {"start": START, "stop": " "}, format="json")
    assert response.json() == {"stop": ["stop is required"]}


@pytest.mark.parametrize(
    ("start", "stop", "message"),
    [
        (STOP, START, "start must be before stop"),
        ("2019-01-01T00:00:10Z", "2019-01-01T00:00:50Z", "the window is empty after truncation"),
    ],
)
def test_a_window_in_the_wrong_order_or_empty_is_a_400_non_field_error(
    api: APIClient, start: str, stop: str, message: str
) -> None:
    response = api.post(GRAPHS, {"start": start, "stop": stop}, format="json")
    assert response.status_code == 400
    [error] = response.json()["non_field_errors"]
    assert error.startswith(message)


def test_requesting_a_window_in_progress_is_a_409_naming_the_graph(api: APIClient) -> None:
    api.post(GRAPHS, {"start": START, "stop": STOP}, format="json")
    response = api.post(GRAPHS, {"start": START, "stop": STOP}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["detail"] == f"graph {GRAPH_ID} is being created"
    assert body["id"] == GRAPH_ID
    assert body["url"] == f"http://testserver/api/v1/graphs/{GRAPH_ID}/"


def test_requesting_a_built_window_is_a_409_saying_it_exists(api: APIClient, built: str) -> None:
    response = api.post(GRAPHS, {"start": START, "stop": STOP}, format="json")
    assert response.status_code == 409
    assert response.json()["detail"] == f"graph for the time {START} to {STOP} already exists"
    assert response.json()["id"] == built


def test_a_queue_that_cannot_be_reached_is_a_503_naming_the_queuer_without_internals(
    api: APIClient, set_env: Callable[..., None]
) -> None:
    set_env(STREAM_APPLIANCE_ENDPOINT="http://127.0.0.1:9/queue")
    response = api.post(GRAPHS, {"start": START, "stop": STOP}, format="json")
    assert response.status_code == 503
    assert response.json() == {"detail": "the queuer is unavailable; try again later", "dependency": "queuer"}
    assert response["Retry-After"]
    assert Graph.objects.get(id=GRAPH_ID).status == "failed"


# --- detail ----------------------------------------------------------------------------------------


def test_a_built_graph_shows_its_window_timings_figures_and_links(api: APIClient, built: str) -> None:
    body = api.get(f"{GRAPHS}{built}/").json()
    assert body["id"] == built
    assert body["status"] == "done"
    assert body["attempts"] == 1
    assert body["error"] == ""
    assert body["window"] == {"start": START, "stop": STOP}
    assert set(body["timings"]) == {"created", "queued", "started", "finished", "duration"}
    assert body["timings"]["duration"] >= 0
    figures = body["figures"]
    assert figures["records"] == 3
    assert figures["connections"] == 2  # 10.0.1.10 → 10.0.2.20:443 (request and reply), the rejected probe
    assert min(figures["edges"], figures["nodes"], figures["dot_bytes"]) > 0
    assert set(figures) == {
        "records", "edges", "nodes", "dot_bytes", "svg_bytes", "svg_engine", "svg_error", "connections",
        "digest_engine", "partials", "partials_reused",
    }  # fmt: skip
    assert figures["digest_engine"] == "builtin"
    assert (figures["partials"], figures["partials_reused"]) == (1, 0)  # one hour: one piece
    base = f"http://testserver/api/v1/graphs/{built}"
    assert body["links"] == {
        "self": f"{base}/",
        "dot": f"{base}/dot",
        "svg": f"{base}/svg",
        "rerun": f"{base}/rerun",
        "view": f"{base}/view",
        "top": f"{base}/top",
        "preview": f"http://testserver/graphs/{built}/",
        "seed": "http://testserver/?start=2019-01-01T00%3A00%3A00Z&stop=2019-01-01T01%3A00%3A00Z",
    }


def test_the_go_compatible_link_fetches_the_same_dot_as_the_api(api: APIClient, built: str) -> None:
    links = api.get(f"{GRAPHS}{built}/").json()["links"]
    seed = APIClient().get(links["seed"])
    assert seed.status_code == 200
    assert content(seed) == content(api.get(links["dot"]))


def test_an_unknown_graph_is_a_404_in_json(api: APIClient) -> None:
    response = api.get(f"{GRAPHS}00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert response.json() == {"detail": "graph 00000000-0000-0000-0000-000000000000 does not exist"}


# --- artifacts -------------------------------------------------------------------------------------


def test_the_dot_is_served_as_graphviz_text(api: APIClient, built: str) -> None:
    response = api.get(f"{GRAPHS}{built}/dot")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/vnd.graphviz; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    dot = content(response).decode()
    assert dot.startswith("digraph {")
    assert "10.0.1.10" in dot


def test_the_svg_is_served_so_that_nothing_inside_it_can_run(api: APIClient, built: str) -> None:
    response = api.get(f"{GRAPHS}{built}/svg", HTTP_ACCEPT="image/svg+xml")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert (
        response["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"<svg" in content(response)


def test_artifacts_of_a_queued_graph_are_a_409_with_its_status(api: APIClient) -> None:
    api.post(GRAPHS, {"start": START, "stop": STOP}, format="json")  # no worker runs: on_commit is held
    response = api.get(f"{GRAPHS}{GRAPH_ID}/dot", HTTP_ACCEPT="text/vnd.graphviz")
    assert response.status_code == 409
    assert response.json()["status"] == "queued"
    assert response.json()["id"] == GRAPH_ID


def test_artifacts_of_a_graph_whose_rerun_a_dead_worker_abandoned_are_served(
    api: APIClient, built: str
) -> None:
    started = timezone.now() - graph_flow().stale_after() - timedelta(minutes=1)
    Graph.objects.filter(id=built).update(status="running", queued_at=started, started_at=started)
    response = api.get(f"{GRAPHS}{built}/dot")
    assert response.status_code == 200
    assert content(response).startswith(b"digraph {")


def test_artifacts_of_an_unknown_graph_are_a_404_in_json(api: APIClient) -> None:
    response = api.get(f"{GRAPHS}00000000-0000-0000-0000-000000000000/svg", HTTP_ACCEPT="image/svg+xml")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_a_graph_too_large_to_draw_has_no_svg_and_the_404_says_why(
    api: APIClient, flow_logs: Path, set_env: Callable[..., None]
) -> None:
    set_env(GRAPHERD_SVG_MAX_EDGES="1")
    api.post(GRAPHS, {"start": START, "stop": STOP}, format="json")
    worker_runs(GRAPH_ID)
    svg_error = api.get(f"{GRAPHS}{GRAPH_ID}/").json()["figures"]["svg_error"]
    assert svg_error
    response = api.get(f"{GRAPHS}{GRAPH_ID}/svg")
    assert response.status_code == 404
    assert response.json() == {"detail": f"graph {GRAPH_ID} (done) has no stored SVG: {svg_error}"}
    assert api.get(f"{GRAPHS}{GRAPH_ID}/dot").status_code == 200


def test_a_failed_graph_has_no_dot(api: APIClient) -> None:
    graph = graph_row(datetime(2019, 2, 1, tzinfo=UTC), status="failed", error="boom")
    response = api.get(f"{GRAPHS}{graph.id}/dot")
    assert response.status_code == 404
    assert response.json() == {"detail": f"graph {graph.id} (failed) has no stored DOT"}


# --- rerun -----------------------------------------------------------------------------------------


def test_a_done_graph_can_be_rerun(api: APIClient, built: str) -> None:
    response = api.post(f"{GRAPHS}{built}/rerun")
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    assert response["Location"] == f"http://testserver/api/v1/graphs/{built}/"


def test_a_queued_graph_cannot_be_rerun(api: APIClient) -> None:
    api.post(GRAPHS, {"start": START, "stop": STOP}, format="json")
    response = api.post(f"{GRAPHS}{GRAPH_ID}/rerun")
    assert response.status_code == 409
    assert response.json()["status"] == "queued"


def test_a_graph_a_worker_claimed_just_now_cannot_be_rerun_however_old_its_row(api: APIClient) -> None:
    long_ago = timezone.now() - timedelta(days=1)
    graph = graph_row(datetime(2019, 2, 1, tzinfo=UTC), status="running", attempts=1, queued_at=long_ago)
    Graph.objects.filter(id=graph.id).update(
        created_at=long_ago, updated_at=long_ago, started_at=timezone.now()
    )
    response = api.post(f"{GRAPHS}{graph.id}/rerun")
    assert response.status_code == 409
    assert response.json() == {
        "detail": f"graph {graph.id} is running",
        "id": str(graph.id),
        "status": "running",
        "url": f"http://testserver/api/v1/graphs/{graph.id}/",
    }
    assert Graph.objects.get(id=graph.id).attempts == 1


def test_a_graph_running_for_longer_than_a_task_may_run_was_abandoned_and_can_be_rerun(
    api: APIClient,
) -> None:
    started = timezone.now() - graph_flow().stale_after() - timedelta(minutes=1)
    graph = graph_row(
        datetime(2019, 2, 1, tzinfo=UTC), status="running", attempts=1, queued_at=started, started_at=started
    )
    response = api.post(f"{GRAPHS}{graph.id}/rerun")
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    assert Graph.objects.get(id=graph.id).attempts == 0


def test_rerunning_an_unknown_graph_is_a_404(api: APIClient) -> None:
    assert api.post(f"{GRAPHS}00000000-0000-0000-0000-000000000000/rerun").status_code == 404


# --- list ------------------------------------------------------------------------------------------


def test_the_list_is_paginated_newest_first(api: APIClient) -> None:
    for day in range(1, 4):
        graph_row(datetime(2019, 3, day, tzinfo=UTC))
    body = api.get(GRAPHS, {"page_size": 2}).json()
    assert body["count"] == 3
    assert [g["window"]["start"] for g in body["results"]] == ["2019-03-03T00:00:00Z", "2019-03-02T00:00:00Z"]
    assert body["next"] is not None
    assert len(api.get(body["next"]).json()["results"]) == 1


def test_the_list_filters_by_status_and_window_start(api: APIClient) -> None:
    graph_row(datetime(2019, 3, 1, tzinfo=UTC), status="done")
    graph_row(datetime(2019, 3, 2, tzinfo=UTC), status="failed")
    graph_row(datetime(2019, 3, 3, tzinfo=UTC), status="done")

    def starts(**query: str) -> list[str]:
        return [g["window"]["start"][:10] for g in api.get(GRAPHS, query).json()["results"]]

    assert starts(status="done") == ["2019-03-03", "2019-03-01"]
    assert starts(start_from="2019-03-02T00:00:00Z") == ["2019-03-03", "2019-03-02"]
    assert starts(start_before="2019-03-02T00:00:00Z") == ["2019-03-01"]
    assert starts(status="done", start_from="2019-03-02T00:00:00Z", start_before="2019-03-04T00:00:00Z") == [
        "2019-03-03"
    ]


def test_the_list_filters_by_request_time(api: APIClient) -> None:
    old = graph_row(datetime(2019, 3, 1, tzinfo=UTC))
    Graph.objects.filter(id=old.id).update(created_at=timezone.now() - timedelta(days=10))
    graph_row(datetime(2019, 3, 2, tzinfo=UTC))
    cutoff = (timezone.now() - timedelta(days=1)).isoformat()
    assert api.get(GRAPHS, {"created_from": cutoff}).json()["count"] == 1
    assert api.get(GRAPHS, {"created_before": cutoff}).json()["results"][0]["id"] == str(old.id)


def test_invalid_filters_are_400_field_errors(api: APIClient) -> None:
    response = api.get(GRAPHS, {"status": "lost", "start_from": "yesterday"})
    assert response.status_code == 400
    assert set(response.json()) == {"status", "start_from"}
