"""The explorer page (`/graphs/<id>/`) as served, its SVG export of a view (`view.svg`), the job progress
the page polls (`/api/v1/graphs/<id>/`), and the explorer's own JavaScript unit tests (node --test)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from graphs import view_svg
from graphs.models import Graph
from graphs.views_explorer import EXPLORER_CSP
from jobs.models import JobStatus
from tests.graphs.small_vpc import build_graph, write_flow_logs
from tests.graphs.test_preview import make_graph

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def reader(client: Client) -> Client:
    client.force_login(User.objects.create_user("reader", password="not-used"))
    return client


def page(client: Client, graph: Graph, query: str = "") -> tuple[str, Any]:
    response = client.get(f"/graphs/{graph.id}/{query}")
    assert response.status_code == 200
    return response.content.decode(), response


# --- the page -----------------------------------------------------------------------------------------


def test_a_done_graph_opens_the_explorer_under_a_strict_policy(reader: Client, graph: Graph) -> None:
    content, response = page(reader, graph)
    assert response["Content-Security-Policy"] == EXPLORER_CSP
    assert "script-src 'self'" in EXPLORER_CSP and "unsafe-inline" not in EXPLORER_CSP
    assert '<script src="/static/graphs/build/explorer.js" defer></script>' in content
    assert "<script>" not in content and " onclick=" not in content
    for attribute in (
        f'data-view-url="/api/v1/graphs/{graph.id}/view"',
        f'data-top-url="/api/v1/graphs/{graph.id}/top"',
        f'data-graph-url="/api/v1/graphs/{graph.id}/"',
        f'data-export-url="/graphs/{graph.id}/view.svg"',
        'data-worker-url="/static/graphs/build/layout-worker.js"',
        'data-status="done"',
        'data-state="loading"',
    ):
        assert attribute in content
    assert f'href="/graphs/{graph.id}/svg-preview"' in content  # the classic view, for browsers without WebGL
    assert f'href="/graphs/{graph.id}/dot"' in content
    assert "No preview" not in content
    assert 'http-equiv="refresh"' not in content


def test_a_graph_too_large_for_the_svg_still_opens_the_explorer(
    reader: Client, flowlogs_dir: Path, set_env: Any
) -> None:
    set_env(GRAPHERD_SVG_MAX_EDGES="1")
    write_flow_logs(flowlogs_dir)
    graph = build_graph()
    assert graph.svg_error
    content, _ = page(reader, graph)
    assert "/static/graphs/build/explorer.js" in content
    assert "svg-preview" not in content.split('id="no-webgl"')[0]  # no classic link without an SVG
    assert "too large for the classic SVG view" in content


@pytest.mark.parametrize("status", [JobStatus.QUEUED, JobStatus.RUNNING])
def test_an_unfinished_graph_shows_its_stage_and_polls_instead_of_reloading(
    reader: Client, status: str, worker_alive: None
) -> None:
    content, _ = page(reader, make_graph(3, status))
    assert 'http-equiv="refresh"' not in content
    assert f'data-status="{status}"' in content
    assert "/static/graphs/build/explorer.js" in content  # the script polls the API for the status
    title = "Building the graph…" if status == JobStatus.RUNNING else "Waiting for a worker…"
    assert f'<h2 id="job-title">{title}</h2>' in content


def test_a_queued_graph_says_at_once_that_no_worker_is_running(reader: Client, shared_cache: None) -> None:
    content, _ = page(reader, make_graph(3, JobStatus.QUEUED))
    assert '<h2 id="job-title">No worker is running</h2>' in content
    assert "not seen: no running django-q2 cluster and no heartbeat" in content


def test_a_graph_whose_worker_went_silent_says_so(reader: Client, worker_alive: None) -> None:
    graph = make_graph(5, JobStatus.RUNNING, started_at=timezone.now() - timedelta(days=1))
    content, _ = page(reader, graph)
    assert '<h2 id="job-title">No worker is on this graph</h2>' in content


def test_a_failed_graph_shows_its_error_escaped(reader: Client) -> None:
    graph = make_graph(4, JobStatus.FAILED, error='bad object <script>alert("x")</script>')
    content, _ = page(reader, graph)
    assert "<script>alert" not in content
    assert "bad object &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in content


# --- the job the page polls -----------------------------------------------------------------------------


def test_the_graph_json_says_whether_it_is_worked_on_and_whether_a_worker_is_alive(
    shared_cache: None,
) -> None:
    api = APIClient()
    api.force_authenticate(User.objects.create_user("reader"))
    queued = make_graph(3, JobStatus.QUEUED)
    body = api.get(f"/api/v1/graphs/{queued.id}/").json()
    assert body["progress"] == {
        "busy": True,
        "worker": "not seen: no running django-q2 cluster and no heartbeat",
    }
    stale = make_graph(4, JobStatus.RUNNING, started_at=timezone.now() - timedelta(days=1))
    assert api.get(f"/api/v1/graphs/{stale.id}/").json()["progress"]["busy"] is False
    assert "progress" not in api.get("/api/v1/graphs/").json()["results"][0]  # the list stays as it was


# --- SVG export of a view -------------------------------------------------------------------------------


def test_a_view_exports_as_an_svg_that_nothing_can_run_in(reader: Client, graph: Graph) -> None:
    response = reader.get(f"/graphs/{graph.id}/view.svg", {"group": "host", "port": "5432"})
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Content-Security-Policy"].startswith("default-src 'none'")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="graph_2019-01-01T0000Z_2019-01-01T0100Z_host.svg"'
    )
    svg = response.content.decode()
    assert svg.count('class="edge') == 2  # app → database accepted, a scanner → database refused
    assert "10.0.3.30" in svg and "192.0.2.33" in svg and "10.0.1.10" not in svg
    assert "5432/tcp: sent 8 kB, received 52 kB" in svg
    assert "<script" not in svg


def test_an_export_refuses_what_it_cannot_draw_with_a_reason(
    reader: Client, graph: Graph, monkeypatch: Any
) -> None:
    bad = reader.get(f"/graphs/{graph.id}/view.svg", {"port": "http"})
    assert bad.status_code == 400
    assert bad.content.decode().startswith("port: 'http' is not a port")
    monkeypatch.setattr(view_svg, "EXPORT_MAX_EDGES", 2)
    large = reader.get(f"/graphs/{graph.id}/view.svg")
    assert large.status_code == 400
    assert "an SVG export draws at most 2" in large.content.decode()
    busy = make_graph(6, JobStatus.QUEUED)
    assert reader.get(f"/graphs/{busy.id}/view.svg").status_code == 409


def test_the_export_escapes_names_from_the_data() -> None:
    name = 'db "primary" & <script>x</script>'
    view = {
        "nodes": [
            {"id": "10.0.0.1", "label": name, "kind": "host", "members": 1, "name": name, "bytes_sent": 5,
             "bytes_received": 7},
            {"id": "internet", "label": "internet", "kind": "internet", "members": 3, "name": "", "bytes_sent": 1,
             "bytes_received": 2},
        ],
        "edges": [{"client": "internet", "server": "10.0.0.1", "port": 443, "protocol": 6, "action": "MIXED",
                   "bytes_sent": 1, "bytes_received": 2, "packets": 3, "records": 1}],
    }  # fmt: skip
    svg = view_svg.view_svg(view, timeout=30).decode()
    assert "<script>" not in svg
    assert ">db &quot;primary&quot; &amp; &lt;script&gt;x&lt;/script&gt;</text>" in svg
    assert view_svg.ACTION_COLORS["MIXED"] in svg


# --- the explorer's JavaScript ---------------------------------------------------------------------------


def test_the_explorers_javascript_unit_tests_pass() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (make test installs it)")
    # Files, not the folder: node's test runner reads a folder argument differently across versions.
    files = sorted(str(path) for path in (ROOT / "graphs" / "frontend" / "tests").glob("*.test.js"))
    assert files
    done = subprocess.run([node, "--test", *files], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
