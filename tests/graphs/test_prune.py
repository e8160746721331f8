"""`manage.py prune --older-than 30d`: old finished graphs and digests go with every stored file and
marker; jobs in progress and recent ones stay; the optional schedule follows GRAPHERD_PRUNE_AFTER."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from django_q.models import Schedule

from digests.connections import CONNECTIONS_SUFFIX, HOSTS_SUFFIX
from digests.models import Digest
from digests.services import digest_flow
from graphs.models import Graph
from graphs.prune import PRUNE_SCHEDULE, prune_schedule_ensure, scheduled_prune
from graphs.services import DOT_SUFFIX, SVG_SUFFIX, graph_flow
from jobs.window import window_parse
from ops.config import config_problems
from tests.graphs.small_vpc import START, STOP
from tests.rows import job_row

pytestmark = pytest.mark.django_db
GRAPH_FILES = (DOT_SUFFIX, SVG_SUFFIX, CONNECTIONS_SUFFIX, HOSTS_SUFFIX)
DIGEST_FILES = (".log.gz", CONNECTIONS_SUFFIX, HOSTS_SUFFIX)


def age(graph: Graph, days: int) -> None:
    """Make the graph and its digest look finished `days` ago."""
    then = timezone.now() - timedelta(days=days)
    Graph.objects.filter(id=graph.id).update(finished_at=then, created_at=then)
    assert graph.digest_id is not None
    Digest.objects.filter(id=graph.digest_id).update(finished_at=then, created_at=then)


def stored(flow_store: Any, job_id: object, suffixes: tuple[str, ...]) -> list[str]:
    return [suffix for suffix in suffixes if flow_store.exists(str(job_id), suffix)]


def prune(*args: str) -> str:
    out = io.StringIO()
    call_command("prune", *args, stdout=out)
    return out.getvalue().strip()


def test_an_old_graph_goes_with_its_digest_and_every_stored_file(graph: Graph) -> None:
    assert stored(graph_flow().store(), graph.id, GRAPH_FILES) == list(GRAPH_FILES)
    assert stored(digest_flow().store(), graph.digest_id, DIGEST_FILES) == list(DIGEST_FILES)
    age(graph, 40)
    assert prune("--older-than", "30d") == "removed 1 graphs (4 files) and 1 digests (3 files)"
    assert not Graph.objects.exists() and not Digest.objects.exists()
    assert stored(graph_flow().store(), graph.id, GRAPH_FILES) == []
    assert stored(digest_flow().store(), graph.digest_id, DIGEST_FILES) == []


def test_a_pruned_window_can_be_asked_for_again_on_the_go_route(graph: Graph) -> None:
    age(graph, 40)
    prune("--older-than", "30d")
    seed = f"/?start={START}&stop={STOP}"
    assert Client().get(seed).status_code == 404
    assert Client().post(seed).status_code == 202


def test_a_dry_run_counts_and_removes_nothing(graph: Graph) -> None:
    age(graph, 40)
    assert (
        prune("--older-than", "30d", "--dry-run") == "would remove 1 graphs (4 files) and 1 digests (3 files)"
    )
    assert Graph.objects.count() == 1 and Digest.objects.count() == 1
    assert stored(graph_flow().store(), graph.id, GRAPH_FILES) == list(GRAPH_FILES)


def test_recent_jobs_stay(graph: Graph) -> None:
    age(graph, 10)
    assert prune("--older-than", "30d") == "removed 0 graphs (0 files) and 0 digests (0 files)"
    assert Graph.objects.count() == 1


@pytest.mark.parametrize("status", ["queued", "running"])
def test_a_job_in_progress_stays_and_so_does_the_digest_it_may_read(graph: Graph, status: str) -> None:
    age(graph, 40)
    Graph.objects.filter(id=graph.id).update(status=status)
    assert prune("--older-than", "30d") == "removed 0 graphs (0 files) and 0 digests (0 files)"
    assert stored(digest_flow().store(), graph.digest_id, DIGEST_FILES) == list(DIGEST_FILES)


def test_a_done_graph_still_copying_its_digests_table_keeps_that_digest(graph: Graph) -> None:
    age(graph, 40)
    # Its DOT stored just now and its lease held: the worker goes on to copy the old digest's table.
    Graph.objects.filter(id=graph.id).update(
        finished_at=timezone.now(), lease_until=timezone.now() + timedelta(seconds=10)
    )
    assert prune("--older-than", "30d") == "removed 0 graphs (0 files) and 0 digests (0 files)"
    assert stored(digest_flow().store(), graph.digest_id, DIGEST_FILES) == list(DIGEST_FILES)


def test_the_hours_of_a_window_being_digested_stay(graph: Graph) -> None:
    age(graph, 40)
    Graph.objects.filter(id=graph.id).update(finished_at=timezone.now())  # recent: kept anyway
    day = window_parse("2019-01-01T00:00:00Z", "2019-01-02T00:00:00Z")
    job_row(Digest, day, status="running", lease_until=timezone.now() + timedelta(seconds=10))
    assert str(graph.digest_id) == window_parse(START, STOP).job_id("digest")  # an hour of that day
    assert prune("--older-than", "30d") == "removed 0 graphs (0 files) and 0 digests (0 files)"


def test_a_failed_job_that_never_finished_goes_by_its_creation_time(graph: Graph) -> None:
    age(graph, 40)
    Graph.objects.filter(id=graph.id).update(status="failed", finished_at=None)
    assert prune("--older-than", "30d").startswith("removed 1 graphs")


@pytest.mark.parametrize("value", ["30", "a month", "-1d"])
def test_an_age_that_is_not_one_is_refused_in_plain_words(value: str) -> None:
    with pytest.raises(CommandError, match=r"--older-than: .* is not an age like 30d, 12h, 90m or 1d12h"):
        call_command("prune", f"--older-than={value}")


# --- the schedule ---------------------------------------------------------------------------------


def test_no_schedule_and_no_pruning_unless_prune_after_is_set() -> None:
    prune_schedule_ensure()
    assert not Schedule.objects.filter(name=PRUNE_SCHEDULE).exists()
    assert scheduled_prune() == "GRAPHERD_PRUNE_AFTER is unset: nothing pruned"


def test_prune_after_schedules_pruning_by_that_age(graph: Graph, set_env: Any) -> None:
    set_env(GRAPHERD_PRUNE_AFTER="30d")
    prune_schedule_ensure()
    schedule = Schedule.objects.get(name=PRUNE_SCHEDULE)
    assert (schedule.func, schedule.schedule_type) == ("graphs.tasks.prune_task", Schedule.HOURLY)
    age(graph, 40)
    assert scheduled_prune() == "removed 1 graphs (4 files) and 1 digests (3 files)"
    set_env(GRAPHERD_PRUNE_AFTER="")
    prune_schedule_ensure()
    assert not Schedule.objects.filter(name=PRUNE_SCHEDULE).exists()


@pytest.mark.parametrize(("value", "check_id"), [("30", "grapherd.E014"), ("0d", "grapherd.E003")])
def test_a_bad_prune_after_is_a_configuration_error(set_env: Any, value: str, check_id: str) -> None:
    set_env(GRAPHERD_PRUNE_AFTER=value)
    [problem] = config_problems()
    assert problem.check_id == check_id
    assert problem.message.startswith(f"GRAPHERD_PRUNE_AFTER='{value}'")
