"""The pages show what a graph can be trusted for: its warnings, an Incomplete badge and why, and the
stage of a running graph."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from jobs.models import JobStatus
from tests.graphs.test_preview import build_graph, make_graph

pytestmark = pytest.mark.django_db
NO_FILE = "no flow-log file for this window under /var/flowlogs: check the flow-log bucket or folder"


@pytest.fixture
def reader(client: Client) -> Client:
    client.force_login(User.objects.create_user("reader", password="not-used"))
    return client


def html(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def trust_block(page: str) -> str:
    match = re.search(r'<div class="trust-notes" id="graph-trust".*?</div>', page, re.S)
    assert match is not None
    return match.group(0)


def test_a_graph_built_from_no_file_shows_its_warning_and_the_incomplete_badge(
    reader: Client, flowlogs_dir: Path
) -> None:
    graph = build_graph()  # the folder holds no flow log
    assert (graph.status, graph.complete) == (JobStatus.DONE, False)
    for url in (f"/graphs/{graph.id}/", f"/graphs/{graph.id}/svg-preview"):
        page = html(reader, url)
        block = trust_block(page)
        assert "hidden" not in block.split(">", 1)[0]
        assert f"<li>no flow-log file for this window under {flowlogs_dir}" in block
        assert "Incomplete: built from no flow-log file; the next request builds it again." in block
        assert re.search(
            r'<span class="status status-incomplete" id="graph-incomplete" title="[^"]+" >', page
        )


def test_a_complete_graph_without_warnings_hides_the_notes_and_the_badge(reader: Client) -> None:
    graph = make_graph(1, JobStatus.DONE)
    page = html(reader, f"/graphs/{graph.id}/")
    assert trust_block(page).split(">", 1)[0].endswith("hidden")
    assert re.search(r'id="graph-incomplete" title="" hidden>', page)


def test_the_list_marks_incomplete_graphs_and_counts_warnings(reader: Client) -> None:
    make_graph(1, JobStatus.DONE, complete=False, warnings=[NO_FILE])
    make_graph(2, JobStatus.DONE, rebuild_at=timezone.now() + timedelta(minutes=9), complete=False)
    make_graph(3, JobStatus.DONE)
    page = html(reader, "/graphs/")
    assert page.count(">Incomplete</span>") == 2
    assert page.count('class="warning-count"') == 1
    assert f'title="{NO_FILE}">1 warning</span>' in page


def test_a_running_graph_shows_its_stage(reader: Client, worker_alive: None) -> None:
    graph = make_graph(1, JobStatus.RUNNING, stage="reading files 3/12, 4.0 MB of 9.0 MB")
    assert "Reading files 3/12, 4.0 MB of 9.0 MB" in html(reader, f"/graphs/{graph.id}/")
    assert "attempt 1: reading files 3/12, 4.0 MB of 9.0 MB." in html(
        reader, f"/graphs/{graph.id}/svg-preview"
    )
