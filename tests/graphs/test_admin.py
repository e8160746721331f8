"""The admin for graph and digest jobs: read-only pages and the re-run / fail-stuck actions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.core.files.storage import storages
from django.test import Client
from django.utils import timezone
from django_q.models import Schedule

from digests.models import Digest
from graphs.models import Graph
from jobs.models import JobStatus
from jobs.window import window_parse
from tests.rows import job_row

pytestmark = pytest.mark.django_db

GRAPHS_URL = "/admin/graphs/graph/"
DIGESTS_URL = "/admin/digests/digest/"
STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DONE, JobStatus.FAILED)
UNREACHABLE = "http://127.0.0.1:9/"  # the discard port: connection refused at once


def make_job(
    model: type[Graph] | type[Digest], hour: int, status: str = JobStatus.DONE, **fields: Any
) -> Any:
    """A row as the job services write it: id and texts from a real window of 2019-01-01."""
    window = window_parse(f"2019-01-01T{hour:02d}:00:00Z", f"2019-01-01T{hour:02d}:30:00Z")
    now = timezone.now()
    return job_row(
        model,
        window,
        status=status,
        attempts=1,
        queued_at=now,
        started_at=now if status != JobStatus.QUEUED else None,
        finished_at=now if status in (JobStatus.DONE, JobStatus.FAILED) else None,
        **fields,
    )


@pytest.fixture
def graphs() -> dict[str, Graph]:
    """One graph per status, hours 0-3."""
    return {status: make_job(Graph, hour, status, edges=hour * 10) for hour, status in enumerate(STATUSES)}


@pytest.fixture
def digests() -> dict[str, Digest]:
    return {
        status: make_job(Digest, hour, status, records=hour * 100) for hour, status in enumerate(STATUSES)
    }


def listed(response: Any) -> set[str]:
    return {str(job.id) for job in response.context["cl"].result_list}


def message_texts(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def run_action(client: Client, url: str, action: str, jobs: list[Any]) -> list[str]:
    response = client.post(url, {"action": action, "_selected_action": [str(job.id) for job in jobs]})
    assert response.status_code == 302
    return message_texts(response)


# --- pages ----------------------------------------------------------------------------------------


def test_the_graph_list_shows_window_status_and_figures_of_every_status(
    admin_client: Client, graphs: dict[str, Graph]
) -> None:
    response = admin_client.get(GRAPHS_URL)
    assert response.status_code == 200
    assert listed(response) == {str(graph.id) for graph in graphs.values()}
    content = response.content.decode()
    assert "2019-01-01T02:00:00Z → 2019-01-01T02:30:00Z" in content
    for label in ("Queued", "Running", "Done", "Failed"):
        assert label in content
    assert "Re-run selected graphs" in content
    assert "Mark selected stuck graphs failed" in content


def test_the_graph_list_filters_by_status(admin_client: Client, graphs: dict[str, Graph]) -> None:
    response = admin_client.get(GRAPHS_URL, {"status__exact": "failed"})
    assert listed(response) == {str(graphs[JobStatus.FAILED].id)}


def test_the_graph_list_drills_down_by_creation_date(admin_client: Client, graphs: dict[str, Graph]) -> None:
    today = timezone.now()
    response = admin_client.get(
        GRAPHS_URL, {"created_at__year": today.year, "created_at__month": today.month}
    )
    assert response.status_code == 200
    assert len(listed(response)) == 4


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(lambda full: full, id="full id"),
        pytest.param(lambda full: full[:8], id="first 8 characters"),
        pytest.param(lambda full: full[:13], id="prefix with a dash"),
        pytest.param(lambda full: full.upper(), id="upper case"),
    ],
)
def test_the_graph_list_finds_a_graph_by_id_or_its_prefix(
    admin_client: Client, graphs: dict[str, Graph], query: Callable[[str], str]
) -> None:
    wanted = graphs[JobStatus.RUNNING]
    response = admin_client.get(GRAPHS_URL, {"q": query(str(wanted.id))})
    assert listed(response) == {str(wanted.id)}


def test_a_search_that_is_no_id_finds_nothing(admin_client: Client, graphs: dict[str, Graph]) -> None:
    assert listed(admin_client.get(GRAPHS_URL, {"q": "not-an-id"})) == set()


def test_the_graph_detail_is_read_only_and_shows_the_error_escaped(admin_client: Client) -> None:
    graph = make_job(Graph, 5, JobStatus.FAILED, error='flow log <script>alert("x")</script> & more')
    response = admin_client.get(f"{GRAPHS_URL}{graph.id}/change/")
    assert response.status_code == 200
    content = response.content.decode()
    assert '<script>alert("x")' not in content
    assert "flow log &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more" in content
    assert 'name="_save"' not in content
    assert 'name="error"' not in content  # shown, not editable
    assert 'name="status"' not in content


def test_the_graph_detail_links_the_preview_and_the_dot_download(admin_client: Client) -> None:
    graph = make_job(Graph, 6, JobStatus.DONE, records=12, edges=3, nodes=4, dot_bytes=900)
    content = admin_client.get(f"{GRAPHS_URL}{graph.id}/change/").content.decode()
    assert f'href="/graphs/{graph.id}/"' in content
    assert f'href="/graphs/{graph.id}/dot"' in content


def test_the_graph_detail_shows_the_digest_figures_and_skips_by_reason(admin_client: Client) -> None:
    skipped = {
        "unknown_layout": 0,
        "field_count": 7,
        "bad_number": 3,
        "nodata_skipdata": 11,
        "outside_window": 5,
    }
    digest = make_job(Digest, 7, records=140, in_window=114, groups=9, skipped=skipped)
    graph = make_job(Graph, 7, digest_id=digest.id)
    content = admin_client.get(f"{GRAPHS_URL}{graph.id}/change/").content.decode()
    assert f'href="/admin/digests/digest/{digest.id}/change/"' in content
    for label, count in [
        ("records", 140),
        ("in window", 114),
        ("groups", 9),
        ("skipped: field count", 7),
        ("skipped: bad number", 3),
        ("skipped: nodata skipdata", 11),
        ("skipped: outside window", 5),
    ]:
        assert f"<tr><th>{label}</th><td>{count}</td></tr>" in content


def test_graphs_cannot_be_added_or_deleted_in_the_admin(
    admin_client: Client, graphs: dict[str, Graph]
) -> None:
    assert admin_client.get(f"{GRAPHS_URL}add/").status_code == 403
    graph = graphs[JobStatus.DONE]
    assert admin_client.get(f"{GRAPHS_URL}{graph.id}/delete/").status_code == 403


def test_the_digest_pages_render_with_skip_counts(admin_client: Client, digests: dict[str, Digest]) -> None:
    done = digests[JobStatus.DONE]
    done.skipped = {
        "unknown_layout": 2,
        "field_count": 0,
        "bad_number": 0,
        "nodata_skipdata": 4,
        "outside_window": 0,
    }
    done.save()
    response = admin_client.get(DIGESTS_URL)
    assert response.status_code == 200
    assert listed(response) == {str(digest.id) for digest in digests.values()}
    assert listed(admin_client.get(DIGESTS_URL, {"status__exact": "done"})) == {str(done.id)}
    assert listed(admin_client.get(DIGESTS_URL, {"q": str(done.id)[:6]})) == {str(done.id)}
    content = admin_client.get(f"{DIGESTS_URL}{done.id}/change/").content.decode()
    assert "<tr><th>skipped: unknown layout</th><td>2</td></tr>" in content
    assert "<tr><th>skipped: nodata skipdata</th><td>4</td></tr>" in content
    assert 'name="_save"' not in content


def test_the_admin_keeps_its_own_login_page(client: Client) -> None:
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/"
    assert client.get("/admin/login/").status_code == 200


def test_logging_out_of_the_admin_shows_the_sites_logged_out_page(admin_client: Client) -> None:
    response = admin_client.post("/admin/logout/")
    assert response.status_code == 200
    assert "You have been logged out of grapherd." in response.content.decode()
    assert admin_client.get(GRAPHS_URL).status_code == 302


def test_the_django_q_admin_stays_registered() -> None:
    assert admin.site.is_registered(Schedule)


# --- actions --------------------------------------------------------------------------------------


def test_rerunning_graphs_requeues_them_and_writes_their_markers(
    admin_client: Client, graphs: dict[str, Graph]
) -> None:
    chosen = [graphs[JobStatus.DONE], graphs[JobStatus.FAILED], make_job(Graph, 9, JobStatus.DONE)]
    assert run_action(admin_client, GRAPHS_URL, "rerun_selected", chosen) == ["Re-queued 3 graphs"]
    progress = storages["graph-progress"]
    for graph in chosen:
        graph.refresh_from_db()
        assert (graph.status, graph.attempts, graph.error) == (JobStatus.QUEUED, 0, "")
        assert progress.exists(f"{graph.id}_in_progress")


def test_rerunning_one_graph_says_graph_in_the_singular(
    admin_client: Client, graphs: dict[str, Graph]
) -> None:
    assert run_action(admin_client, GRAPHS_URL, "rerun_selected", [graphs[JobStatus.DONE]]) == [
        "Re-queued 1 graph"
    ]


def test_rerunning_a_running_graph_among_done_ones_leaves_it_alone_and_says_so(
    admin_client: Client, graphs: dict[str, Graph]
) -> None:
    running = graphs[JobStatus.RUNNING]  # claimed by a worker just now
    done = [graphs[JobStatus.DONE], make_job(Graph, 9, JobStatus.DONE)]
    texts = run_action(admin_client, GRAPHS_URL, "rerun_selected", [done[0], running, done[1]])
    assert texts == ["Re-queued 2 graphs; 1 was still queued or running"]
    for graph in done:
        graph.refresh_from_db()
        assert (graph.status, graph.attempts) == (JobStatus.QUEUED, 0)
    after = Graph.objects.get(id=running.id)
    assert (after.status, after.attempts, after.started_at) == (JobStatus.RUNNING, 1, running.started_at)


def test_rerunning_only_busy_graphs_requeues_none_and_warns(
    admin_client: Client, graphs: dict[str, Graph]
) -> None:
    chosen = [graphs[JobStatus.QUEUED], graphs[JobStatus.RUNNING]]
    response = admin_client.post(
        GRAPHS_URL, {"action": "rerun_selected", "_selected_action": [str(g.id) for g in chosen]}
    )
    [message] = get_messages(response.wsgi_request)
    assert str(message) == "Re-queued 0 graphs; 2 were still queued or running"
    assert message.level_tag == "warning"


def test_a_graph_abandoned_by_a_dead_worker_can_be_rerun_from_the_admin(admin_client: Client) -> None:
    from graphs.services import graph_flow

    long_ago = timezone.now() - graph_flow().stale_after() - timedelta(minutes=1)
    abandoned = make_job(Graph, 10, JobStatus.RUNNING)
    Graph.objects.filter(id=abandoned.id).update(queued_at=long_ago, started_at=long_ago)
    assert run_action(admin_client, GRAPHS_URL, "rerun_selected", [abandoned]) == ["Re-queued 1 graph"]
    assert Graph.objects.get(id=abandoned.id).status == JobStatus.QUEUED


def test_a_rerun_that_cannot_be_queued_is_reported_for_each_graph(
    admin_client: Client, graphs: dict[str, Graph], set_env: Callable[..., None]
) -> None:
    set_env(STREAM_APPLIANCE_ENDPOINT=UNREACHABLE)
    chosen = [graphs[JobStatus.DONE], graphs[JobStatus.FAILED]]
    texts = run_action(admin_client, GRAPHS_URL, "rerun_selected", chosen)
    assert len(texts) == 2
    for graph in chosen:
        assert any(text.startswith(f"{graph.id} could not be re-queued: queuer") for text in texts)
        graph.refresh_from_db()
        assert (graph.status, graph.error) == (JobStatus.FAILED, "the job could not be queued")


def test_marking_stuck_graphs_failed_reports_marked_and_inactive(
    admin_client: Client, graphs: dict[str, Graph]
) -> None:
    storages["graph-progress"].save(f"{graphs[JobStatus.RUNNING].id}_in_progress", _marker_body())
    texts = run_action(admin_client, GRAPHS_URL, "fail_stuck_selected", list(graphs.values()))
    assert texts == ["Marked 2 graphs failed; 2 were not active (already done or failed)"]
    statuses = {status: Graph.objects.get(id=graph.id).status for status, graph in graphs.items()}
    assert statuses == {
        JobStatus.QUEUED: JobStatus.FAILED,
        JobStatus.RUNNING: JobStatus.FAILED,
        JobStatus.DONE: JobStatus.DONE,
        JobStatus.FAILED: JobStatus.FAILED,
    }
    assert Graph.objects.get(id=graphs[JobStatus.RUNNING].id).error == "marked failed by an operator"
    assert not storages["graph-progress"].exists(f"{graphs[JobStatus.RUNNING].id}_in_progress")


def test_marking_only_finished_graphs_marks_none(admin_client: Client, graphs: dict[str, Graph]) -> None:
    texts = run_action(admin_client, GRAPHS_URL, "fail_stuck_selected", [graphs[JobStatus.DONE]])
    assert texts == ["Marked 0 graphs failed; 1 was not active (already done or failed)"]


def test_rerunning_digests_requeues_them_and_writes_their_markers(
    admin_client: Client, digests: dict[str, Digest]
) -> None:
    chosen = [digests[JobStatus.DONE], digests[JobStatus.FAILED]]
    assert run_action(admin_client, DIGESTS_URL, "rerun_selected", chosen) == ["Re-queued 2 digests"]
    for digest in chosen:
        digest.refresh_from_db()
        assert digest.status == JobStatus.QUEUED
        assert storages["digest-progress"].exists(f"{digest.id}_in_progress")


def test_rerunning_a_running_digest_among_done_ones_leaves_it_alone_and_says_so(
    admin_client: Client, digests: dict[str, Digest]
) -> None:
    chosen = [digests[JobStatus.DONE], digests[JobStatus.RUNNING], digests[JobStatus.FAILED]]
    texts = run_action(admin_client, DIGESTS_URL, "rerun_selected", chosen)
    assert texts == ["Re-queued 2 digests; 1 was still queued or running"]
    assert Digest.objects.get(id=digests[JobStatus.DONE].id).status == JobStatus.QUEUED
    assert Digest.objects.get(id=digests[JobStatus.RUNNING].id).status == JobStatus.RUNNING


def test_marking_stuck_digests_failed_reports_marked_and_inactive(
    admin_client: Client, digests: dict[str, Digest]
) -> None:
    chosen = [digests[JobStatus.RUNNING], digests[JobStatus.DONE]]
    texts = run_action(admin_client, DIGESTS_URL, "fail_stuck_selected", chosen)
    assert texts == ["Marked 1 digest failed; 1 was not active (already done or failed)"]
    assert Digest.objects.get(id=digests[JobStatus.RUNNING].id).status == JobStatus.FAILED


def test_staff_without_the_change_permission_get_no_actions(client: Client, graphs: dict[str, Graph]) -> None:
    from django.contrib.auth.models import Permission, User

    user = User.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_graph"))
    client.force_login(user)
    response = client.get(GRAPHS_URL)
    assert response.status_code == 200
    assert "Re-run selected graphs" not in response.content.decode()


def _marker_body() -> Any:
    from django.core.files.base import ContentFile

    return ContentFile(timezone.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ").encode())


# --- trust: warnings, completeness, stage; re-running with or without the digest ------------------------


def test_the_graph_detail_shows_its_warnings_and_why_it_is_incomplete(admin_client: Client) -> None:
    graph = make_job(Graph, 5, complete=False, warnings=["no flow-log file for this window under <x>"])
    page = admin_client.get(f"{GRAPHS_URL}{graph.id}/change/").content.decode()
    assert "<li>no flow-log file for this window under &lt;x&gt;</li>" in page
    assert "incomplete: built from no flow-log file; the next request builds it again" in page


def test_the_graph_list_filters_incomplete_graphs(admin_client: Client) -> None:
    make_job(Graph, 5, complete=False)
    make_job(Graph, 6)
    page = admin_client.get(GRAPHS_URL, {"complete__exact": "0"}).content.decode()
    assert page.count('class="action-checkbox"') == 1


def test_a_rerun_from_the_admin_reads_the_flow_logs_again_unless_asked_to_reuse_the_digest(
    admin_client: Client,
) -> None:
    first, second = make_job(Graph, 5), make_job(Graph, 6)
    run_action(admin_client, GRAPHS_URL, "rerun_selected", [first])
    assert run_action(admin_client, GRAPHS_URL, "rerun_reusing_digest_selected", [second])[-1] == (
        "Re-queued 1 graph"
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.reuse_digest, second.reuse_digest) == (False, True)
