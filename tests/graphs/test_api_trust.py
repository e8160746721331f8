"""API v1 says what a graph can be trusted for: its warnings, whether it is complete, its stage, and a
re-run that reads the flow logs again unless asked to reuse the digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from digests.models import Digest
from graphs.models import Graph
from graphs.tasks import graph_run_task
from jobs.window import window_parse
from tests.apiclients import token_client
from tests.flowlogs import write_flow_log
from tests.rows import job_row

pytestmark = pytest.mark.django_db

START, STOP = "2019-01-01T00:00:00Z", "2019-01-01T01:00:00Z"
WINDOW = window_parse(START, STOP)
GRAPH_ID = WINDOW.job_id("graph")
GRAPHS = "/api/v1/graphs/"


@pytest.fixture
def api() -> APIClient:
    return token_client()


def requested(api: APIClient) -> dict[str, Any]:
    """Requested through the API, then built by the worker (the task the queuer enqueued, run here)."""
    assert api.post(GRAPHS, {"start": START, "stop": STOP}, format="json").status_code == 202
    assert graph_run_task(GRAPH_ID) == "done"
    body: dict[str, Any] = api.get(f"{GRAPHS}{GRAPH_ID}/").json()
    return body


def test_a_graph_of_a_window_with_no_file_is_incomplete_and_says_where_it_looked(
    api: APIClient, flowlogs_dir: Path
) -> None:
    body = requested(api)
    assert (body["status"], body["complete"], body["rebuild_at"], body["stage"]) == ("done", False, None, "")
    assert body["warnings"] == [
        f"no flow-log file for this window under {flowlogs_dir}: check the flow-log bucket or folder, "
        "its prefix, accounts and regions"
    ]
    assert api.post(GRAPHS, {"start": START, "stop": STOP}, format="json").status_code == 202  # not final


def test_a_graph_with_records_is_complete_without_warnings(api: APIClient, flowlogs_dir: Path) -> None:
    write_flow_log(flowlogs_dir)
    body = requested(api)
    assert (body["complete"], body["warnings"], body["rebuild_at"]) == (True, [], None)
    assert body["elapsed"] == body["timings"]["duration"]
    assert api.post(GRAPHS, {"start": START, "stop": STOP}, format="json").status_code == 409


def test_a_window_inside_the_delivery_delay_is_incomplete_until_its_rebuild_time(
    api: APIClient, flowlogs_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_flow_log(flowlogs_dir)
    now = datetime(2019, 1, 1, 1, 5, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: now)
    body = requested(api)
    assert (body["complete"], body["rebuild_at"]) == (False, "2019-01-01T01:15:00Z")
    assert body["warnings"] == []


def test_a_running_graph_shows_its_stage_and_how_long_it_has_run(api: APIClient) -> None:
    started = timezone.now() - timedelta(seconds=42)
    job_row(Graph, WINDOW, status="running", started_at=started, stage="reading files 3/12, 4.0 MB of 9.0 MB")
    body = api.get(f"{GRAPHS}{GRAPH_ID}/").json()
    assert body["stage"] == "reading files 3/12, 4.0 MB of 9.0 MB"
    assert 42 <= body["elapsed"] < 60


def test_a_rerun_reads_the_flow_logs_again_unless_asked_to_reuse_the_digest(
    api: APIClient, flowlogs_dir: Path
) -> None:
    write_flow_log(flowlogs_dir)
    requested(api)
    digest_built = Digest.objects.get(id=WINDOW.job_id("digest")).finished_at
    assert api.post(f"{GRAPHS}{GRAPH_ID}/rerun?reuse_digest=true").status_code == 202
    assert graph_run_task(GRAPH_ID) == "done"
    assert Digest.objects.get(id=WINDOW.job_id("digest")).finished_at == digest_built
    assert api.post(f"{GRAPHS}{GRAPH_ID}/rerun").status_code == 202
    assert graph_run_task(GRAPH_ID) == "done"
    assert Digest.objects.get(id=WINDOW.job_id("digest")).finished_at != digest_built


def test_a_rerun_parameter_that_is_not_a_boolean_is_refused(api: APIClient, flowlogs_dir: Path) -> None:
    requested(api)
    response = api.post(f"{GRAPHS}{GRAPH_ID}/rerun?reuse_digest=perhaps")
    assert response.status_code == 400
    assert "reuse_digest" in response.json()


def test_the_schema_documents_warnings_completeness_stage_and_the_rerun_parameter(client: Client) -> None:
    schema = client.get("/api/schema/", {"format": "json"}).json()
    graph = schema["components"]["schemas"]["GraphOutput"]
    assert graph["properties"]["warnings"]["items"] == {"type": "string"}
    assert graph["properties"]["complete"]["type"] == "boolean"
    assert {"warnings", "complete", "rebuild_at", "stage", "elapsed"} <= set(graph["required"])
    rerun = schema["paths"]["/api/v1/graphs/{graph_id}/rerun"]["post"]
    assert [parameter["name"] for parameter in rerun["parameters"] if parameter["in"] == "query"] == [
        "reuse_digest"
    ]


def test_a_failed_graph_shows_no_stage_left_over_from_its_last_attempt(api: APIClient) -> None:
    job_row(Graph, WINDOW, status="failed", error="boom", stage="writing DOT")
    assert api.get(f"{GRAPHS}{GRAPH_ID}/").json()["stage"] == ""
