"""A connection view of a graph whose table is not there yet answers at once: 503 with `Retry-After`
while its worker still stores the table (done, lease held), and for a graph without one, while a task
folds it from the stored digest. No web thread waits: a sleep in the service fails the test."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from digests.connections import CONNECTIONS_SUFFIX, HOSTS_SUFFIX
from graphs.models import Graph
from graphs.services import CONNECTIONS_RETRY_AFTER_S, graph_flow
from graphs.tasks import graph_connections_fold_task
from tests.connections.test_views_api import RECORDS

pytestmark = pytest.mark.django_db
PATHS = ("view", "top", "view?format=csv", "top?format=csv")


def never_sleeps(seconds: float) -> None:
    raise AssertionError(f"a web request slept {seconds} s waiting for the connection table")


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    # This module's clock only: patching time.sleep itself would reach every other sleeper of the process.
    import time

    clock = SimpleNamespace(monotonic=time.monotonic, sleep=never_sleeps)
    monkeypatch.setattr("graphs.services.time", clock, raising=False)


@pytest.fixture
def tableless(build_graph: Callable[[list[str]], str]) -> str:
    """A done graph whose connection table is not stored (yet)."""
    graph_id = build_graph(RECORDS)
    for suffix in (CONNECTIONS_SUFFIX, HOSTS_SUFFIX):
        graph_flow().store().delete(graph_id, suffix)
    return graph_id


def lease(graph_id: str, seconds: float) -> None:
    """The graph's run ends `seconds` from now (negative: it ended, its worker gone)."""
    Graph.objects.filter(id=graph_id).update(lease_until=timezone.now() + timedelta(seconds=seconds))


def assert_not_ready(response: Any) -> None:
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == str(CONNECTIONS_RETRY_AFTER_S)


@pytest.mark.parametrize("path", PATHS)
def test_a_view_while_the_worker_stores_the_table_is_a_503_with_retry_after(
    api: APIClient, tableless: str, path: str
) -> None:
    lease(tableless, 60)
    response = api.get(f"/api/v1/graphs/{tableless}/{path}")
    assert_not_ready(response)
    if "csv" not in path:
        body = response.json()
        assert "still being built" in body["detail"] and body["retry_after"] == CONNECTIONS_RETRY_AFTER_S
        assert body["id"] == tableless and body["url"].endswith(f"/api/v1/graphs/{tableless}/")


def test_the_view_answers_once_the_worker_has_stored_the_table(
    api: APIClient, build_graph: Callable[[list[str]], str]
) -> None:
    graph_id = build_graph(RECORDS)
    lease(graph_id, 60)  # the worker is still drawing the preview: the table is already there
    assert api.get(f"/api/v1/graphs/{graph_id}/view").status_code == 200


def test_the_svg_export_while_the_worker_stores_the_table_is_a_503_with_retry_after(
    client: Client, tableless: str
) -> None:
    client.force_login(User.objects.create_user("reader", password="not-used"))
    lease(tableless, 60)
    response = client.get(f"/graphs/{tableless}/view.svg")
    assert_not_ready(response)
    assert "still being built" in response.content.decode()


def test_a_graph_whose_worker_died_without_a_table_or_stored_digest_is_still_a_409(
    api: APIClient, tableless: str
) -> None:
    lease(tableless, -5)
    Graph.objects.filter(id=tableless).update(digest_id=None)  # a remote digester's graph: nothing to fold
    response = api.get(f"/api/v1/graphs/{tableless}/view")
    assert response.status_code == 409 and "re-run" in response.json()["detail"]


@pytest.mark.parametrize("lease_seconds", [None, -5], ids=["built-before-tables", "worker-died"])
def test_a_graph_without_a_table_is_folded_by_one_queued_task_and_answers_once_it_is_stored(
    api: APIClient,
    tableless: str,
    lease_seconds: float | None,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if lease_seconds is None:
        Graph.objects.filter(id=tableless).update(lease_until=None)
    else:
        lease(tableless, lease_seconds)
    queued: list[tuple[Any, ...]] = []
    monkeypatch.setattr("jobs.queuers.djangoq.async_task", lambda *args, **kwargs: queued.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        for path in PATHS:  # the first queues the fold; the others see its lease and queue nothing
            assert_not_ready(api.get(f"/api/v1/graphs/{tableless}/{path}"))
    started_at = Graph.objects.get(id=tableless).started_at
    assert started_at is not None
    run = started_at.isoformat()  # the run the fold is for
    assert queued == [("graphs.tasks.graph_connections_fold_task", tableless, run)]
    assert Graph.objects.get(id=tableless).lease_until is not None  # held by the fold
    assert graph_connections_fold_task(tableless, run) == "folded"
    assert Graph.objects.get(id=tableless).lease_until is None
    assert Graph.objects.get(id=tableless).connections > 0
    assert api.get(f"/api/v1/graphs/{tableless}/view").status_code == 200
    assert graph_connections_fold_task(tableless, run) == "exists"  # a second delivery changes nothing


def test_a_fold_whose_worker_died_is_queued_again_once_its_lease_ran_out(
    api: APIClient, tableless: str, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued: list[tuple[Any, ...]] = []
    monkeypatch.setattr("jobs.queuers.djangoq.async_task", lambda *args, **kwargs: queued.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        assert_not_ready(api.get(f"/api/v1/graphs/{tableless}/view"))
        lease(tableless, -1)  # the fold's worker stopped renewing its lease
        assert_not_ready(api.get(f"/api/v1/graphs/{tableless}/view"))
    assert len(queued) == 2


@pytest.mark.django_db(transaction=True)  # as a web request runs: the task is queued at once, not on a commit
def test_a_fold_that_cannot_be_queued_lets_the_lease_go_and_says_the_queue_is_unavailable(
    api: APIClient, tableless: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broker_down(*args: Any, **kwargs: Any) -> None:
        raise OSError("the broker is away")

    monkeypatch.setattr("jobs.queuers.djangoq.async_task", broker_down)
    response = api.get(f"/api/v1/graphs/{tableless}/view")
    assert response.status_code == 503 and response.json()["dependency"] == "queuer"
    assert Graph.objects.get(id=tableless).lease_until is None


def test_a_fold_that_fails_keeps_its_lease_so_the_requests_meanwhile_queue_no_other(
    api: APIClient, tableless: str, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued: list[tuple[Any, ...]] = []
    monkeypatch.setattr("jobs.queuers.djangoq.async_task", lambda *args, **kwargs: queued.append(args))

    def digest_unreadable(*args: Any) -> int:
        raise OSError("the digest cannot be read")

    monkeypatch.setattr("graphs.flow.GraphFlow.connections_store", digest_unreadable)
    with django_capture_on_commit_callbacks(execute=True):
        assert_not_ready(api.get(f"/api/v1/graphs/{tableless}/view"))
    with pytest.raises(OSError, match="cannot be read"):
        graph_connections_fold_task(*queued[0][1:])
    with django_capture_on_commit_callbacks(execute=True):
        assert_not_ready(api.get(f"/api/v1/graphs/{tableless}/view"))
    assert len(queued) == 1  # the next is queued once the lease has run out (the test above)
