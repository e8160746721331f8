"""A graph takes its window's connection table from the digest only once the digest's run has ended: the
digest is done as soon as its text is stored, and its worker stores the table afterwards. A connection
view from a shell (`graph_view`) waits for a done graph's worker's table the same way; a web request does
not (tests/connections/test_views_not_ready.py)."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.utils import timezone

from digests.connections import CONNECTIONS_SUFFIX, HOSTS_SUFFIX
from digests.flow import DigestFlow
from digests.models import Digest
from graphs.models import Graph
from graphs.services import graph_connections, graph_flow, graph_run
from jobs.window import window_parse
from tests.flowlogs import write_flow_log
from tests.rows import job_row

WINDOW = window_parse("2019-01-01T00:00:00Z", "2019-01-01T01:00:00Z")
GRAPH_ID, DIGEST_ID = WINDOW.job_id("graph"), WINDOW.job_id("digest")


def built_digest_connections(flowlogs_dir: Path) -> int:
    """Build the window once, and return the connection count its digest recorded."""
    write_flow_log(flowlogs_dir)
    job_row(Graph, WINDOW)
    assert graph_run(GRAPH_ID, WINDOW) is not None
    count = Digest.objects.get(id=DIGEST_ID).connections
    assert count > 0
    Graph.objects.filter(id=GRAPH_ID).delete()
    job_row(Graph, WINDOW)
    return count


@pytest.mark.django_db
def test_a_graph_waits_for_a_digest_still_storing_its_table_and_copies_its_count(
    flowlogs_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    count = built_digest_connections(flowlogs_dir)
    # Done, lease held, count not written yet: the digest's worker is between the table and the row's end.
    Digest.objects.filter(id=DIGEST_ID).update(
        connections=0, lease_until=timezone.now() + timedelta(minutes=1)
    )
    waits: list[float] = []

    def digest_run_ends(seconds: float) -> None:  # while the graph waits, never before it looks
        waits.append(seconds)
        Digest.objects.filter(id=DIGEST_ID).update(connections=count, lease_until=None)

    # This module's clock only: patching time.sleep itself would reach every other sleeper of the process.
    monkeypatch.setattr(
        "digests.services.time", SimpleNamespace(monotonic=time.monotonic, sleep=digest_run_ends)
    )
    graph_run(GRAPH_ID, WINDOW)
    assert len(waits) == 1
    assert Graph.objects.get(id=GRAPH_ID).connections == count


def digest_worker_died_before_recording_the_table() -> None:
    Digest.objects.filter(id=DIGEST_ID).update(
        connections=0, lease_until=timezone.now() - timedelta(seconds=5)
    )


def stored_table_lost_its_hosts_file() -> None:
    DigestFlow().store().delete(DIGEST_ID, HOSTS_SUFFIX)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "damage", [digest_worker_died_before_recording_the_table, stored_table_lost_its_hosts_file]
)
def test_a_graph_folds_the_digest_itself_when_the_digests_table_cannot_be_trusted(
    flowlogs_dir: Path, damage: Callable[[], None]
) -> None:
    count = built_digest_connections(flowlogs_dir)
    damage()
    graph_run(GRAPH_ID, WINDOW)
    assert Graph.objects.get(id=GRAPH_ID).connections == count


@pytest.mark.django_db
def test_a_shell_view_of_a_done_graph_whose_worker_is_storing_its_table_waits_for_that_table(
    flowlogs_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built_digest_connections(flowlogs_dir)
    graph_run(GRAPH_ID, WINDOW)
    store = graph_flow().store()
    tables = {suffix: store.open(GRAPH_ID, suffix).read() for suffix in (CONNECTIONS_SUFFIX, HOSTS_SUFFIX)}
    for suffix in tables:
        store.delete(GRAPH_ID, suffix)
    # Its DOT stored, its worker on the table; a remote digester's graph has no digest here to fold.
    Graph.objects.filter(id=GRAPH_ID).update(
        lease_until=timezone.now() + timedelta(minutes=1), digest_id=None
    )
    waits: list[float] = []

    def worker_stores_the_table(seconds: float) -> None:
        waits.append(seconds)
        for suffix, content in tables.items():
            store.save(GRAPH_ID, suffix, io.BytesIO(content))

    clock = SimpleNamespace(monotonic=time.monotonic, sleep=worker_stores_the_table)
    monkeypatch.setattr("graphs.services.time", clock, raising=False)
    table = graph_connections(Graph.objects.get(id=GRAPH_ID), wait=True)  # graph_view; the web answers 503
    assert len(waits) == 1
    assert Path(table.connections_file).read_bytes() == tables[CONNECTIONS_SUFFIX]
