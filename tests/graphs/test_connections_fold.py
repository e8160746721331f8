"""The connection fold task acts only for the run of the graph it was queued for: a task that runs late,
after the graph was built again and while that run's worker still stores its own table under its lease,
does nothing, and a task queued before the run travelled with it (the id only) does nothing either.
(The views that queue the fold are tested in tests/connections/test_views_not_ready.py.)"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from digests.connections import CONNECTIONS_SUFFIX, HOSTS_SUFFIX
from graphs.connections_fold import FOLD_TASK, fold_queue
from graphs.models import Graph
from graphs.services import graph_flow
from graphs.tasks import graph_connections_fold_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def tableless(graph: Graph) -> Graph:
    """The small VPC's done graph, its run ended, without a connection table: a view would fold it."""
    for suffix in (CONNECTIONS_SUFFIX, HOSTS_SUFFIX):
        graph_flow().store().delete(str(graph.id), suffix)
    Graph.objects.filter(id=graph.id).update(lease_until=None)
    graph.refresh_from_db()
    return graph


@pytest.fixture
def queue_fold(
    django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> Callable[[Graph], tuple[Any, ...]]:
    """Queue the fold of a graph as a view does; returns the arguments the task was queued with."""

    def queue(graph: Graph) -> tuple[Any, ...]:
        queued: list[tuple[Any, ...]] = []
        monkeypatch.setattr("jobs.queuers.djangoq.async_task", lambda *args, **kwargs: queued.append(args))
        with django_capture_on_commit_callbacks(execute=True):
            assert fold_queue(graph)
        [(task, *arguments)] = queued
        assert task == FOLD_TASK
        return tuple(arguments)

    return queue


def rerun_storing_its_table(graph: Graph) -> datetime:
    """The graph built again once the fold's lease ran out, as its row reads while that run's worker
    stores the table: claimed (a new start time and lease), done (its DOT stored), the lease still held.
    Returns that worker's lease."""
    now = timezone.now()
    worker_lease = now + timedelta(seconds=60)
    rerun = {"status": "done", "started_at": now, "finished_at": now, "lease_until": worker_lease}
    assert Graph.objects.filter(id=graph.id).exclude(started_at=now).update(**rerun)
    return worker_lease


def table_stored(graph: Graph) -> bool:
    return graph_flow().store().exists(str(graph.id), CONNECTIONS_SUFFIX)


def test_a_fold_task_run_after_the_graph_was_built_again_leaves_the_new_run_alone(
    tableless: Graph, queue_fold: Callable[[Graph], tuple[Any, ...]]
) -> None:
    arguments = queue_fold(tableless)
    worker_lease = rerun_storing_its_table(tableless)
    result = graph_connections_fold_task(*arguments)  # late: it waited in the queue past its lease
    assert result.startswith("skipped")
    assert Graph.objects.get(id=tableless.id).lease_until == worker_lease  # still the worker's
    assert not table_stored(tableless)  # the worker stores its own


def test_a_fold_task_delivered_again_after_a_failed_attempt_and_a_re_run_leaves_the_new_run_alone(
    tableless: Graph, queue_fold: Callable[[Graph], tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    arguments = queue_fold(tableless)

    def digest_unreadable(*args: Any) -> int:
        raise OSError("the digest cannot be read")

    with monkeypatch.context() as patched:
        patched.setattr("graphs.flow.GraphFlow.connections_store", digest_unreadable)
        with pytest.raises(OSError, match="cannot be read"):
            graph_connections_fold_task(*arguments)
    # django-q2 retries a failed task after its retry time, longer than a lease: the graph was re-run.
    worker_lease = rerun_storing_its_table(tableless)
    assert graph_connections_fold_task(*arguments).startswith("skipped")
    assert Graph.objects.get(id=tableless.id).lease_until == worker_lease
    assert not table_stored(tableless)


def test_a_fold_task_delivered_twice_for_its_own_run_folds_once_and_lets_the_lease_go(
    tableless: Graph, queue_fold: Callable[[Graph], tuple[Any, ...]]
) -> None:
    arguments = queue_fold(tableless)
    assert len(arguments) == 2  # the graph's id and the run the fold is for
    assert graph_connections_fold_task(*arguments) == "folded"
    assert graph_connections_fold_task(*arguments) == "exists"
    folded = Graph.objects.get(id=tableless.id)
    assert folded.lease_until is None and folded.connections > 0 and table_stored(tableless)


@pytest.mark.parametrize("built_again", [False, True], ids=["same-run", "built-again"])
def test_a_fold_task_queued_before_the_run_travelled_with_it_does_nothing(
    tableless: Graph, queue_fold: Callable[[Graph], tuple[Any, ...]], built_again: bool
) -> None:
    """It cannot tell the run it was queued for from a re-run whose worker holds the lease now: the lease
    its queuer took runs out by itself and the next view queues the fold again, with the run."""
    queue_fold(tableless)
    lease = (
        rerun_storing_its_table(tableless) if built_again else Graph.objects.get(id=tableless.id).lease_until
    )
    assert graph_connections_fold_task(str(tableless.id)).startswith("skipped")
    assert Graph.objects.get(id=tableless.id).lease_until == lease
    assert not table_stored(tableless)
