"""The preview pages under /graphs/: the list and request form, the classic SVG page (`svg-preview`, the
explorer's fallback), and the file downloads. The explorer itself: tests/graphs/test_explorer.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.test import Client
from django.utils import timezone
from django.utils.html import escape
from rest_framework.test import APIClient

from graphs.flow import SVG_NOT_DRAWN
from graphs.models import Graph
from jobs.models import JobStatus
from jobs.time_forms import USE
from jobs.window import window_parse
from tests.rows import job_row

pytestmark = pytest.mark.django_db

START, STOP = "2019-01-01T00:00:00Z", "2019-01-01T01:00:00Z"
T0 = 1546300800  # 2019-01-01T00:00:00Z
HEADER = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action"
    " log-status"
)
RECORDS = [
    f"2 123456789012 eni-0a1 10.0.1.10 10.0.2.20 49152 443 6 10 5000 {T0 + 60} {T0 + 120} ACCEPT OK",
    f"2 123456789012 eni-0a1 10.0.2.20 10.0.1.10 443 49152 6 8 7000 {T0 + 60} {T0 + 120} ACCEPT OK",
    f"2 123456789012 eni-0b2 198.51.100.7 10.0.1.10 51515 22 6 3 180 {T0 + 900} {T0 + 960} REJECT OK",
]
UNREACHABLE = "http://127.0.0.1:9/"  # the discard port: connection refused at once


def write_flow_logs(folder: Path, records: list[str] = RECORDS) -> None:
    (folder / "flows.log").write_text("\n".join([HEADER, *records]) + "\n")


def build_graph(start: str = START, stop: str = STOP) -> Graph:
    """Request a window as the page does, then run its job as the worker does."""
    from graphs.services import graph_request, graph_run

    window = window_parse(start, stop)
    job_id = graph_request(window).id
    # Run the worker's service here rather than rely on the queued task running inline: the test
    # reads the row right after, whatever the queue does with its copy (the claim makes that a no-op).
    graph_run(str(job_id), window)
    return Graph.objects.get(id=job_id)


def make_graph(hour: int, status: str, **fields: Any) -> Graph:
    """A row as the job services write it, without running anything: half an hour from 2019-01-02 + hour."""
    begin = datetime(2019, 1, 2, tzinfo=UTC) + timedelta(hours=hour)
    window = window_parse(
        f"{begin:%Y-%m-%dT%H:%M:%SZ}", f"{begin + timedelta(minutes=30):%Y-%m-%dT%H:%M:%SZ}"
    )
    return job_row(
        Graph,
        window,
        **{
            "status": status,
            "attempts": 1,
            "queued_at": timezone.now(),
            "started_at": timezone.now() if status == JobStatus.RUNNING else None,
            **fields,
        },
    )


@pytest.fixture
def reader(client: Client) -> Client:
    """A logged-in user without any admin rights: the preview only asks for a login."""
    client.force_login(User.objects.create_user("reader", password="not-used"))
    return client


@pytest.fixture
def done_graph(flowlogs_dir: Path) -> Graph:
    write_flow_logs(flowlogs_dir)
    graph = build_graph()
    assert graph.status == JobStatus.DONE, graph.error
    return graph


def detail(client: Client, graph: Graph) -> str:
    response = client.get(f"/graphs/{graph.id}/svg-preview")
    assert response.status_code == 200
    return response.content.decode()


# --- login ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "{id}/", "{id}/svg-preview", "{id}/view.svg", "{id}/svg", "{id}/dot"])
def test_anonymous_visitors_are_sent_to_the_site_login_page(client: Client, suffix: str) -> None:
    graph = make_graph(1, JobStatus.DONE)
    path = "/graphs/" + suffix.format(id=graph.id)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


def test_the_login_page_has_the_site_look_and_keeps_the_page_asked_for(client: Client) -> None:
    response = client.get("/accounts/login/", {"next": "/graphs/"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "/static/graphs/preview.css" in content
    assert '<a class="brand" href="/graphs/">grapherd</a>' in content
    assert 'action="/accounts/login/"' in content
    assert '<input type="hidden" name="next" value="/graphs/">' in content
    assert 'name="username"' in content
    assert 'name="password"' in content
    assert "Log out" not in content


def test_a_user_without_admin_rights_logs_in_and_lands_on_the_page_asked_for(client: Client) -> None:
    graph = make_graph(1, JobStatus.DONE)
    User.objects.create_user("reader", password="correct horse battery")
    response = client.post(
        "/accounts/login/",
        {"username": "reader", "password": "correct horse battery", "next": f"/graphs/{graph.id}/"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/graphs/{graph.id}/"
    assert client.get(f"/graphs/{graph.id}/").status_code == 200


def test_a_login_without_a_page_asked_for_lands_on_the_graphs(client: Client) -> None:
    User.objects.create_user("reader", password="correct horse battery")
    response = client.post("/accounts/login/", {"username": "reader", "password": "correct horse battery"})
    assert response["Location"] == "/graphs/"


def test_a_wrong_password_is_refused_on_the_login_page(client: Client) -> None:
    User.objects.create_user("reader", password="correct horse battery")
    response = client.post(
        "/accounts/login/", {"username": "reader", "password": "wrong", "next": "/graphs/"}
    )
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert '<input type="hidden" name="next" value="/graphs/">' in response.content.decode()
    assert client.get("/graphs/").status_code == 302


def test_the_pages_log_out_through_the_site_and_say_so(reader: Client) -> None:
    page = reader.get("/graphs/").content.decode()
    assert 'action="/accounts/logout/"' in page
    assert "/admin/" not in page  # no admin link for a user without admin rights
    response = reader.post("/accounts/logout/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Logged out" in content
    assert 'href="/accounts/login/"' in content
    assert reader.get("/graphs/").status_code == 302


# --- list and form --------------------------------------------------------------------------------


def test_the_list_shows_recent_graphs_with_status_window_and_figures(reader: Client) -> None:
    done = make_graph(1, JobStatus.DONE, records=12, edges=3, nodes=4)
    make_graph(2, JobStatus.FAILED, error="boom")
    response = reader.get("/graphs/")
    assert response.status_code == 200
    content = response.content.decode()
    assert f'<a href="/graphs/{done.id}/">2019-01-02T01:00:00Z → 2019-01-02T01:30:00Z</a>' in content
    assert '<span class="status status-failed">Failed</span>' in content
    assert '<td class="num">12</td>' in content
    assert 'name="start"' in content
    assert 'name="stop"' in content
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_the_list_is_paginated_newest_first(reader: Client) -> None:
    newest_first = [str(make_graph(hour, JobStatus.DONE).id) for hour in range(30)][::-1]
    first = reader.get("/graphs/")
    second = reader.get("/graphs/", {"page": 2})
    assert [str(graph.id) for graph in first.context["page"].object_list] == newest_first[:25]
    assert [str(graph.id) for graph in second.context["page"].object_list] == newest_first[25:]
    assert 'href="?page=2"' in first.content.decode()


def test_graphs_requested_at_the_same_moment_are_listed_by_id_so_pages_never_repeat_one(
    reader: Client,
) -> None:
    ids = [str(make_graph(hour, JobStatus.DONE).id) for hour in range(30)]
    Graph.objects.update(created_at=timezone.now())
    pages = [reader.get("/graphs/", {"page": number}).context["page"] for number in (1, 2)]
    listed = [str(graph.id) for page in pages for graph in page.object_list]
    assert listed == sorted(ids, reverse=True)


def test_a_valid_window_creates_a_graph_and_redirects_to_its_page(reader: Client) -> None:
    response = reader.post("/graphs/", {"start": START, "stop": STOP})
    graph = Graph.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/graphs/{graph.id}/"
    assert graph.status == JobStatus.QUEUED
    assert (graph.start_text, graph.stop_text) == (START, STOP)
    assert storages["graph-progress"].exists(f"{graph.id}_in_progress")


@pytest.mark.parametrize(
    ("start", "stop", "message"),
    [
        pytest.param(
            "2019-02-30",
            STOP,
            f'start "2019-02-30" is not a time: day is out of range for month; {USE}',
            id="no such day",
        ),
        pytest.param(START, "", "stop is required", id="stop missing"),
        pytest.param(STOP, START, "start must be before stop", id="reversed"),
        pytest.param(
            "2019-01-01T00:00:10Z",
            "2019-01-01T00:00:50Z",
            "the window is empty after truncation to whole minutes: "
            "stop must be at least a minute after start",
            id="empty after truncation",
        ),
    ],
)
def test_an_invalid_window_shows_the_api_message_on_the_form(
    reader: Client, start: str, stop: str, message: str
) -> None:
    response = reader.post("/graphs/", {"start": start, "stop": stop})
    assert response.status_code == 200
    assert escape(message) in response.content.decode()
    assert not Graph.objects.exists()


@pytest.mark.parametrize(
    ("start", "stop"),
    [
        pytest.param("2019-01-32", STOP, id="bad start"),
        pytest.param("x", "tomorrow", id="both bad"),
        pytest.param(START, "  ", id="blank stop"),
        pytest.param(STOP, START, id="reversed"),
        pytest.param("2019-01-01T00:00:10Z", "2019-01-01T00:00:50Z", id="empty after truncation"),
    ],
)
def test_the_form_and_the_api_refuse_a_window_with_the_same_words(
    reader: Client, start: str, stop: str
) -> None:
    form = reader.post("/graphs/", {"start": start, "stop": stop}).context["form"]
    api = APIClient()
    api.force_authenticate(User.objects.get(username="reader"))
    response = api.post("/api/v1/graphs/", {"start": start, "stop": stop}, format="json")
    assert response.status_code == 400
    api_errors = {
        "__all__" if field == "non_field_errors" else field: messages
        for field, messages in response.json().items()
    }
    assert form.errors == api_errors


def test_missing_times_are_required_in_the_words_the_api_uses(reader: Client) -> None:
    response = reader.post("/graphs/", {"start": START})
    assert response.status_code == 200
    assert response.context["form"].errors == {"stop": ["stop is required"]}


@pytest.mark.parametrize(
    ("start", "stop"),
    [
        pytest.param("2019-01-01 00:00", "2019-01-01 01:00", id="space, no zone"),
        pytest.param("2019-01-01T00:00", "2019-01-01T01:00", id="what the date-time picker writes"),
        pytest.param("1546300800", "2019-01-01 01:00:00Z", id="epoch seconds"),
    ],
)
def test_the_form_takes_common_time_forms_as_utc(reader: Client, start: str, stop: str) -> None:
    response = reader.post("/graphs/", {"start": start, "stop": stop})
    graph = Graph.objects.get()
    assert response["Location"] == f"/graphs/{graph.id}/"
    assert (graph.start_text, graph.stop_text) == (START, STOP)


@pytest.mark.parametrize(("preset", "hours"), [("last-hour", 1), ("last-day", 24)])
def test_a_preset_requests_the_window_that_ends_now(reader: Client, preset: str, hours: int) -> None:
    response = reader.post("/graphs/", {"preset": preset, "start": "ignored", "stop": ""})
    graph = Graph.objects.get()
    assert response["Location"] == f"/graphs/{graph.id}/"
    assert graph.stop - graph.start == timedelta(hours=hours)
    assert timezone.now() - graph.stop < timedelta(minutes=2)


def test_the_form_has_presets_pickers_and_its_script_without_inline_code(reader: Client) -> None:
    page = reader.get("/graphs/").content.decode()
    assert 'name="preset" value="last-hour"' in page and 'name="preset" value="last-day"' in page
    assert page.count('type="datetime-local"') == 2
    assert "graphs/window-form.js" in page
    assert "<script>" not in page and "style=" not in page


def test_requesting_a_window_in_progress_redirects_to_its_graph(reader: Client) -> None:
    first = reader.post("/graphs/", {"start": START, "stop": STOP})
    again = reader.post("/graphs/", {"start": START, "stop": STOP}, follow=True)
    assert again.redirect_chain == [(first["Location"], 302)]
    assert "is being created" in again.content.decode()


def test_requesting_a_built_window_redirects_to_its_graph(reader: Client, done_graph: Graph) -> None:
    response = reader.post("/graphs/", {"start": START, "stop": STOP}, follow=True)
    assert response.redirect_chain == [(f"/graphs/{done_graph.id}/", 302)]
    assert "graph for the time 2019-01-01T00:00:00Z to 2019-01-01T01:00:00Z already exists" in (
        response.content.decode()
    )


def test_a_window_in_progress_elsewhere_is_reported_on_the_list(reader: Client) -> None:
    """Another grapherd sharing the progress bucket marked the window; this database has no row for it."""
    graph_id = window_parse(START, STOP).job_id("graph")
    marker = timezone.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ").encode()
    storages["graph-progress"].save(f"{graph_id}_in_progress", ContentFile(marker))
    response = reader.post("/graphs/", {"start": START, "stop": STOP})
    assert response.status_code == 200
    assert f"graph {graph_id} is being created" in response.content.decode()
    assert not Graph.objects.exists()


def test_a_window_that_cannot_be_queued_asks_to_try_again(
    reader: Client, set_env: Callable[..., None]
) -> None:
    set_env(STREAM_APPLIANCE_ENDPOINT=UNREACHABLE)
    response = reader.post("/graphs/", {"start": START, "stop": STOP})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["could not queue, try again"]


# --- the classic SVG page ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", [JobStatus.QUEUED, JobStatus.RUNNING])
def test_an_unfinished_graph_shows_its_status_and_refreshes_itself(reader: Client, status: str) -> None:
    content = detail(reader, make_graph(3, status))
    assert '<meta http-equiv="refresh" content="2">' in content
    assert f'<span class="status status-{status}" id="graph-status">{status.title()}</span>' in content
    assert "preview.js" not in content


def test_a_done_graph_whose_worker_still_draws_its_preview_refreshes_until_it_is_drawn(
    reader: Client,
) -> None:
    graph = make_graph(
        6,
        JobStatus.DONE,
        svg_error=SVG_NOT_DRAWN,
        stage="rendering the SVG preview",
        lease_until=timezone.now() + timedelta(minutes=1),
    )
    content = detail(reader, graph)
    assert SVG_NOT_DRAWN not in content
    assert "Building the graph…" in content and "rendering the SVG preview" in content
    assert '<meta http-equiv="refresh" content="2">' in content


def test_a_drawn_preview_is_shown_without_refreshing_while_the_run_still_stores_its_table(
    reader: Client,
) -> None:
    # a done graph whose connection table is still being stored (or folded by a task) holds its lease
    graph = make_graph(8, JobStatus.DONE, svg_error="", lease_until=timezone.now() + timedelta(minutes=1))
    content = detail(reader, graph)
    assert "preview.js" in content
    assert 'http-equiv="refresh"' not in content
    assert "Building the graph…" not in content


def test_a_done_graph_whose_worker_died_before_its_preview_says_so_and_stops_refreshing(
    reader: Client,
) -> None:
    graph = make_graph(
        7, JobStatus.DONE, svg_error=SVG_NOT_DRAWN, lease_until=timezone.now() - timedelta(seconds=1)
    )
    content = detail(reader, graph)
    assert SVG_NOT_DRAWN in content
    assert 'http-equiv="refresh"' not in content


def test_a_graph_whose_worker_went_silent_says_so_and_stops_refreshing(reader: Client) -> None:
    graph = make_graph(5, JobStatus.RUNNING, started_at=timezone.now() - timedelta(days=1))
    content = detail(reader, graph)
    assert "No worker is on this graph" in content
    assert 'http-equiv="refresh"' not in content


def test_a_failed_graph_shows_its_error_escaped_and_stops_refreshing(reader: Client) -> None:
    graph = make_graph(4, JobStatus.FAILED, error='cannot read flow-log object <script>alert("x")</script>')
    content = detail(reader, graph)
    assert '<script>alert("x")' not in content
    assert "cannot read flow-log object &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in content
    assert 'http-equiv="refresh"' not in content


def test_a_done_graph_loads_its_svg_with_search_zoom_legend_and_downloads(
    reader: Client, done_graph: Graph
) -> None:
    content = detail(reader, done_graph)
    assert f'data-svg-url="/graphs/{done_graph.id}/svg"' in content
    assert "/static/graphs/preview.js" in content
    assert 'id="node-search-input"' in content
    for control in ('data-zoom="in"', 'data-zoom="out"', 'data-zoom="reset"', "Accepted", "Rejected"):
        assert control in content
    assert f'href="/graphs/{done_graph.id}/dot"' in content
    assert f'href="/graphs/{done_graph.id}/svg?download=1"' in content
    assert "<dt>Edges</dt><dd>3</dd>" in content
    assert "<dt>Nodes</dt><dd>3</dd>" in content
    assert 'http-equiv="refresh"' not in content


def test_a_done_graph_shows_the_flow_logs_read_for_it(reader: Client, done_graph: Graph) -> None:
    content = detail(reader, done_graph)
    assert "Flow logs read" in content
    assert "<dt>In window</dt><dd>3</dd>" in content


def test_a_graph_too_large_for_a_preview_says_why_and_offers_the_dot(
    reader: Client, flowlogs_dir: Path, set_env: Callable[..., None]
) -> None:
    set_env(GRAPHERD_SVG_MAX_EDGES="1")
    write_flow_logs(flowlogs_dir)
    graph = build_graph()
    assert graph.status == JobStatus.DONE
    assert graph.svg_error
    content = detail(reader, graph)
    assert "No SVG preview for this graph" in content
    assert escape(graph.svg_error) in content
    assert f'href="/graphs/{graph.id}/"' in content  # the explorer draws it whatever its size
    assert f'href="/graphs/{graph.id}/dot"' in content
    assert "preview.js" not in content
    assert "svg?download=1" not in content
    assert reader.get(f"/graphs/{graph.id}/svg").status_code == 404


def test_an_unknown_graph_is_not_found(reader: Client) -> None:
    unknown = "00000000-0000-5000-8000-000000000000"
    for suffix in ("/", "/svg-preview", "/view.svg", "/svg", "/dot"):
        assert reader.get(f"/graphs/{unknown}{suffix}").status_code == 404


# --- downloads ------------------------------------------------------------------------------------


def test_the_svg_is_served_so_that_nothing_in_it_can_run(reader: Client, done_graph: Graph) -> None:
    response = reader.get(f"/graphs/{done_graph.id}/svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert (
        response["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert not response["Content-Disposition"].startswith("attachment")
    assert b"<svg" in response.getvalue()


def test_the_svg_downloads_as_a_file_when_asked(reader: Client, done_graph: Graph) -> None:
    response = reader.get(f"/graphs/{done_graph.id}/svg", {"download": "1"})
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="graph_2019-01-01T0000Z_2019-01-01T0100Z.svg"'
    )
    assert response["Content-Security-Policy"].startswith("default-src 'none'")


def test_the_dot_downloads_as_a_graphviz_file(reader: Client, done_graph: Graph) -> None:
    response = reader.get(f"/graphs/{done_graph.id}/dot")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/vnd.graphviz; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="graph_2019-01-01T0000Z_2019-01-01T0100Z.dot"'
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    body = response.getvalue()
    assert body.startswith(b"digraph {\n")
    assert body.endswith(b"}")
    assert len(body) == done_graph.dot_bytes


def test_a_graph_whose_files_are_gone_answers_not_found(reader: Client) -> None:
    graph = make_graph(5, JobStatus.DONE)
    assert reader.get(f"/graphs/{graph.id}/dot").status_code == 404
    assert reader.get(f"/graphs/{graph.id}/svg").status_code == 404
