"""Windows only Go's parser takes (year 0000, offsets of 24 hours or 60 minutes) go all the way through,
as they do in the Go services: queued (202), built, and served (200)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from graphs.models import Graph
from jobs.window import window_parse
from tests.flowlogs import write_flow_log

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("start", "stop"),
    [
        ("0000-01-01T00:00:00Z", "0000-01-01T01:00:00Z"),
        ("2019-01-02T00:00:00%2B24:00", "2019-01-02T01:00:00%2B24:00"),
        ("2019-01-01T00:00:00-05:60", "2019-01-01T01:00:00-05:60"),
    ],
)
def test_a_window_go_accepts_is_queued_built_and_served(
    client: Client, flowlogs_dir: Path, start: str, stop: str
) -> None:
    write_flow_log(flowlogs_dir)
    query = f"/?start={start}&stop={stop}"
    assert client.post(query).status_code == 202  # the django-q2 task runs inline in tests
    response = client.get(query)
    assert response.status_code == 200
    window = window_parse(start.replace("%2B", "+"), stop.replace("%2B", "+"))
    graph = Graph.objects.get(id=window.job_id("graph"))
    assert (graph.status, graph.start_text) == ("done", window.start.rfc3339nano())


@pytest.mark.parametrize("start", ["0000-01-01T00:00:00Z", "0001-01-01T00:30:00%2B01:00"])
def test_times_before_year_one_are_not_found_until_asked_for_not_400_or_500(
    client: Client, start: str
) -> None:
    response = client.get(f"/?start={start}&stop=2019-01-01T01:00:00Z")
    assert response.status_code == 404
